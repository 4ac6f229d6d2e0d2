"""Refusals of the accounts domain: domain errors with the wording and members the API has always sent."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from skillstudio.errors import Conflict, Forbidden, InvalidContent, NotFound


class UserNotFoundError(NotFound):
    def __init__(self, user_id: uuid.UUID) -> None:
        super().__init__(f"There is no user {user_id}.", user_id=str(user_id))


class EmailTakenError(Conflict):
    def __init__(self) -> None:
        super().__init__(
            "An account with this email already exists; log in, or register with another address."
        )


class OwnRoleChangeError(Conflict):
    def __init__(self) -> None:
        # Refused so that the last admin cannot lock everyone out by demoting themselves.
        super().__init__("Admins cannot change their own role; ask another admin.")


class ProfileForbiddenError(Forbidden):
    def __init__(self) -> None:
        super().__init__("A learner profile is visible to its learner and to admins only.")


class MeasuredLevelConflictError(Conflict):
    """A self-assessment would replace a measured level; nothing of the request was applied."""

    def __init__(self, skill_ids: Sequence[uuid.UUID]) -> None:
        listed = ", ".join(str(skill_id) for skill_id in skill_ids)
        super().__init__(
            f"Your level on {listed} was measured (by a diagnostic, an import or an admin), so a "
            "self-assessment does not replace it; leave these skills out, or take the diagnostic again.",
            skill_ids=[str(skill_id) for skill_id in skill_ids],
        )


class UnknownSkillsError(InvalidContent):
    def __init__(self, positions: Sequence[tuple[int, uuid.UUID]]) -> None:
        super().__init__(
            "The request is not valid.",
            errors=[
                {
                    "field": f"body.skill_levels.{index}.skill_id",
                    "message": f"There is no skill {skill_id}; use a skill id from the catalogue.",
                    "type": "unknown_skill",
                }
                for index, skill_id in positions
            ],
        )
