"""OULAD's learners: students -> users and learner profiles, registrations -> enrollments with
registered/unregistered events, student assessments -> scored attempts with passed/failed/completed events.

A student is identified by ``id_student`` across presentations; one who took two presentations is one
user with two enrollments. Demographics are recorded per registration in OULAD; the profile keeps those
of the latest presentation plus ``num_of_prev_attempts`` and ``studied_credits`` of every registration
(``oulad_registrations``), merged with what earlier imports stored.

A student who was erased (``skillstudio learners erase``) is not imported again: their registrations,
attempts and clicks are skipped and reported, by their user id or their external id in the erasure log.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
import psycopg
from psycopg.types.json import Jsonb

from skillstudio.erasure_log import erased_references, reference_of
from skillstudio.events import EventRow, event_row
from skillstudio.sources.common import stable_id, upsert
from skillstudio.sources.oulad.catalogue import Catalogue, day_at
from skillstudio.sources.oulad.files import dedupe

OUTCOMES = {"Pass": "pass", "Distinction": "distinction", "Fail": "fail", "Withdrawn": "withdrawn"}
# OULAD.names: "The score lower than 40 is interpreted as Fail."
PASS_MARK = 40.0
DEMOGRAPHICS = ("gender", "region", "highest_education", "imd_band", "age_band", "disability")
REGISTRATION_KEY = ["code_module", "code_presentation", "id_student"]
Registration = tuple[str, str, int]


@dataclass
class Learners:
    """Ids of what the learner import wrote, for the click import that follows."""

    # (module, presentation, id_student) -> (enrollment id, user id)
    enrollments: dict[Registration, tuple[uuid.UUID, uuid.UUID]] = field(default_factory=dict)
    learners: int = 0
    attempts: int = 0
    events: list[EventRow] = field(default_factory=list)
    # id_student of learners erased on request: nothing of theirs is imported again.
    erased: set[int] = field(default_factory=set)


def _registrations(tables: dict[str, pd.DataFrame], skipped: dict[str, int]) -> pd.DataFrame:
    """studentInfo and studentRegistration side by side; a registration in only one of them still counts."""
    info = dedupe(tables["studentInfo.csv"], REGISTRATION_KEY, "studentInfo.csv", skipped)
    dates = dedupe(tables["studentRegistration.csv"], REGISTRATION_KEY, "studentRegistration.csv", skipped)
    return info.merge(dates, on=REGISTRATION_KEY, how="outer")


def _status(outcome: str | None, unregistered: bool) -> str:
    # Fail is "completed" with outcome fail: the learner stayed to the end; withdrawal is a drop-out.
    if outcome == "withdrawn" or unregistered:
        return "dropped"
    return "completed" if outcome in ("pass", "distinction", "fail") else "active"


def _demographics(row: dict[str, Any], as_of: str) -> dict[str, Any]:
    values = {name: row[name] for name in DEMOGRAPHICS}
    values["disability"] = None if row["disability"] is None else row["disability"] == "Y"
    return {**values, "oulad_as_of": as_of}


def import_learners(
    conn: psycopg.Connection,
    tables: dict[str, pd.DataFrame],
    catalogue: Catalogue,
    *,
    received_at: datetime,
    skipped: dict[str, int],
) -> Learners:
    """Write users, profiles and enrollments; collect their registration events. Caller's transaction."""
    frame = _registrations(tables, skipped)
    frame = frame.astype(object).where(frame.notna(), None)
    frame["starts_on"] = [
        catalogue.run_starts[(module, presentation)]
        for module, presentation in zip(frame["code_module"], frame["code_presentation"], strict=True)
    ]
    frame = frame.sort_values(["starts_on", "code_module", "id_student"])
    learners = Learners()
    erased, erased_registrations = erased_references(conn), 0
    profiles: dict[int, dict[str, Any]] = {}
    enrollment_rows = []
    for row in frame.to_dict("records"):
        module, presentation, student = row["code_module"], row["code_presentation"], int(row["id_student"])
        run = (module, presentation)
        user_id = stable_id("user", f"oulad:student:{student}")
        if erased and (
            student in learners.erased
            or reference_of(f"oulad:student:{student}") in erased
            or reference_of(str(user_id)) in erased
        ):
            learners.erased.add(student)
            erased_registrations += 1
            continue
        enrollment_id = stable_id("enrollment", f"oulad:{module}:{presentation}:{student}")
        learners.enrollments[(module, presentation, student)] = (enrollment_id, user_id)
        start, length = catalogue.run_starts[run], catalogue.run_lengths[run]

        profile = profiles.setdefault(student, {"oulad_registrations": {}})
        if row["final_result"] is not None or row["gender"] is not None:  # it has a studentInfo row
            # Rows are in presentation order, so the latest presentation's demographics win.
            profile.update(_demographics(row, start.isoformat()))
            profile["oulad_registrations"][f"{module} {presentation}"] = {
                "num_of_prev_attempts": row["num_of_prev_attempts"],
                "studied_credits": row["studied_credits"],
            }

        known_day = row["date_registration"] is not None
        enrolled_at = day_at(start, int(row["date_registration"]) if known_day else 0)
        unregistered_at = (
            None if row["date_unregistration"] is None else day_at(start, int(row["date_unregistration"]))
        )
        outcome = OUTCOMES.get(row["final_result"] or "")
        status = _status(outcome, unregistered_at is not None)
        completed_at = day_at(start, length) if status == "completed" and length is not None else None
        course_id = catalogue.course_ids[module]
        enrollment_rows.append(
            (enrollment_id, user_id, course_id, catalogue.run_ids[run], status, enrolled_at, completed_at,
             outcome, unregistered_at)
        )  # fmt: skip
        key = f"{module}:{presentation}:{student}"
        # No registration day in the data: the enrollment is dated at the presentation's start.
        changes = [("registered", enrolled_at, None if known_day else {"registration_day_unknown": True})]
        if unregistered_at is not None:
            changes.append(("unregistered", unregistered_at, None))
        for verb, occurred_at, extensions in changes:
            learners.events.append(
                event_row(
                    event_id=stable_id("event", f"oulad:{verb}:{key}"), occurred_at=occurred_at,
                    received_at=received_at, actor_id=user_id, verb=verb, object_type="course",
                    object_id=str(course_id), course_id=course_id, registration=enrollment_id,
                    extensions=extensions,
                )
            )  # fmt: skip

    if erased_registrations:
        skipped["registrations: learner erased on request, not imported again"] = erased_registrations
    upsert(
        conn,
        "users",
        ("user_id", "external_id", "display_name", "role"),
        [(stable_id("user", f"oulad:student:{s}"), f"oulad:student:{s}", f"OULAD student {s}", "learner")
         for s in profiles],
        key=("user_id",),
    )  # fmt: skip
    learners.learners = len(profiles)
    _merge_profiles(conn, profiles)
    enrollment_updates = ("status", "enrolled_at", "completed_at", "outcome", "unregistered_at")
    upsert(
        conn,
        "enrollments",
        ("enrollment_id", "user_id", "course_id", "course_run_id", *enrollment_updates),
        enrollment_rows,
        key=("enrollment_id",),
        update=enrollment_updates,
    )
    _import_attempts(conn, tables, catalogue, learners, received_at=received_at, skipped=skipped)
    return learners


