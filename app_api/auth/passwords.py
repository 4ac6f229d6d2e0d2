"""Password hashing with argon2id (argon2-cffi), its cost taken from the settings.

The stored value is argon2's PHC string, which names the algorithm and its parameters, so raising the
cost in the settings is noticed per hash (``check_needs_rehash``) and each password is rehashed at its
owner's next successful login, without anyone resetting it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from skillstudio.settings import Settings


@dataclass(frozen=True)
class Verification:
    matches: bool
    needs_rehash: bool = False


@lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_kib: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib, parallelism=parallelism, type=Type.ID)


def hasher_for(settings: Settings) -> PasswordHasher:
    return _hasher(settings.argon2_time_cost, settings.argon2_memory_kib, settings.argon2_parallelism)


@lru_cache(maxsize=8)
def _decoy_hash(hasher: PasswordHasher) -> str:
    return hasher.hash("decoy password that matches no account")


def hash_password(settings: Settings, password: str) -> str:
    return hasher_for(settings).hash(password)


def verify_password(settings: Settings, stored_hash: str | None, password: str) -> Verification:
    """Check a password against a stored hash; ``None`` (no account, or an account without a password)
    never matches but costs the same time, so response times do not reveal which emails exist."""
    hasher = hasher_for(settings)
    try:
        hasher.verify(stored_hash or _decoy_hash(hasher), password)
    except (VerificationError, InvalidHashError):
        return Verification(matches=False)
    if stored_hash is None:
        return Verification(matches=False)
    return Verification(matches=True, needs_rehash=hasher.check_needs_rehash(stored_hash))
