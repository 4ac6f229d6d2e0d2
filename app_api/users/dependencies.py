"""Access rules of the accounts routes as ``Annotated`` dependencies, stated the same way by every route."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import Depends, Path

from app_api.users.exceptions import ProfileForbiddenError
from skillstudio.web.security import CurrentUser, Principal, RequireRole


def _profile_reader(
    user: CurrentUser, learner_id: Annotated[uuid.UUID, Path(description="The learner's user id.")]
) -> Principal:
    # Checked before looking the learner up, so a 404 never tells a stranger that an account exists.
    if not user.can_act_for(learner_id):
        raise ProfileForbiddenError()
    return user


SelfOrAdmin = Annotated[Principal, Depends(_profile_reader)]
"""The learner named in the path, or an admin; everyone else (instructors included) gets 403."""

Admin = Annotated[Principal, RequireRole("admin")]
