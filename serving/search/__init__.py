"""Semantic course search, served: ``GET /api/v1/search``."""