def _merge_profiles(conn: psycopg.Connection, profiles: dict[int, dict[str, Any]]) -> None:
    """Insert profiles, or merge into stored ones: newer demographics replace older ones, registrations
    accumulate, and keys other features stored in ``attributes`` are kept."""
    conn.execute(
        "create temp table if not exists incoming_oulad_profiles (user_id uuid, attributes jsonb) "
        "on commit drop"
    )
    conn.execute("truncate incoming_oulad_profiles")
    with conn.cursor().copy("copy incoming_oulad_profiles from stdin") as copy:
        for student, attributes in profiles.items():
            copy.write_row((stable_id("user", f"oulad:student:{student}"), Jsonb(attributes)))
    # -> and || bind equally tight, left to right: every -> below needs its parentheses.
    merged = (
        "(learner_profiles.attributes"
        " || case when coalesce(learner_profiles.attributes->>'oulad_as_of', '')"
        " <= (excluded.attributes->>'oulad_as_of') then excluded.attributes else '{}'::jsonb end"
        " || jsonb_build_object('oulad_registrations',"
        " coalesce(learner_profiles.attributes->'oulad_registrations', '{}'::jsonb)"
        " || (excluded.attributes->'oulad_registrations')))"
    )
    conn.execute(
        "insert into learner_profiles (user_id, attributes) select user_id, attributes "
        f"from incoming_oulad_profiles on conflict (user_id) do update set attributes = {merged}, "
        f"updated_at = now() where learner_profiles.attributes is distinct from {merged}"
    )


