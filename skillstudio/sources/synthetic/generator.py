"""``generate``: the catalogue, then learners in batches streamed into ``learner_events``, then the rest."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np
import psycopg

from skillstudio.events import EventLoader, copy_rows
from skillstudio.sources.synthetic.catalogue import Catalogue, build_catalogue, day_start_us, random_ids
from skillstudio.sources.synthetic.config import (
    GeneratedCounts,
    GenerationProgress,
    GeneratorConfig,
    Progress,
)
from skillstudio.sources.synthetic.event_buffer import GENERATED_COLUMNS
from skillstudio.sources.synthetic.learners import Learners, draw_learners
from skillstudio.sources.synthetic.simulate import Simulation
from skillstudio.sources.synthetic.tables import BatchRows, batch_rows, write_catalogue


@dataclass(frozen=True)
class SimulatedBatch:
    """One batch of learners after their simulation, with the ``learner_events`` columns of what they did."""

    learners: Learners
    simulation: Simulation
    enrollment_ids: np.ndarray
    events: dict[str, Any]


def simulate_batches(config: GeneratorConfig, catalogue: Catalogue) -> Iterator[SimulatedBatch]:
    """Learners ``config.batch_learners`` at a time, each batch from its own stream (seed, batch number)."""
    first_day_us = day_start_us(first_day(config))
    for batch, start in enumerate(range(0, config.learners, config.batch_learners)):
        rng = np.random.default_rng([config.seed, 1, batch])
        count = min(config.batch_learners, config.learners - start)
        learners = draw_learners(
            rng, config, catalogue, count=count, first_number=start, first_day_us=first_day_us
        )
        simulation = Simulation(config, catalogue, learners, rng, first_day_us)
        simulation.run()
        enrollment_ids = random_ids(rng, simulation.records.count)
        events = simulation.events.columns(rng, catalogue, learners.ids, enrollment_ids)
        yield SimulatedBatch(learners, simulation, enrollment_ids, events)


def first_day(config: GeneratorConfig) -> date:
    return config.end_date - timedelta(days=config.days - 1)


def generate(
    conn: psycopg.Connection, config: GeneratorConfig, progress: Progress | None = None
) -> GeneratedCounts:
    """Write a generated history and its hidden truth in the caller's transaction (nothing is committed).

    Each batch's events go to the database while the next batch is simulated; the other rows follow
    (a connection runs one COPY at a time).
    """
    report = progress or (lambda _progress: None)
    catalogue = build_catalogue(config, first_day(config))
    skill_ids = write_catalogue(conn, catalogue)
    rows = BatchRows()
    done = 0
    with EventLoader(conn, GENERATED_COLUMNS, first=first_day(config), last=config.end_date) as loader:
        for batch in simulate_batches(config, catalogue):
            loader.write(batch.events)
            records = batch.simulation.records
            batch_rows(
                rows,
                catalogue,
                skill_ids,
                batch.learners,
                records,
                batch.enrollment_ids,
                batch.simulation.practice,
            )
            done += len(batch.learners)
            report(GenerationProgress("simulating learners", done, config.learners, loader.sent))
        report(GenerationProgress("building indexes", done, config.learners, loader.sent))
    report(GenerationProgress("writing learners and truth", done, config.learners, loader.sent))
    rows.write(conn)
    _write_truth(conn, config, catalogue, skill_ids)
    return GeneratedCounts(
        users=rows.count("users"),
        courses=config.courses,
        lessons=len(catalogue.lesson_ids),
        enrollments=rows.count("enrollments"),
        events=loader.stored,
        skills=len(skill_ids),
        assessments=len(catalogue.quiz_ids),
        questions=len(catalogue.question_ids),
        attempts=rows.count("assessment_attempts"),
        dropouts=rows.count("truth.dropouts"),
    )


def _write_truth(
    conn: psycopg.Connection, config: GeneratorConfig, catalogue: Catalogue, skill_ids: np.ndarray
) -> None:
    settings = {**asdict(config), "end_date": config.end_date.isoformat()}
    conn.execute(
        "insert into truth.generations (seed, end_date, config) values (%s, %s, %s)",
        (config.seed, config.end_date, json.dumps(settings)),
    )
    copy_rows(
        conn,
        "truth.course_taste",
        {
            "course_id": catalogue.course_ids,
            "taste": catalogue.course_taste,
            "popularity": catalogue.popularity,
        },
    )
    copy_rows(
        conn,
        "truth.question_items",
        {
            "question_id": catalogue.question_ids,
            "assessment_id": catalogue.quiz_ids[catalogue.question_quiz],
            "course_id": catalogue.course_ids[catalogue.quiz_course[catalogue.question_quiz]],
            "skill_id": skill_ids[catalogue.question_skill],
            "position": catalogue.question_position.astype(np.int32),
            "difficulty": catalogue.difficulty,
            "discrimination": catalogue.discrimination,
        },
    )


def has_history(conn: psycopg.Connection) -> bool:
    row = conn.execute(
        "select exists (select 1 from users) and exists (select 1 from learner_events)"
    ).fetchone()
    return bool(row and row[0])
