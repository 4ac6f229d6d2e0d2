"""The next step of an enrollment: the next lesson or quiz, in order, after prerequisites, revision first.

Order. A course's prerequisites come first: while one is not completed, the step is that course
(``prerequisite``). Then its required lessons by position (optional ones are never "next"); each lesson
needs the ones before it, so the first one not completed is the candidate. Assessments carry no position
among lessons, so a course's quizzes (published, diagnostics aside, by due date then creation) come after
its required lessons; a quiz is done once graded without failing. Nothing left: ``done``.

Revision. The candidate's skills are its questions' skills for a quiz and the course's skills for a lesson.
Where the learner's profile level on one of them (kept current by the mastery model) is more than
``REVISION_MARGIN`` levels below where the course should have brought them by now — the bottom of the
course's difficulty band plus the band's width times the share of required lessons completed (see
``planner.band``) — the step is ``revision`` of the last lesson completed before the candidate, and the
candidate follows in ``then``. Unknown levels never trigger revision (there is no evidence to act on), nor
does anything before the first completed lesson (nothing to revise yet).

Several enrollments at once (``next_steps``: a learner's page) share the reads that do not depend on the
enrollment — the courses' outlines, prerequisites' titles, completed courses, skill levels and names — so a
page with five courses costs a few queries more than one, not five times as many.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from app_api.assessments import service as assessments
from app_api.courses import service as courses
from app_api.enrollments import service as enrollments
from app_api.paths.planner import band
from app_api.paths.schemas import NextStepRead
from app_api.paths.service import completed_courses, current_levels
from app_api.progress import service as progress
from skillstudio.errors import NotFound
from skillstudio.web.principals import Principal

REVISION_MARGIN = 1.5


def _fmt(level: float) -> str:
    return f"{level:.1f}".rstrip("0").rstrip(".")


def next_step(session: Session, *, principal: Principal, enrollment_id: uuid.UUID) -> NextStepRead:
    """The next step of one enrollment (``GET /enrollments/{id}/next``)."""
    return next_steps(session, principal=principal, enrollment_ids=[enrollment_id])[0]


@dataclass
class _Shared:
    """Reads shared by the enrollments of one call, each made once and only when a step needs it."""

    session: Session
    outlines: dict[uuid.UUID, courses.outlines.CourseOutline]
    titles: dict[uuid.UUID, str]
    completed: dict[uuid.UUID, set[uuid.UUID]] = field(default_factory=dict)
    levels: dict[uuid.UUID, dict[uuid.UUID, float]] = field(default_factory=dict)
    names: dict[uuid.UUID, str] = field(default_factory=dict)

    def completed_courses(self, learner: uuid.UUID) -> set[uuid.UUID]:
        if learner not in self.completed:
            self.completed[learner] = completed_courses(self.session, learner)
        return self.completed[learner]

    def current_levels(self, learner: uuid.UUID) -> dict[uuid.UUID, float]:
        if learner not in self.levels:
            self.levels[learner] = current_levels(self.session, learner)
        return self.levels[learner]

    def skill_names(self, skills: set[uuid.UUID]) -> dict[uuid.UUID, str]:
        unknown = {skill for skill in skills if skill not in self.names}
        if unknown:
            found = courses.skills_by_id(self.session, skill_ids=unknown)
            self.names.update({skill: found[skill].name if skill in found else "?" for skill in unknown})
        return self.names


def next_steps(
    session: Session, *, principal: Principal, enrollment_ids: Sequence[uuid.UUID]
) -> list[NextStepRead]:
    """The next step of each enrollment, in the order given (each as ``next_step`` answers it alone)."""
    if not enrollment_ids:
        return []
    found = [
        enrollments.get_enrollment(session=session, viewer=principal, enrollment_id=enrollment_id)
        for enrollment_id in enrollment_ids
    ]
    outlines = {
        outline.course_id: outline
        for outline in courses.catalogue_outlines(session, course_ids={e.course_id for e in found})
    }
    required_courses = {course for outline in outlines.values() for course in outline.prerequisite_ids}
    titles = courses.course_titles(session, course_ids=sorted(required_courses)) if required_courses else {}
    shared = _Shared(session, outlines, titles)
    return [
        _step(shared, enrollment_id, e.user_id, e.course_id)
        for enrollment_id, e in zip(enrollment_ids, found, strict=True)
    ]


def _step(
    shared: _Shared, enrollment_id: uuid.UUID, learner: uuid.UUID, course_id: uuid.UUID
) -> NextStepRead:
    session = shared.session
    base = {"enrollment_id": enrollment_id, "course_id": course_id}
    course = shared.outlines.get(course_id)
    if course is None:
        raise NotFound(f"The course of enrollment {enrollment_id} no longer exists.")
    completed = shared.completed_courses(learner)
    # The course's prerequisites that exist, by title (then id), as the catalogue lists them.
    required = sorted(
        (shared.titles[prerequisite], prerequisite)
        for prerequisite in course.prerequisite_ids
        if prerequisite in shared.titles
    )
    missing = [(title, prerequisite) for title, prerequisite in required if prerequisite not in completed]
    if missing:
        title, first = missing[0]
        return NextStepRead(
            **base, kind="prerequisite", prerequisite_course_id=first, title=title,
            reason=f"{course.title} requires {title}; complete it first.",
        )  # fmt: skip
    done = progress.completed_lessons(session, enrollment_ids=[enrollment_id])
    required_lessons = [lesson for lesson in course.lessons if lesson.is_required]
    pending = next((lesson for lesson in required_lessons if lesson.lesson_id not in done), None)
    candidate: NextStepRead
    skills: set[uuid.UUID]
    if pending is not None:
        candidate = NextStepRead(
            **base, kind="lesson", lesson_id=pending.lesson_id, title=pending.title,
            reason=f"The next lesson in order (lesson {pending.position}).",
        )  # fmt: skip
        skills = set(course.skill_ids)
        before = [lesson for lesson in course.lessons if lesson.position < pending.position]
    else:
        quizzes = assessments.course_quizzes(session, course_id=course.course_id, user_id=learner)
        quiz = next((quiz for quiz in quizzes if not quiz.done), None)
        if quiz is None:
            return NextStepRead(**base, kind="done", reason="Every required lesson and quiz is done.")
        candidate = NextStepRead(
            **base, kind="quiz", assessment_id=quiz.assessment_id, title=quiz.title,
            reason="Every required lesson is done: the course's next quiz.",
        )  # fmt: skip
        skills = set(quiz.skill_ids or course.skill_ids)
        before = list(course.lessons)
    revisable = [lesson for lesson in before if lesson.lesson_id in done]
    if not revisable or not skills:
        return candidate
    lo, hi = band(course.level)
    share = sum(1 for lesson in required_lessons if lesson.lesson_id in done) / max(1, len(required_lessons))
    expected = lo + (hi - lo) * share
    levels = shared.current_levels(learner)
    measured = {s for s in skills if s in levels and levels[s] < expected - REVISION_MARGIN}
    if not measured:
        return candidate
    names = shared.skill_names(measured)
    level, name = min((levels[s], names[s]) for s in measured)
    lesson = revisable[-1]
    return NextStepRead(
        **base, kind="revision", lesson_id=lesson.lesson_id, title=lesson.title, then=candidate,
        reason=(
            f"Revise {lesson.title} first: your {name} level is {_fmt(level)}, more than"
            f" {_fmt(REVISION_MARGIN)} below the {_fmt(expected)} expected by now in this course."
        ),
    )  # fmt: skip
