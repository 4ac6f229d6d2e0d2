"""Mastery online: every answer on a skill updates the learner's mastery in the answer's transaction.

The assessments domain loads each answered question with the learner's stored mastery of its skill in one
statement (:func:`with_stored_mastery`, this domain's fragment of it), then calls :func:`record_answer`
with what it read (before it writes the ``answered`` event, which carries the change), and
:func:`seed_from_diagnostic` when a diagnostic is graded.
The estimate comes from the updater in use (``updaters.current()``: the registered champion when the
composition root installed one, the IRT rule otherwise). The learner's profile level on the skill follows
(source ``mastery``, through the accounts domain's ``write_skill_levels`` and its source rules).

Who may read a learner's mastery (decision, issue 11 point 5): the learner, admins, and instructors of a
course the learner is enrolled in (active or completed) — they teach that learner. Anyone else gets 403
before anything about the learner is looked up, except that admins get 404 for an unknown learner.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnExpressionArgument, Select, and_, select, true
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from app_api.courses import service as courses
from app_api.enrollments import service as enrollments
from app_api.mastery import struggling, updaters
from app_api.mastery.models import LearnerMasteryState, LearnerSkillMastery
from app_api.mastery.schemas import MasteryRead, SkillMasteryRead
from app_api.mastery.updaters import Answer, Estimated, Item
from app_api.notifications import service as notifications
from app_api.users import service as users
from skillstudio.db import driver_connection
from skillstudio.errors import Forbidden
from skillstudio.events.recording import record_event
from skillstudio.web.principals import Principal

logger = logging.getLogger(__name__)

__all__ = [
    "Answer", "DiagnosticEstimate", "Item", "MasteryChange", "RevisionQuestion", "StoredMastery",
    "announce_struggling", "online", "predict", "read_mastery", "record_answer", "targets",
    "with_stored_mastery",
]  # fmt: skip


@dataclass(frozen=True)
class MasteryChange:
    """What one answer did to a skill's mastery: the ``answered`` event's ``mastery`` extension."""

    estimate: Estimated
    previous_level: float | None
    model_version: str
    struggling_started: bool

    def extension(self) -> dict[str, Any]:
        return {
            "skill_id": str(self.estimate.skill_id),
            "p_mastery": round(self.estimate.p_mastery, 4),
            "level": round(self.estimate.level, 2),
            "previous_level": None if self.previous_level is None else round(self.previous_level, 2),
            "uncertainty": round(self.estimate.uncertainty, 2),
            "model_version": self.model_version,
            **({"struggling_started": True} if self.struggling_started else {}),
        }


def _rebuilt(session: Session, learner_id: uuid.UUID, updater: updaters.MasteryUpdater) -> bytes | None:
    """A state for ``updater`` from the learner's mastery rows (each seeds its skill): used when the stored
    state was written by another updater, so a new champion starts from what was known."""
    state: bytes | None = None
    known_rows = select(LearnerSkillMastery).where(LearnerSkillMastery.user_id == learner_id)
    for known in session.scalars(known_rows):
        state, _ = updater.seed(
            state,
            skill_id=known.skill_id,
            theta=(known.level - 5.5) / updaters.LEVELS_PER_THETA,
            standard_error=max(known.uncertainty / updaters.LEVELS_PER_THETA, 1e-3),
            answers=known.answers_seen,
        )
    return state


def _state(session: Session, learner_id: uuid.UUID, updater: updaters.MasteryUpdater) -> bytes | None:
    """The learner's state for ``updater`` (row locked), rebuilt when another updater wrote it."""
    row = session.execute(
        select(LearnerMasteryState.model_version, LearnerMasteryState.state)
        .where(LearnerMasteryState.user_id == learner_id)
        .with_for_update()
    ).first()
    if row is None:
        return None
    if row.model_version == updater.version:
        return bytes(row.state)
    return _rebuilt(session, learner_id, updater)


def _save_state(session: Session, learner_id: uuid.UUID, version: str, state: bytes, now: datetime) -> None:
    values = {"model_version": version, "state": state, "updated_at": now}
    session.execute(
        insert(LearnerMasteryState)
        .values(user_id=learner_id, **values)
        .on_conflict_do_update(index_elements=["user_id"], set_=values)
    )