def _import_attempts(
    conn: psycopg.Connection,
    tables: dict[str, pd.DataFrame],
    catalogue: Catalogue,
    learners: Learners,
    *,
    received_at: datetime,
    skipped: dict[str, int],
) -> None:
    """One graded (or, without a score, submitted) attempt per student assessment, and its event:
    ``passed`` / ``failed`` by the OU pass mark, ``completed`` when no score was recorded. OULAD records
    submissions only, so there is no separate ``attempted`` event. Banked results (carried over from an
    earlier presentation) keep ``is_banked`` and carry ``{"banked": true}`` in the event."""
    name = "studentAssessment.csv"
    scores = dedupe(tables[name], ["id_assessment", "id_student"], name, skipped)
    rows = []
    reasons: Counter[str] = Counter()
    for item in scores.itertuples(index=False):
        known = catalogue.assessments.get(int(item.id_assessment))
        if known is None:
            reasons["attempts: id_assessment not in assessments.csv"] += 1
            continue
        assessment_id, run = known
        registration = learners.enrollments.get((run[0], run[1], int(item.id_student)))
        if registration is None:
            if int(item.id_student) in learners.erased:
                reasons["attempts: learner erased on request"] += 1
            else:
                reasons["attempts: student not registered on that presentation"] += 1
            continue
        if pd.isna(item.date_submitted):
            reasons["attempts: no date_submitted"] += 1
            continue
        enrollment_id, user_id = registration
        submitted_at = day_at(catalogue.run_starts[run], int(item.date_submitted))
        scored = not pd.isna(item.score)
        score_scaled = min(max(float(item.score) / 100.0, 0.0), 1.0) if scored else None
        success = float(item.score) >= PASS_MARK if scored else None
        banked = bool(item.is_banked) if not pd.isna(item.is_banked) else False
        key = f"oulad:{item.id_assessment}:{item.id_student}"
        rows.append(
            (stable_id("attempt", key), assessment_id, user_id, enrollment_id, 1,
             "graded" if scored else "submitted", submitted_at, submitted_at, score_scaled, banked)
        )  # fmt: skip
        learners.events.append(
            event_row(
                event_id=stable_id("event", f"oulad:assessment:{item.id_assessment}:{item.id_student}"),
                occurred_at=submitted_at, received_at=received_at, actor_id=user_id,
                verb=("passed" if success else "failed") if scored else "completed",
                object_type="assessment", object_id=str(assessment_id),
                course_id=catalogue.course_ids[run[0]], registration=enrollment_id, attempt=1,
                score_scaled=score_scaled, success=success, completion=True,
                score_raw=float(item.score) if scored else None, score_min=0.0 if scored else None,
                score_max=100.0 if scored else None,
                extensions={"banked": True} if banked else None,
            )
        )  # fmt: skip
    skipped.update(reasons)
    learners.attempts = len(rows)
    updates = ("status", "started_at", "submitted_at", "score_scaled", "is_banked")
    upsert(
        conn,
        "assessment_attempts",
        ("attempt_id", "assessment_id", "user_id", "enrollment_id", "attempt_number", *updates),
        rows,
        key=("attempt_id",),
        update=updates,
    )
