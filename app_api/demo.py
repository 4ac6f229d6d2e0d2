"""Demo data: three accounts with known passwords and a small published catalogue with quizzes.

``seed_demo`` makes the learning API explorable from ``/docs`` right after ``skillstudio demo``: log in as
the learner, instructor or admin (``POST /api/v1/auth/login``), press "Authorize" with the access token,
and every route has something to act on: three published courses owned by the instructor (modules,
lessons, skill tags, the third requiring the first two), a question bank of every question type per
course, a fixed quiz per introductory course, an adaptive diagnostic over SQL and statistics, the
learner enrolled in the SQL course with one lesson done and one under way, and the statistics course
completed (after the goal's path was made), with its certificate drawn and verifiable.

Everything is written through the domain services, so each row comes with the learner event a user's
action would have written; the whole seed is one transaction of the caller's session (the caller
commits). It is idempotent: when the three accounts exist, a second call writes nothing and returns them
with the ids of what the first call created.

The CLI hook: ``skillstudio demo`` should call ``seed_demo`` after the history is generated (or imported)
and before serving, commit, and print each account's email, password and role next to the docs URL. The
passwords are fixed and public (``DEMO_PASSWORDS``): demo data is for a local machine, never production.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.orm import Session

from app_api.assessments import questions as question_bank
from app_api.assessments import service as assessments
from app_api.assessments.models import Assessment
from app_api.assessments.schemas import AssessmentCreate, QuestionCreate
from app_api.auth import passwords
from app_api.certificates import service as certificates
from app_api.courses import content_service as content
from app_api.courses import service as courses
from app_api.courses import skill_service as skills
from app_api.courses.models import Course, Lesson, Skill
from app_api.courses.schemas import CourseCreate, LessonCreate, ModuleCreate, SkillCreate
from app_api.demo_content import (
    CAPSTONE_COURSE,
    COURSES,
    SKILLS,
    SQL_COURSE,
    SQL_QUESTIONS,
    STATS_COURSE,
    STATS_QUESTIONS,
)
from app_api.enrollments import service as enrollments
from app_api.enrollments.models import Enrollment
from app_api.goals import service as goals
from app_api.goals.models import LearningGoal
from app_api.goals.schemas import GoalCreate, GoalSkillTarget
from app_api.paths import service as paths
from app_api.progress import service as progress
from app_api.progress.schemas import LessonProgressUpdate
from app_api.reactions import install_reactions
from app_api.social.demo import seed_social
from app_api.users import service as users
from app_api.users.models import User
from skillstudio.object_storage import store_from_settings
from skillstudio.settings import Settings
from skillstudio.web.principals import Principal

# role -> (email, password, display name). Public on purpose: printed by `skillstudio demo`.
DEMO_PASSWORDS: dict[str, tuple[str, str, str]] = {
    "admin": ("admin@demo.skillstudio.test", "demo-admin-password", "Ada Admin"),
    "instructor": ("instructor@demo.skillstudio.test", "demo-instructor-password", "Ivan Instructor"),
    "learner": ("learner@demo.skillstudio.test", "demo-learner-password", "Lea Learner"),
}
# Classmates of the demo learner, who discuss and review the SQL course (issue 15): learners like the learner.
DEMO_CLASSMATES: dict[str, tuple[str, str]] = {
    "classmate-carl": ("carl@demo.skillstudio.test", "Carl Classmate"),
    "classmate-dana": ("dana@demo.skillstudio.test", "Dana Classmate"),
}
CLASSMATE_PASSWORD = "demo-classmate-password"
QUIZ_TITLES = {SQL_COURSE: "SQL Foundations check-up", STATS_COURSE: "Statistics check-up"}
DIAGNOSTIC_TITLE = "Where do you stand in SQL and statistics?"


@dataclass(frozen=True)
class DemoAccount:
    role: str
    email: str
    password: str
    user_id: uuid.UUID


@dataclass(frozen=True)
class DemoAccounts:
    """The demo's accounts and the ids a visitor of /docs needs first."""

    learner: DemoAccount
    instructor: DemoAccount
    admin: DemoAccount
    course_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    quiz_ids: dict[str, uuid.UUID] = field(default_factory=dict)
    diagnostic_id: uuid.UUID | None = None
    enrollment_id: uuid.UUID | None = None
    created: bool = False
    goal_id: uuid.UUID | None = None
    certificate_code: str | None = None
    """The verification code of the learner's certificate of the statistics course."""

    def all(self) -> list[DemoAccount]:
        return [self.learner, self.instructor, self.admin]


