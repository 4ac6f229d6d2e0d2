"""The sentence encoder: offline, unit vectors of 384 floats, meaning over wording, cached queries."""

from __future__ import annotations

import os

import numpy as np

from models.search import DIMENSIONS, CourseText, content_hash, course_document
from models.search.documents import windows
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


# A description well past the model's 256 word pieces, whose last sentence alone says what it ends with.
BODY = "Students learn statistics, probability and the analysis of data with worked examples. " * 30
ENDINGS = {
    "cooking": "The final project is a dinner menu: roast vegetables, bake bread, cook a three course meal.",
    "tax": "The final project is a corporate tax return: company law, VAT and the accounts an auditor reads.",
}


def test_a_long_page_is_read_to_its_end() -> None:
    encoder = search_encoder()
    pages = [f"Data analysis. Statistics, beginner. {BODY}{ending}" for ending in ENDINGS.values()]
    tokenizer = encoder.model().tokenizer
    assert len(tokenizer(pages[0])["input_ids"]) > encoder.model().max_seq_length  # it would be cut
    cooking_page, tax_page = encoder.encode_documents(pages)
    assert np.allclose(np.linalg.norm([cooking_page, tax_page], axis=1), 1.0, atol=1e-5)
    cooking, tax = encoder.encode(["cooking a meal", "corporate tax"])
    # Only the last sentence differs, and each page is nearer the query its own ending is about.
    assert cooking_page @ cooking > tax_page @ cooking
    assert tax_page @ tax > cooking_page @ tax


def test_every_window_fits_the_model_and_a_short_page_is_encoded_as_it_is() -> None:
    encoder = search_encoder()
    model = encoder.model()
    page = f"Data analysis. Statistics, beginner. {BODY}{ENDINGS['tax']}"
    parts = windows(page, lambda word: len(model.tokenizer.tokenize(word)), model.max_seq_length - 2)
    assert len(parts) > 1
    assert all(len(model.tokenizer(part)["input_ids"]) <= model.max_seq_length for part in parts)
    short = "SQL basics. Data, beginner. Select rows."
    assert np.allclose(encoder.encode_documents([short, page])[0], encoder.encode([short])[0], atol=1e-5)
    assert encoder.encode_documents([]).shape == (0, DIMENSIONS)
