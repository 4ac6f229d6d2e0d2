"""The demo course's discussion and reviews (issue 15: "the demo course has a discussion and reviews").

In the SQL course: the demo learner asks a question in a thread that the instructor pins; two classmates
and the instructor answer, nested three levels deep. The classmates, further along than the learner,
review the course (5 and 4 stars) and the instructor responds to one review. The demo learner has
completed a quarter of the course, so they may still write their own review from /docs. Everything goes
through the services, so each post comes with its event.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app_api.courses import service as courses
from app_api.enrollments import service as enrollments
from app_api.progress import service as progress
from app_api.progress.schemas import LessonProgressUpdate
from app_api.social import reviews, service
from app_api.social.schemas import CommentCreate, ResponseWrite, ReviewCreate, ThreadCreate, ThreadModeration
from skillstudio.web.principals import Principal

THREAD_TITLE = "Is LEFT JOIN the same as LEFT OUTER JOIN?"


@dataclass(frozen=True)
class SocialDemo:
    thread_id: uuid.UUID
    review_ids: list[uuid.UUID]


def _complete(session: Session, learner: Principal, course_id: uuid.UUID, lessons: int) -> None:
    enrollment, _ = enrollments.enroll(session=session, actor=learner, course_id=course_id)
    lesson = courses.lesson_rows().subquery("lesson")
    rows = session.execute(
        select(lesson.c.lesson_id).where(lesson.c.course_id == course_id).order_by(lesson.c.position)
    ).all()
    for row in rows[:lessons]:
        progress.report(
            session=session, actor=learner, enrollment_id=enrollment.enrollment_id, lesson_id=row.lesson_id,
            data=LessonProgressUpdate(completed=True, time_spent_s=600),
        )  # fmt: skip


def seed_social(
    session: Session,
    *,
    course_id: uuid.UUID,
    instructor: Principal,
    learner: Principal,
    classmates: list[Principal],
) -> SocialDemo:
    """The discussion and reviews of ``course_id``; the learner is enrolled already, the classmates not."""
    carl, dana = classmates
    _complete(session, carl, course_id, 2)
    _complete(session, dana, course_id, 4)
    thread = service.create_thread(
        session, principal=learner, course_id=course_id,
        data=ThreadCreate(title=THREAD_TITLE, body="The lesson uses both. Do they ever give different rows?"),
    )  # fmt: skip

    def comment(author: Principal, body: str, parent: uuid.UUID | None = None) -> uuid.UUID:
        data = CommentCreate(body=body, parent_comment_id=parent)
        return service.create_comment(
            session, principal=author, thread_id=thread.thread_id, data=data
        ).comment_id

    answer = comment(carl, "They are the same: OUTER is optional in LEFT, RIGHT and FULL joins.")
    follow_up = comment(learner, "Thanks! And does the ON condition behave like WHERE?", answer)
    comment(dana, "Not for outer joins: ON decides matches, WHERE filters after the join.", follow_up)
    comment(instructor, "Good question; lesson 3 has an exercise on exactly this.")
    service.moderate_thread(
        session, principal=instructor, thread_id=thread.thread_id, data=ThreadModeration(pinned=True)
    )
    carl_review = reviews.create_review(
        session, principal=carl, course_id=course_id,
        data=ReviewCreate(stars=5, body="Short lessons, and every quiz question taught me something."),
    )  # fmt: skip
    dana_review = reviews.create_review(
        session, principal=dana, course_id=course_id,
        data=ReviewCreate(stars=4, body="Clear; I wanted more exercises on window functions."),
    )  # fmt: skip
    reviews.respond(
        session, principal=instructor, review_id=dana_review.review_id,
        data=ResponseWrite(body="Thank you: a window-functions module is on its way."),
    )  # fmt: skip
    return SocialDemo(thread_id=thread.thread_id, review_ids=[carl_review.review_id, dana_review.review_id])