def seed_demo(session: Session, *, settings: Settings) -> DemoAccounts:
    """Create the demo accounts and catalogue (or find them when present); the caller commits."""
    install_reactions()  # the demo's own activity earns what a learner's would
    existing = {
        role: users.find_by_email(session=session, email=email)
        for role, (email, _, _) in DEMO_PASSWORDS.items()
    }
    if all(existing.values()):
        return _found(session, {role: user for role, user in existing.items() if user is not None})
    if any(existing.values()):
        taken = sorted(DEMO_PASSWORDS[role][0] for role, user in existing.items() if user is not None)
        raise RuntimeError(
            f"Only some demo accounts exist ({', '.join(taken)}): a previous seed was changed by hand. "
            "Delete those accounts, or start from an empty SKILLSTUDIO_HOME, and run the demo again."
        )
    now = datetime.now(UTC)
    admin = _account(session, settings, "admin", now, actor_id=None)
    accounts = {
        "admin": admin,
        "instructor": _account(session, settings, "instructor", now, actor_id=admin.user_id),
        "learner": _account(session, settings, "learner", now, actor_id=admin.user_id),
    }
    admin_principal = Principal(user_id=admin.user_id, role="admin")
    instructor = Principal(user_id=accounts["instructor"].user_id, role="instructor")
    learner = Principal(user_id=accounts["learner"].user_id, role="learner")
    skill_ids = _skills(session, admin_principal)
    course_ids = _catalogue(session, instructor)
    banks = {
        SQL_COURSE: _bank(session, instructor, course_ids[SQL_COURSE], SQL_QUESTIONS, skill_ids),
        STATS_COURSE: _bank(session, instructor, course_ids[STATS_COURSE], STATS_QUESTIONS, skill_ids),
    }
    quiz_ids = {
        title: _assessment(
            session, instructor, course_ids[title], question_ids[:4],
            title=QUIZ_TITLES[title], pass_threshold=0.6, max_attempts=3, time_limit_s=1800,
        )
        for title, question_ids in banks.items()
    }  # fmt: skip
    diagnostic_bank = _bank(
        session, instructor, course_ids[CAPSTONE_COURSE], SQL_QUESTIONS + STATS_QUESTIONS, skill_ids
    )
    diagnostic_id = _assessment(
        session, instructor, course_ids[CAPSTONE_COURSE], diagnostic_bank, title=DIAGNOSTIC_TITLE,
        assessment_type="diagnostic", selection="adaptive", target_standard_error=0.6, max_questions=8,
    )  # fmt: skip
    enrollment_id = _learner_progress(session, learner, course_ids[SQL_COURSE])
    goal_id = _learner_goal(session, learner, skill_ids)
    _discussion_and_reviews(session, settings, instructor, learner, course_ids[SQL_COURSE], now)
    certificate_code = _learner_completes(session, learner, course_ids[STATS_COURSE], settings)
    credentials = _credentials(accounts)
    return DemoAccounts(
        learner=credentials["learner"],
        instructor=credentials["instructor"],
        admin=credentials["admin"],
        course_ids=course_ids,
        quiz_ids=quiz_ids,
        diagnostic_id=diagnostic_id,
        enrollment_id=enrollment_id,
        created=True,
        goal_id=goal_id,
        certificate_code=certificate_code,
    )


def _account(
    session: Session, settings: Settings, role: str, now: datetime, *, actor_id: uuid.UUID | None
) -> User:
    email, password, display_name = DEMO_PASSWORDS[role]
    return users.create_user(
        session=session,
        email=email,
        display_name=display_name,
        password_hash=passwords.hash_password(settings, password),
        now=now,
        role=role,
        actor_id=actor_id,
    )


