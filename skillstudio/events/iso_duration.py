"""ISO 8601 durations as xAPI uses them (``PT1M30.5S``), to and from seconds.

Only fixed-length parts are read (weeks, days, hours, minutes, seconds): a year or a month has no fixed
length in seconds, so a duration using them is rejected with a reason instead of being guessed.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from skillstudio.events.contract import shown

_NUMBER = r"(\d+(?:[.,]\d+)?)"
_DURATION = re.compile(
    rf"^P(?=[\dT])(?:{_NUMBER}W)?(?:{_NUMBER}D)?(?:T(?=\d)(?:{_NUMBER}H)?(?:{_NUMBER}M)?(?:{_NUMBER}S)?)?$"
)
_CALENDAR = re.compile(r"^P(?:\d+(?:[.,]\d+)?[YM])")
_SECONDS = (7 * 86_400, 86_400, 3_600, 60, 1)


def parse_duration(value: Any) -> float:
    """Seconds in an ISO 8601 duration such as ``PT1M30.5S`` or ``P1DT2H``; ``ValueError`` otherwise,
    whatever JSON value ``value`` is."""
    if not isinstance(value, str):
        raise ValueError(f'must be an ISO 8601 duration string such as "PT1M30.5S", not {shown(value)}')
    return _seconds(value)


# Cached: the durations of a stream of statements repeat a lot, and this runs once per statement. Only
# strings get here, because a cache hashes its argument and a JSON object or array cannot be hashed.
@lru_cache(maxsize=65_536)
def _seconds(value: str) -> float:
    match = _DURATION.match(value)
    if match is None:
        if _CALENDAR.match(value):
            raise ValueError(
                f"{shown(value)} uses years or months, which have no fixed length; give days, hours, minutes "
                'and seconds instead (e.g. "P30D", "PT1M30.5S")'
            )
        raise ValueError(f'{shown(value)} is not an ISO 8601 duration such as "PT1M30.5S"')
    seconds = 0.0
    for part, unit in zip(match.groups(), _SECONDS, strict=True):
        if part is not None:
            seconds += float(part.replace(",", ".")) * unit
    return seconds


def format_duration(seconds: float) -> str:
    """``PT[hH][mM][s.sssS]`` to the millisecond, e.g. 90.5 -> ``PT1M30.5S`` and 0 -> ``PT0S``."""
    milliseconds = round(seconds * 1000)
    hours, rest = divmod(milliseconds, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    text = "PT"
    if hours:
        text += f"{hours}H"
    if minutes:
        text += f"{minutes}M"
    if rest or not (hours or minutes):
        text += f"{rest / 1000:g}S"
    return text
