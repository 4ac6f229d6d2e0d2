"""The sentence encoder: offline, unit vectors of 384 floats, meaning over wording, cached queries."""

from __future__ import annotations

import os

import numpy as np

from models.search import DIMENSIONS, CourseText, content_hash, course_document
from serving.search.router import search_encoder  # the process's encoder: the model loads once per run


def test_vectors_are_unit_length_and_closer_for_the_same_meaning() -> None:
    encoder = search_encoder()
    vectors = encoder.encode(
        ["learn to cook dinner", "cooking classes for home chefs", "tax law for companies"]
    )
    assert vectors.shape == (3, DIMENSIONS) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    cooking, chefs, tax = vectors
    assert cooking @ chefs > 0.5 > cooking @ tax
    assert os.environ["HF_HUB_OFFLINE"] == "1"


def test_a_query_vector_matches_the_batch_one_and_is_cached() -> None:
    encoder = search_encoder()
    query = encoder.encode_query("Learn to   cook dinner")
    assert np.allclose(query, encoder.encode(["learn to cook dinner"])[0], atol=1e-5)
    assert encoder.encode_query("learn to cook dinner") is query  # same words, any case and spacing
    assert not query.flags.writeable


def test_the_document_is_what_the_page_shows_and_its_hash_follows_text_and_model() -> None:
    course = CourseText("SQL basics", "Data", "beginner", "Select rows.")
    assert course_document(course) == "SQL basics. Data, beginner. Select rows."
    assert course_document(CourseText("SQL basics", None, "beginner", None)) == "SQL basics. beginner."
    document = course_document(course)
    assert content_hash(document, "m1") == content_hash(document, "m1")
    assert len({content_hash(document, "m1"), content_hash(document, "m2"), content_hash("x", "m1")}) == 3