def _credentials(accounts: dict[str, User]) -> dict[str, DemoAccount]:
    return {
        role: DemoAccount(role=role, email=email, password=password, user_id=accounts[role].user_id)
        for role, (email, password, _) in DEMO_PASSWORDS.items()
    }


def _skills(session: Session, admin: Principal) -> dict[str, uuid.UUID]:
    """The demo's skills by slug; a skill the generated history already holds is reused, not duplicated."""
    found: dict[str, uuid.UUID] = {}
    for slug, (name, parent) in SKILLS.items():
        existing = session.scalar(select(Skill.skill_id).where(Skill.slug == slug))
        if existing is None:
            existing = skills.create_skill(
                session=session, actor=admin, data=SkillCreate(slug=slug, name=name, parent=parent)
            ).skill_id
        found[slug] = existing
    return found


def _catalogue(session: Session, instructor: Principal) -> dict[str, uuid.UUID]:
    """The instructor's published courses, created in order so that prerequisites exist first."""
    course_ids: dict[str, uuid.UUID] = {}
    for title, spec in COURSES.items():
        course = courses.create_course(
            session=session,
            actor=instructor,
            data=CourseCreate(
                title=title,
                subject=spec["subject"],
                level=spec["level"],
                description=spec["description"],
                skills=spec["skills"],
                prerequisites=[course_ids[required] for required in spec["prerequisites"]],
            ),
        )
        for module_title, lessons in spec["modules"].items():
            module = content.create_module(
                session=session,
                actor=instructor,
                course_id=course.course_id,
                data=ModuleCreate(title=module_title),
            )
            for lesson_title, minutes in lessons:
                content.create_lesson(
                    session=session,
                    actor=instructor,
                    course_id=course.course_id,
                    data=LessonCreate(
                        title=lesson_title, estimated_minutes=minutes, module_id=module.module_id
                    ),
                )
        courses.change_status(
            session=session, actor=instructor, course_id=course.course_id, action="publish", if_match=None
        )
        course_ids[title] = course.course_id
    return course_ids


# Validates a plain dict into the question type its ``question_type`` names, as the route's body does.
_QUESTION: TypeAdapter[Any] = TypeAdapter(QuestionCreate)


def _bank(
    session: Session,
    instructor: Principal,
    course_id: uuid.UUID,
    specs: list[dict[str, Any]],
    skill_ids: dict[str, uuid.UUID],
) -> list[uuid.UUID]:
    created = []
    for spec in specs:
        body = {key: value for key, value in spec.items() if key != "skill"}
        data = _QUESTION.validate_python({**body, "skill_id": skill_ids[spec["skill"]]})
        created.append(
            question_bank.create_question(
                session, principal=instructor, course_id=course_id, data=data
            ).question_id
        )
    return created


def _assessment(
    session: Session,
    instructor: Principal,
    course_id: uuid.UUID,
    question_ids: list[uuid.UUID],
    **fields: Any,
) -> uuid.UUID:
    data = AssessmentCreate(status="published", question_ids=question_ids, **fields)
    return assessments.create_assessment(
        session, principal=instructor, course_id=course_id, data=data
    ).assessment_id


def _learner_progress(session: Session, learner: Principal, course_id: uuid.UUID) -> uuid.UUID:
    """Enroll the learner, finish the first lesson and get 40% through the second."""
    enrollment, _ = enrollments.enroll(session=session, actor=learner, course_id=course_id)
    first, second = session.scalars(
        select(Lesson.lesson_id).where(Lesson.course_id == course_id).order_by(Lesson.position).limit(2)
    ).all()
    for lesson_id, update in (
        (first, LessonProgressUpdate(completed=True, time_spent_s=840)),
        (second, LessonProgressUpdate(percent=40, time_spent_s=300)),
    ):
        progress.report(
            session=session,
            actor=learner,
            enrollment_id=enrollment.enrollment_id,
            lesson_id=lesson_id,
            data=update,
        )
    return enrollment.enrollment_id