def _update(
    updater: updaters.MasteryUpdater, state: bytes | None, answer: Answer
) -> tuple[updaters.MasteryUpdater, bytes, Estimated]:
    try:
        return updater, *updater.update(state, answer)
    except Exception:
        # An answer must never fail for the model's sake: fall back to the rule, from the rows.
        logger.exception("mastery updater %s failed; using the IRT rule for this answer", updater.version)
        rule = updaters.IrtRule()
        return rule, *rule.update(None, answer)


@dataclass(frozen=True, slots=True)
class StoredMastery:
    """What the statement that loads an answered question read of the learner's mastery
    (:func:`with_stored_mastery`): the updater's state and the version that wrote it (None: the learner
    has no state yet), and the answered skill's row (None: no answer on the skill yet)."""

    model_version: str | None = None
    state: bytes | None = None
    level: float | None = None
    recent: str | None = None
    struggling_since: datetime | None = None


def online() -> bool:
    """Whether answers update mastery (the policy in use); when not, the answer path reads nothing of it."""
    return updaters.policy().online


def with_stored_mastery(
    statement: Select[Any],
    *,
    learner_id: ColumnExpressionArgument[uuid.UUID],
    skill_id: ColumnExpressionArgument[uuid.UUID],
) -> Select[Any]:
    """``statement`` (one row per answered question) with the learner's stored mastery of ``skill_id`` as
    five more columns, :class:`StoredMastery`'s fields in order, all null when the learner has no state.

    The answer path reads the state in the statement that loads the question, which saves a round trip
    on every answer. The state row is locked (``for update``, inside the lateral subquery: the outer
    join's nullable side cannot be locked from outside) so that two answers of one learner in parallel
    apply one after the other; :func:`record_answer` writes it back in the same transaction.
    """
    stored = (
        select(
            LearnerMasteryState.model_version,
            LearnerMasteryState.state,
            LearnerSkillMastery.level,
            LearnerSkillMastery.recent,
            LearnerSkillMastery.struggling_since,
        )
        .outerjoin(
            LearnerSkillMastery,
            and_(
                LearnerSkillMastery.user_id == LearnerMasteryState.user_id,
                LearnerSkillMastery.skill_id == skill_id,
            ),
        )
        .where(LearnerMasteryState.user_id == learner_id)
        .with_for_update(of=LearnerMasteryState)
        .lateral("stored_mastery")
    )
    return statement.outerjoin(stored, true()).add_columns(*stored.c)


# The answer's write, run straight through the session's psycopg connection: SQLAlchemy's handling of a
# statement (even as text compiled once; a built insert() cost ~0.5 ms of Python) cost more than the round
# trip, and psycopg prepares a statement it sees repeatedly. The accounts domain's statement is written
# with ``:name`` parameters, as SQLAlchemy's text() takes them; :func:`_psycopg_style` turns them into
# psycopg's ``%(name)s``.
def _psycopg_style(sql: str) -> str:
    """``sql`` with its ``:name`` parameters written ``%(name)s``."""
    if "%" in sql or "::" in sql:
        raise ValueError("a statement for _psycopg_style may not hold '%' or '::'")
    return re.sub(r":(\w+)", r"%(\1)s", sql)


_WRITE = _psycopg_style(
    "with saved_state as ("
    " insert into learner_mastery_states (user_id, model_version, state, updated_at)"
    " values (:user_id, :model_version, :state, :now)"
    " on conflict (user_id) do update set model_version = excluded.model_version,"
    " state = excluded.state, updated_at = excluded.updated_at), "
    f"followed_level as ({users.FOLLOW_MASTERY_SQL}) "
    "insert into learner_skill_mastery (user_id, skill_id, p_mastery, level, uncertainty, answers_seen,"
    " model_version, recent, struggling_since, updated_at) "
    "values (:user_id, :skill_id, :p_mastery, :level, :uncertainty, :answers_seen, :model_version,"
    " :recent, :struggling_since, :now) "
    "on conflict (user_id, skill_id) do update set p_mastery = excluded.p_mastery,"
    " level = excluded.level, uncertainty = excluded.uncertainty, answers_seen = excluded.answers_seen,"
    " model_version = excluded.model_version, recent = excluded.recent,"
    " struggling_since = excluded.struggling_since, updated_at = excluded.updated_at"
)


