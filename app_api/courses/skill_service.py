"""The skills taxonomy: a forest of skills addressed by slug; admins change it, everyone reads it."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import exists, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from app_api.common.etags import etag
from app_api.common.loading import load
from app_api.common.pagination import keyset, page_of, parse_cursor
from app_api.courses.models import CourseSkill, Skill
from app_api.courses.schemas import SkillCreate, SkillPage, SkillRead, SkillUpdate
from skillstudio.errors import Conflict, InvalidContent, NotFound
from skillstudio.events.recording import record_event
from skillstudio.web.principals import Principal

_Parent = aliased(Skill)
_CURSOR = "skills"


def _read_statement() -> Any:
    return select(Skill, _Parent.slug).outerjoin(_Parent, _Parent.skill_id == Skill.parent_skill_id)


def _read(skill: Skill, parent_slug: str | None) -> SkillRead:
    return SkillRead(
        skill_id=skill.skill_id,
        slug=skill.slug,
        name=skill.name,
        parent_skill_id=skill.parent_skill_id,
        parent=parent_slug,
        version=skill.version,
        etag=etag(skill.skill_id, skill.version),
        created_at=skill.created_at,
        updated_at=skill.updated_at,
    )


def list_skills(*, session: Session, parent: str | None, cursor: str | None, limit: int) -> SkillPage:
    """Skills in creation order; ``parent`` (a slug) keeps that skill's direct children only."""
    statement = _read_statement()
    if parent is not None:
        statement = statement.where(_Parent.slug == parent)
    after = parse_cursor(cursor, tag=_CURSOR, kinds=(datetime, uuid.UUID))
    statement = keyset(statement, columns=(Skill.created_at, Skill.skill_id), after=after, limit=limit)
    rows: list[Any] = list(session.execute(statement).all())
    items, next_cursor = page_of(
        rows, limit=limit, tag=_CURSOR, key_of=lambda row: [row[0].created_at, row[0].skill_id]
    )
    return SkillPage(items=[_read(skill, slug) for skill, slug in items], next_cursor=next_cursor)


def get_skill(*, session: Session, skill_id: uuid.UUID) -> SkillRead:
    row = session.execute(_read_statement().where(Skill.skill_id == skill_id)).first()
    if row is None:
        raise NotFound(f"There is no skill {skill_id}; GET /api/v1/skills lists them.")
    return _read(row[0], row[1])


def skills_by_slug(*, session: Session, slugs: Sequence[str], field: str) -> list[Skill]:
    """The skills named by ``slugs`` (duplicates ignored); a 422 naming each unknown slug."""
    wanted = list(dict.fromkeys(slugs))
    found = {skill.slug: skill for skill in session.scalars(select(Skill).where(Skill.slug.in_(wanted)))}
    missing = [(index, slug) for index, slug in enumerate(slugs) if slug not in found]
    if missing:
        raise InvalidContent(
            f"Unknown skill slugs: {', '.join(sorted({slug for _, slug in missing}))}. "
            "GET /api/v1/skills lists them; admins create new ones.",
            errors=[
                {
                    "field": f"body.{field}.{index}",
                    "message": f"no skill has slug {slug!r}",
                    "type": "unknown",
                }
                for index, slug in missing
            ],
        )
    return [found[slug] for slug in wanted]


def _parent_id(session: Session, slug: str | None) -> uuid.UUID | None:
    if slug is None:
        return None
    return skills_by_slug(session=session, slugs=[slug], field="parent")[0].skill_id


def _check_no_cycle(session: Session, skill: Skill, parent_id: uuid.UUID | None) -> None:
    """Walk up from the new parent; meeting the skill itself means the change would close a cycle."""
    chain: list[Skill] = []
    current = parent_id
    while current is not None:
        ancestor = session.get(Skill, current)
        if ancestor is None:
            return
        chain.append(ancestor)
        if ancestor.skill_id == skill.skill_id:
            cycle = [skill.slug, *(item.slug for item in chain)]
            raise InvalidContent(
                f"A skill cannot be its own ancestor: {' -> '.join(cycle)} (each skill's parent follows it). "
                "Choose a parent outside its subtree.",
                cycle=cycle,
            )
        current = ancestor.parent_skill_id


