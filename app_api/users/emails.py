"""Email normalisation: one spelling per address, so uniqueness and login ignore case and stray spaces.

Decision: the whole address is lower-cased, not only the domain. RFC 5321 lets a mail server treat the
local part as case-sensitive, but practically none does, and users type their address with varying case;
keeping case would let ``Ann@x.org`` and ``ann@x.org`` become two accounts of one person and make login
fail on a capital letter. The database backs this with a unique index on ``lower(email)``.

Syntax is checked by email-validator without DNS (no network at request time). The reserved ``.test``
top-level domain (RFC 2606) is accepted because generated and demo accounts use it; the other special-use
names (localhost, local, invalid, onion, arpa) are refused.
"""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email

MAX_EMAIL_LENGTH = 320


class InvalidEmailError(ValueError):
    """The text is not an email address; the message says why, in words a user understands."""


def normalise_email(raw: str) -> str:
    """The stored form of an address: trimmed, syntax-checked, IDNA/Unicode-normalised, lower case."""
    try:
        checked = validate_email(raw.strip(), check_deliverability=False, test_environment=True)
    except EmailNotValidError as error:
        raise InvalidEmailError(str(error)) from error
    return checked.normalized.lower()
