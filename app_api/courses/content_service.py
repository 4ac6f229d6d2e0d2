"""Modules and lessons of a course: visible with their course, changed by whoever may change it.

Positions order modules within a course and lessons within a course (across modules); they are unique, so
moving an item onto a taken position is a 409 (move the other one first). Every edit locks the course row,
which makes the free-position checks race-free. Events: ``created`` / ``updated`` (``extensions.changed``)
/ ``deleted`` with object ``module`` or ``lesson``, ``course_id`` and, for lessons, ``module_id``.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app_api.common.etags import etag
from app_api.common.loading import load
from app_api.common.pagination import keyset, page_of, parse_cursor
from app_api.courses import service as courses
from app_api.courses.models import Lesson, Module
from app_api.courses.schemas import (
    LessonCreate,
    LessonPage,
    LessonRead,
    LessonUpdate,
    ModuleCreate,
    ModulePage,
    ModuleRead,
    ModuleUpdate,
)
from skillstudio.errors import Conflict, InvalidContent
from skillstudio.events.recording import record_event
from skillstudio.web.principals import Principal

Item = Module | Lesson


def module_read(module: Module) -> ModuleRead:
    return ModuleRead.model_validate({**_columns(module), "etag": etag(module.module_id, module.version)})


def lesson_read(lesson: Lesson) -> LessonRead:
    return LessonRead.model_validate({**_columns(lesson), "etag": etag(lesson.lesson_id, lesson.version)})


def _columns(item: Item) -> dict[str, Any]:
    return {column.key: getattr(item, column.key) for column in item.__table__.columns}


def _event(session: Session, actor: Principal, verb: str, item: Item, **extensions: Any) -> None:
    is_lesson = isinstance(item, Lesson)
    record_event(
        session,
        actor_id=actor.user_id,
        verb=verb,
        object_type="lesson" if is_lesson else "module",
        object_id=item.lesson_id if isinstance(item, Lesson) else item.module_id,
        course_id=item.course_id,
        module_id=item.module_id,
        extensions=extensions,
    )


def _position(
    session: Session, model: type[Item], course_id: uuid.UUID, wanted: int | None, own: Item | None = None
) -> int:
    """``wanted`` if free in the course (409 if another item holds it), else the next after the last."""
    if wanted is None:
        last = session.scalar(select(func.max(model.position)).where(model.course_id == course_id))
        return (last or 0) + 1
    holder: Any = session.scalar(select(model).where(model.course_id == course_id, model.position == wanted))
    if holder is not None and holder is not own:
        kind = "lesson" if model is Lesson else "module"
        raise Conflict(
            f"Position {wanted} already holds {kind} {holder.title!r}; move that one first or leave position "
            "out to append.",
        )
    return wanted


def _module_of(session: Session, course_id: uuid.UUID, module_id: uuid.UUID | None) -> None:
    if module_id is None:
        return
    module = session.get(Module, module_id)
    if module is None or module.course_id != course_id:
        raise InvalidContent(
            f"Module {module_id} is not a module of this course.",
            errors=[{"field": "body.module_id", "message": "not a module of this course", "type": "unknown"}],
        )


def _touch(item: Item) -> None:
    item.version += 1
    item.updated_at = datetime.now(UTC)


def _apply(item: Item, changes: dict[str, Any]) -> list[str]:
    changed = sorted(name for name, value in changes.items() if getattr(item, name) != value)
    for name in changed:
        setattr(item, name, changes[name])
    return changed


# ---- modules


def list_modules(
    *, session: Session, viewer: Principal | None, course_id: uuid.UUID, cursor: str | None, limit: int
) -> ModulePage:
    courses.visible_course(session=session, viewer=viewer, course_id=course_id)
    after = parse_cursor(cursor, tag="modules", kinds=(int,))
    statement = keyset(
        select(Module).where(Module.course_id == course_id),
        columns=(Module.position,),
        after=after,
        limit=limit,
    )
    rows = session.scalars(statement).all()
    items, next_cursor = page_of(rows, limit=limit, tag="modules", key_of=lambda module: [module.position])
    return ModulePage(items=[module_read(module) for module in items], next_cursor=next_cursor)


def _visible_module(session: Session, viewer: Principal | None, module_id: uuid.UUID) -> Module:
    return load(
        session,
        Module,
        module_id,
        missing=f"There is no module {module_id}.",
        authorise=lambda module: courses.visible_course(
            session=session, viewer=viewer, course_id=module.course_id
        ),
    )


def get_module(*, session: Session, viewer: Principal | None, module_id: uuid.UUID) -> ModuleRead:
    return module_read(_visible_module(session, viewer, module_id))


def _editable_module(
    session: Session, actor: Principal, module_id: uuid.UUID, if_match: str | None
) -> Module:
    return load(
        session,
        Module,
        module_id,
        missing=f"There is no module {module_id}.",
        authorise=lambda module: courses.editable_course(
            session=session, actor=actor, course_id=module.course_id
        ),
        if_match=if_match,
        what="module",
    )


def create_module(
    *, session: Session, actor: Principal, course_id: uuid.UUID, data: ModuleCreate
) -> ModuleRead:
    courses.editable_course(session=session, actor=actor, course_id=course_id)
    now = datetime.now(UTC)
    module = Module(
        module_id=uuid.uuid4(),
        course_id=course_id,
        position=_position(session, Module, course_id, data.position),
        title=data.title,
        summary=data.summary,
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(module)
    session.flush()
    _event(session, actor, "created", module)
    return module_read(module)


def update_module(
    *, session: Session, actor: Principal, module_id: uuid.UUID, if_match: str | None, data: ModuleUpdate
) -> ModuleRead:
    module = _editable_module(session, actor, module_id, if_match)
    changes = data.model_dump(exclude_unset=True)
    if "position" in changes:
        _position(session, Module, module.course_id, changes["position"], own=module)
    changed = _apply(module, changes)
    if changed:
        _touch(module)
        session.flush()
        _event(session, actor, "updated", module, changed=changed)
    return module_read(module)


def delete_module(*, session: Session, actor: Principal, module_id: uuid.UUID, if_match: str | None) -> None:
    module = _editable_module(session, actor, module_id, if_match)
    lessons = session.scalar(select(func.count()).where(Lesson.module_id == module_id)) or 0
    if lessons:
        raise Conflict(f"Module {module.title!r} still holds {lessons} lessons; move or delete them first.")
    session.delete(module)
    session.flush()
    _event(session, actor, "deleted", module, title=module.title)


# ---- lessons


def list_lessons(
    *,
    session: Session,
    viewer: Principal | None,
    course_id: uuid.UUID,
    module_id: uuid.UUID | None,
    cursor: str | None,
    limit: int,
) -> LessonPage:
    courses.visible_course(session=session, viewer=viewer, course_id=course_id)
    statement = select(Lesson).where(Lesson.course_id == course_id)
    if module_id is not None:
        statement = statement.where(Lesson.module_id == module_id)
    after = parse_cursor(cursor, tag="lessons", kinds=(int,))
    rows = session.scalars(keyset(statement, columns=(Lesson.position,), after=after, limit=limit)).all()
    items, next_cursor = page_of(rows, limit=limit, tag="lessons", key_of=lambda lesson: [lesson.position])
    return LessonPage(items=[lesson_read(lesson) for lesson in items], next_cursor=next_cursor)


def visible_lesson(*, session: Session, viewer: Principal | None, lesson_id: uuid.UUID) -> Lesson:
    return load(
        session,
        Lesson,
        lesson_id,
        missing=f"There is no lesson {lesson_id}.",
        authorise=lambda lesson: courses.visible_course(
            session=session, viewer=viewer, course_id=lesson.course_id
        ),
    )


def get_lesson(*, session: Session, viewer: Principal | None, lesson_id: uuid.UUID) -> LessonRead:
    return lesson_read(visible_lesson(session=session, viewer=viewer, lesson_id=lesson_id))


def _editable_lesson(
    session: Session, actor: Principal, lesson_id: uuid.UUID, if_match: str | None
) -> Lesson:
    return load(
        session,
        Lesson,
        lesson_id,
        missing=f"There is no lesson {lesson_id}.",
        authorise=lambda lesson: courses.editable_course(
            session=session, actor=actor, course_id=lesson.course_id
        ),
        if_match=if_match,
        what="lesson",
    )


def create_lesson(
    *, session: Session, actor: Principal, course_id: uuid.UUID, data: LessonCreate
) -> LessonRead:
    courses.editable_course(session=session, actor=actor, course_id=course_id)
    _module_of(session, course_id, data.module_id)
    now = datetime.now(UTC)
    lesson = Lesson(
        lesson_id=uuid.uuid4(),
        course_id=course_id,
        position=_position(session, Lesson, course_id, data.position),
        **data.model_dump(exclude={"position"}),
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(lesson)
    session.flush()
    _event(session, actor, "created", lesson)
    return lesson_read(lesson)


def update_lesson(
    *, session: Session, actor: Principal, lesson_id: uuid.UUID, if_match: str | None, data: LessonUpdate
) -> LessonRead:
    lesson = _editable_lesson(session, actor, lesson_id, if_match)
    changes = data.model_dump(exclude_unset=True)
    if "module_id" in changes:
        _module_of(session, lesson.course_id, changes["module_id"])
    if "position" in changes:
        _position(session, Lesson, lesson.course_id, changes["position"], own=lesson)
    changed = _apply(lesson, changes)
    if changed:
        _touch(lesson)
        session.flush()
        _event(session, actor, "updated", lesson, changed=changed)
    return lesson_read(lesson)


def delete_lesson(*, session: Session, actor: Principal, lesson_id: uuid.UUID, if_match: str | None) -> None:
    """Delete a lesson (learners' progress on it goes with it; completed enrollments stay completed)."""
    lesson = _editable_lesson(session, actor, lesson_id, if_match)
    session.delete(lesson)
    session.flush()
    _event(session, actor, "deleted", lesson, title=lesson.title)