def _learner_completes(
    session: Session, learner: Principal, course_id: uuid.UUID, settings: Settings
) -> str | None:
    """Enroll the learner and finish every lesson, which issues the course's certificate; then draw its PDF
    (the worker's step, done here so that the demo's certificate downloads at once)."""
    enrollment, _ = enrollments.enroll(session=session, actor=learner, course_id=course_id)
    lesson_ids = session.scalars(
        select(Lesson.lesson_id).where(Lesson.course_id == course_id).order_by(Lesson.position)
    ).all()
    for lesson_id in lesson_ids:
        progress.report(
            session=session,
            actor=learner,
            enrollment_id=enrollment.enrollment_id,
            lesson_id=lesson_id,
            data=LessonProgressUpdate(completed=True, time_spent_s=1200),
        )
    certificates.render_pending_in(
        session, store=store_from_settings(settings), public_url=settings.public_url
    )
    return certificates.verification_code(session, user_id=learner.user_id, course_id=course_id)


def _learner_goal(session: Session, learner: Principal, skill_ids: dict[str, uuid.UUID]) -> uuid.UUID:
    """A goal of SQL 9 and statistics 8 in twelve weeks at 3 h/week, with its generated learning path."""
    goal = goals.create_goal(
        session, principal=learner,
        data=GoalCreate(
            title="Data analyst", deadline=datetime.now(UTC).date() + timedelta(weeks=12), hours_per_week=3,
            skills=[GoalSkillTarget(skill_id=skill_ids["sql"], target_level=9),
                    GoalSkillTarget(skill_id=skill_ids["statistics"], target_level=8)],
        ),
    )  # fmt: skip
    paths.generate_path(session, principal=learner, goal_id=goal.goal_id)
    return goal.goal_id


def _discussion_and_reviews(
    session: Session, settings: Settings, instructor: Principal, learner: Principal, course_id: uuid.UUID,
    now: datetime,
) -> None:  # fmt: skip
    """Two classmates, then the SQL course's discussion and reviews (``app_api.social.demo``)."""
    password_hash = passwords.hash_password(settings, CLASSMATE_PASSWORD)
    classmates = [
        Principal(
            user_id=users.create_user(
                session=session, email=email, display_name=name, password_hash=password_hash, now=now
            ).user_id,
            role="learner",
        )
        for email, name in DEMO_CLASSMATES.values()
    ]
    seed_social(session, course_id=course_id, instructor=instructor, learner=learner, classmates=classmates)


def _found(session: Session, accounts: dict[str, User]) -> DemoAccounts:
    """The result of an earlier seed, looked up by the instructor's course titles."""
    instructor_id = accounts["instructor"].user_id
    course_ids = {
        title: course_id
        for title, course_id in session.execute(
            select(Course.title, Course.course_id).where(
                Course.instructor_id == instructor_id, Course.title.in_(list(COURSES))
            )
        )
    }
    by_title = {
        (course_id, title): assessment_id
        for course_id, title, assessment_id in session.execute(
            select(Assessment.course_id, Assessment.title, Assessment.assessment_id).where(
                Assessment.course_id.in_(list(course_ids.values()))
            )
        )
    }
    quiz_ids = {
        course: by_title[(course_ids[course], title)]
        for course, title in QUIZ_TITLES.items()
        if course in course_ids and (course_ids[course], title) in by_title
    }
    capstone = course_ids.get(CAPSTONE_COURSE)
    enrollment_id = session.scalar(
        select(Enrollment.enrollment_id).where(
            Enrollment.user_id == accounts["learner"].user_id,
            Enrollment.course_id == course_ids.get(SQL_COURSE),
        )
    )
    credentials = _credentials(accounts)
    return DemoAccounts(
        learner=credentials["learner"],
        instructor=credentials["instructor"],
        admin=credentials["admin"],
        course_ids=course_ids,
        quiz_ids=quiz_ids,
        diagnostic_id=by_title.get((capstone, DIAGNOSTIC_TITLE)) if capstone else None,
        enrollment_id=enrollment_id,
        goal_id=session.scalar(
            select(LearningGoal.goal_id)
            .where(LearningGoal.user_id == accounts["learner"].user_id)
            .order_by(LearningGoal.created_at)
            .limit(1)
        ),
        certificate_code=certificates.verification_code(
            session, user_id=accounts["learner"].user_id, course_id=course_ids[STATS_COURSE]
        )
        if STATS_COURSE in course_ids
        else None,
    )
