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
"""

from __future__ import annotations

import uuid

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
    enrollment = enrollments.get_enrollment(session=session, viewer=principal, enrollment_id=enrollment_id)
    base = {"enrollment_id": enrollment_id, "course_id": enrollment.course_id}
    outlines = courses.catalogue_outlines(session, course_ids=[enrollment.course_id])
    if not outlines:
        raise NotFound(f"The course of enrollment {enrollment_id} no longer exists.")
    course = outlines[0]
    completed = completed_courses(session, enrollment.user_id)
    missing = [ref for ref in courses.prerequisites(session, course_id=course.course_id)
               if ref.course_id not in completed]  # fmt: skip
    if missing:
        first = missing[0]
        return NextStepRead(
            **base, kind="prerequisite", prerequisite_course_id=first.course_id, title=first.title,
            reason=f"{course.title} requires {first.title}; complete it first.",
        )  # fmt: skip
    done = progress.completed_lessons(session, enrollment_ids=[enrollment_id])
    required = [lesson for lesson in course.lessons if lesson.is_required]
    pending = next((lesson for lesson in required if lesson.lesson_id not in done), None)
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
        quizzes = assessments.course_quizzes(session, course_id=course.course_id, user_id=enrollment.user_id)
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
    share = sum(1 for lesson in required if lesson.lesson_id in done) / max(1, len(required))
    expected = lo + (hi - lo) * share
    levels = current_levels(session, enrollment.user_id)
    names = {s.skill_id: s.name for s in courses.skills_by_id(session, skill_ids=skills).values()}
    low = sorted(
        (levels[s], names.get(s, "?"))
        for s in skills
        if s in levels and levels[s] < expected - REVISION_MARGIN
    )
    if not low:
        return candidate
    level, name = low[0]
    lesson = revisable[-1]
    return NextStepRead(
        **base, kind="revision", lesson_id=lesson.lesson_id, title=lesson.title, then=candidate,
        reason=(
            f"Revise {lesson.title} first: your {name} level is {_fmt(level)}, more than"
            f" {_fmt(REVISION_MARGIN)} below the {_fmt(expected)} expected by now in this course."
        ),
    )  # fmt: skip
