"""Semantic course search: sentence embeddings of what a course page shows, fused with full-text search."""

from models.search.documents import CourseText, content_hash, course_document
from models.search.encoder import DIMENSIONS, MODEL_NAME, SentenceEncoder
from models.search.fusion import RRF_K, nearest, reciprocal_rank_fusion, rocchio

__all__ = [
    "DIMENSIONS",
    "MODEL_NAME",
    "RRF_K",
    "CourseText",
    "SentenceEncoder",
    "content_hash",
    "course_document",
    "nearest",
    "reciprocal_rank_fusion",
    "rocchio",
]