def record_answer(
    session: Session, *, learner_id: uuid.UUID, answer: Answer, stored: StoredMastery, now: datetime
) -> MasteryChange | None:
    """Update the learner's mastery of ``answer.skill_id`` after one answer (None when the policy turned
    online updates off); never commits.

    ``stored`` is what the statement that loaded the question read (:func:`with_stored_mastery`, which
    locked the state row); this adds one round trip to the answer: the state, the skill's row and the
    profile level (the accounts domain's statement) written in one statement.
    """
    if not online():
        return None
    updater = updaters.current()
    if stored.state is None:
        state = None
    elif stored.model_version == updater.version:
        state = stored.state
    else:
        state = _rebuilt(session, learner_id, updater)
    used, new_state, estimate = _update(updater, state, answer)
    since = stored.struggling_since
    recent = struggling.remember(stored.recent or "", answer.correct)
    new_since = struggling.next_since(since, recent=recent, answers_seen=estimate.answers_seen, now=now)
    session.flush()  # what session.execute would do: the answer's own rows are written first
    with driver_connection(session).cursor() as cursor:
        cursor.execute(
            _WRITE,
            {"user_id": learner_id, "skill_id": answer.skill_id, "p_mastery": estimate.p_mastery,
             "level": estimate.level, "uncertainty": estimate.uncertainty,
             "answers_seen": estimate.answers_seen, "model_version": used.version, "recent": recent,
             "struggling_since": new_since, "now": now, "state": new_state,
             "profile_level": round(estimate.level, 2),
             "profile_standard_error": round(estimate.uncertainty, 2)},
        )  # fmt: skip
    return MasteryChange(
        estimate=estimate,
        previous_level=stored.level,
        model_version=used.version,
        struggling_started=since is None and new_since is not None,
    )


@dataclass(frozen=True)
class DiagnosticEstimate:
    skill_id: uuid.UUID
    theta: float
    standard_error: float
    answered: int


def seed_from_diagnostic(
    session: Session, *, learner_id: uuid.UUID, estimates: Sequence[DiagnosticEstimate], now: datetime
) -> None:
    """A graded diagnostic's IRT estimates become the learner's mastery of those skills (the profile has
    them already, written by the diagnostic itself)."""
    updater = updaters.current()
    state = _state(session, learner_id, updater)
    for measured in estimates:
        state, estimate = updater.seed(
            state,
            skill_id=measured.skill_id,
            theta=measured.theta,
            standard_error=measured.standard_error,
            answers=measured.answered,
        )
        values = {
            "p_mastery": estimate.p_mastery, "level": estimate.level, "uncertainty": estimate.uncertainty,
            "answers_seen": estimate.answers_seen, "model_version": updater.version, "updated_at": now,
        }  # fmt: skip
        session.execute(
            insert(LearnerSkillMastery)
            .values(user_id=learner_id, skill_id=measured.skill_id, recent="", **values)
            .on_conflict_do_update(index_elements=["user_id", "skill_id"], set_=values)
        )
    if state is not None:
        _save_state(session, learner_id, updater.version, state, now)


def predict(session: Session, *, learner_id: uuid.UUID, items: Sequence[Item]) -> list[float]:
    """P(correct) of the learner's next answer on each item, from their current state."""
    updater = updaters.current()
    row = session.execute(
        select(LearnerMasteryState.model_version, LearnerMasteryState.state).where(
            LearnerMasteryState.user_id == learner_id
        )
    ).first()
    state = bytes(row.state) if row is not None and row.model_version == updater.version else None
    return updater.predict(state, items)


def targets(
    session: Session, *, learner_id: uuid.UUID, skill_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, float]:
    """The P(correct) the next question aims at per skill: lower difficulty while struggling on it."""
    policy = updaters.policy()
    struggling_on = set(
        session.scalars(
            select(LearnerSkillMastery.skill_id).where(
                LearnerSkillMastery.user_id == learner_id,
                LearnerSkillMastery.skill_id.in_(list(skill_ids)),
                LearnerSkillMastery.struggling_since.is_not(None),
            )
        )
    )
    return {s: policy.struggling_target if s in struggling_on else policy.target for s in skill_ids}


