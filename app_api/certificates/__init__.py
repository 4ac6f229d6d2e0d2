"""Certificates of completion: issued when a course is completed, rendered to PDF, verifiable by anyone."""