def _slug_free(session: Session, slug: str, skill_id: uuid.UUID | None = None) -> None:
    taken = session.scalar(select(Skill.skill_id).where(Skill.slug == slug))
    if taken is not None and taken != skill_id:
        raise Conflict(f"The slug {slug!r} is taken by skill {taken}; choose another.")


def _flush(session: Session, slug: str, new: Skill | None = None) -> None:
    """Flush in a savepoint, so that losing a race for the slug leaves the transaction usable (409)."""
    try:
        # The new row is added inside the savepoint: begin_nested() flushes pending rows first, outside it.
        with session.begin_nested():
            if new is not None:
                session.add(new)
            session.flush()
    except IntegrityError as error:
        raise Conflict(f"The slug {slug!r} was taken meanwhile; choose another.") from error


def _event(session: Session, actor: Principal, verb: str, skill: Skill, **extensions: Any) -> None:
    record_event(
        session,
        actor_id=actor.user_id,
        verb=verb,
        object_type="skill",
        object_id=skill.skill_id,
        extensions={"slug": skill.slug, **extensions},
    )


def create_skill(*, session: Session, actor: Principal, data: SkillCreate) -> SkillRead:
    _slug_free(session, data.slug)
    now = datetime.now(UTC)
    skill = Skill(
        skill_id=uuid.uuid4(),
        slug=data.slug,
        name=data.name,
        parent_skill_id=_parent_id(session, data.parent),
        created_at=now,
        updated_at=now,
        version=1,
    )
    _flush(session, data.slug, new=skill)
    _event(session, actor, "created", skill)
    return get_skill(session=session, skill_id=skill.skill_id)


def _locked(session: Session, skill_id: uuid.UUID, if_match: str | None) -> Skill:
    return load(
        session,
        Skill,
        skill_id,
        missing=f"There is no skill {skill_id}; GET /api/v1/skills lists them.",
        lock=True,
        if_match=if_match,
        what="skill",
    )


def update_skill(
    *, session: Session, actor: Principal, skill_id: uuid.UUID, if_match: str | None, data: SkillUpdate
) -> SkillRead:
    skill = _locked(session, skill_id, if_match)
    changes = data.model_dump(exclude_unset=True)
    if "parent" in changes:
        changes["parent_skill_id"] = _parent_id(session, changes.pop("parent"))
        _check_no_cycle(session, skill, changes["parent_skill_id"])
    if "slug" in changes:
        _slug_free(session, changes["slug"], skill.skill_id)
    changed = sorted(name for name, value in changes.items() if getattr(skill, name) != value)
    if not changed:
        return get_skill(session=session, skill_id=skill_id)
    for name in changed:
        setattr(skill, name, changes[name])
    skill.version += 1
    skill.updated_at = datetime.now(UTC)
    _flush(session, skill.slug)
    _event(session, actor, "updated", skill, changed=changed)
    return get_skill(session=session, skill_id=skill_id)


def delete_skill(*, session: Session, actor: Principal, skill_id: uuid.UUID, if_match: str | None) -> None:
    """Delete an unused leaf skill; one still tagged on courses, held in learner levels or parent to other
    skills is kept (409), since deleting it would silently change those."""
    skill = _locked(session, skill_id, if_match)
    if session.scalar(select(exists().where(Skill.parent_skill_id == skill_id))):
        raise Conflict(f"Skill {skill.slug!r} has child skills; move or delete them first.")
    if session.scalar(select(exists().where(CourseSkill.skill_id == skill_id))):
        raise Conflict(f"Skill {skill.slug!r} is tagged on courses; untag it from them first.")
    in_levels = text("select exists (select 1 from learner_skill_levels where skill_id = :skill_id)")
    if session.scalar(in_levels, {"skill_id": skill_id}):
        raise Conflict(f"Learners hold levels in skill {skill.slug!r}; it cannot be deleted.")
    try:
        with session.begin_nested():
            session.delete(skill)
            session.flush()
    except IntegrityError as error:
        raise Conflict(f"Skill {skill.slug!r} is still used elsewhere; it cannot be deleted.") from error
    _event(session, actor, "deleted", skill)