def _teaches(session: Session, *, instructor_id: uuid.UUID, learner_id: uuid.UUID) -> bool:
    taught = courses.courses_taught_by(session, instructor_id=instructor_id)
    if not taught:
        return False
    enrolled = enrollments.enrollment_rows().subquery()
    return (
        session.scalar(
            select(enrolled.c.enrollment_id)
            .where(
                enrolled.c.user_id == learner_id,
                enrolled.c.course_id.in_(taught),
                enrolled.c.status.in_(("active", "completed")),
            )
            .limit(1)
        )
        is not None
    )


def read_mastery(session: Session, *, viewer: Principal, learner_id: uuid.UUID) -> MasteryRead:
    if viewer.is_admin:
        users.get_user(session=session, user_id=learner_id)  # 404 for an unknown learner
    elif viewer.user_id != learner_id and not (
        viewer.role == "instructor" and _teaches(session, instructor_id=viewer.user_id, learner_id=learner_id)
    ):
        raise Forbidden("Mastery is for the learner, admins, and instructors of a course the learner takes.")
    rows = list(session.scalars(select(LearnerSkillMastery).where(LearnerSkillMastery.user_id == learner_id)))
    skills = courses.skills_by_id(session, skill_ids=[row.skill_id for row in rows])
    items = [
        SkillMasteryRead(
            skill_id=row.skill_id,
            skill_slug=skills[row.skill_id].slug,
            skill_name=skills[row.skill_id].name,
            p_mastery=row.p_mastery,
            level=row.level,
            uncertainty=row.uncertainty,
            answers_seen=row.answers_seen,
            model_version=row.model_version,
            struggling=row.struggling_since is not None,
            updated_at=row.updated_at,
        )  # fmt: skip
        for row in rows
    ]
    items.sort(key=lambda item: item.skill_slug)
    return MasteryRead(learner_id=learner_id, items=items)


@dataclass(frozen=True)
class RevisionQuestion:
    question_id: uuid.UUID
    prompt: str
    difficulty: float


def announce_struggling(
    session: Session,
    *,
    learner_id: uuid.UUID,
    change: MasteryChange,
    skill_name: str,
    questions: Sequence[RevisionQuestion],
    course_id: uuid.UUID | None,
    now: datetime,
) -> uuid.UUID | None:
    """A struggling episode started (``change.struggling_started``): tell the learner, with revision
    content, and record it. Returns the notification's id (None when the learner turned the kind off).

    Revision content: lessons of published courses tagged with the skill (easiest course level first)
    and the skill's questions, easiest first (the caller, who owns questions, passes them sorted). The
    notification is deduplicated per episode (skill + start), so a later episode notifies again.
    """
    skill_id = change.estimate.skill_id
    lessons = courses.lessons_for_skill(session, skill_id=skill_id, limit=5)
    lesson_items = [
        {"lesson_id": str(lesson.lesson_id), "title": lesson.title, "course_id": str(lesson.course_id),
         "course_title": lesson.course_title}
        for lesson in lessons
    ]  # fmt: skip
    question_items = [
        {"question_id": str(q.question_id), "prompt": q.prompt, "difficulty": q.difficulty} for q in questions
    ]
    revision = {
        "skill_id": str(skill_id),
        "p_mastery": round(change.estimate.p_mastery, 4),
        "level": round(change.estimate.level, 2),
        "lessons": lesson_items,
        "questions": question_items,
    }
    first = f" Start with “{lessons[0].title}”." if lessons else ""
    notification_id = notifications.notify(
        session,
        user_id=learner_id,
        kind="struggling_skill",
        title=f"Let's revise {skill_name}",
        body=f"Your last answers on {skill_name} were wrong. Revise it with these lessons and easier "
        f"questions; the next quiz questions on it will be easier for a while.{first}",
        link=f"/api/v1/lessons/{lessons[0].lesson_id}"
        if lessons
        else f"/api/v1/learners/{learner_id}/mastery",
        data=revision,
        dedupe_key=f"{skill_id}:{now.isoformat()}",
    )
    record_event(
        session, actor_id=learner_id, verb="struggled", object_type="skill", object_id=skill_id,
        occurred_at=now, course_id=course_id,
        extensions={**revision, "lessons": [item["lesson_id"] for item in lesson_items],
                    "questions": [item["question_id"] for item in question_items],
                    "model_version": change.model_version,
                    **({"notification_id": str(notification_id)} if notification_id else {})},
    )  # fmt: skip
    return notification_id
