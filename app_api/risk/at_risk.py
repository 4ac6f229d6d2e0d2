"""A course's at-risk page as one statement: whether the course exists, whether the viewer may read it, and
the page itself as JSON that PostgreSQL builds, in one round trip.

Why not rows and pydantic: a page of 50 learners took three queries (the course, the page, the names) and
~2.5 ms of Python to validate and encode 50 items with 150 reasons, per request. PostgreSQL builds the same
document in well under a millisecond, next to the rows it reads. The document has ``AtRiskLearner``'s keys
in its order; timestamps are written as pydantic writes a UTC datetime (``...T10:20:30.123456Z``, no
fraction when it is zero); numbers are PostgreSQL's shortest exact form (``extra_float_digits`` at its
default, 1), so they read back as the same floats.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Float,
    Integer,
    Select,
    Text,
    Uuid,
    bindparam,
    case,
    cast,
    column,
    exists,
    func,
    literal,
    or_,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import JSONB, aggregate_order_by

from app_api.common.pagination import keyset
from app_api.courses import service as courses
from app_api.enrollments import service as enrollments
from app_api.risk.models import CompletionRiskScore
from app_api.users import service as users


def _utc_timestamp(value: Any) -> ColumnElement[str]:
    """``value`` (timestamptz) as pydantic writes a UTC datetime, whatever the session's time zone."""
    utc = func.timezone("UTC", value)
    micros = func.to_char(utc, "US")
    fraction = case((micros == "000000", ""), else_="." + micros)
    return func.to_char(utc, 'YYYY-MM-DD"T"HH24:MI:SS') + fraction + "Z"


def _array(aggregated: Any) -> ColumnElement[Any]:
    """``json_agg`` of no rows is null; an empty list is ``[]``."""
    return func.coalesce(aggregated, func.json_build_array())


def _reasons(reasons: Any) -> ColumnElement[Any]:
    """The stored reasons (a JSONB array) with ``RiskReason``'s keys in its order (JSONB sorts them)."""
    reason = func.jsonb_array_elements(reasons).table_valued(column("value", JSONB)).alias("reason")
    value = reason.c.value
    built = func.json_build_object(
        "feature", value["feature"], "text", value["text"], "value", value["value"],
        "contribution", value["contribution"],
    )  # fmt: skip
    return (
        select(func.coalesce(func.json_agg(built), func.json_build_array()))
        .select_from(reason)
        .scalar_subquery()
    )


@cache
def page_statement(*, after: bool) -> Select[Any]:
    """One row: ``found`` (the course exists), ``allowed`` (the viewer is an admin or its instructor),
    ``items`` (the page's JSON array, empty unless allowed), ``more`` (a row follows the page) and the
    sort key of the page's last item (``last_risk``, ``last_id``).

    Built once per shape (first page, or after a cursor): composing it costs more Python than running it.
    """
    course_rows = courses.course_rows().subquery("course_row")
    course = (
        select(course_rows.c.instructor_id)
        .where(course_rows.c.course_id == bindparam("course_id", type_=Uuid))
        .cte("course")
    )
    allowed = (
        select(literal(1))
        .select_from(course)
        .where(
            or_(
                bindparam("is_admin", type_=Boolean) == true(),
                course.c.instructor_id == bindparam("viewer_id", type_=Uuid),
            )
        )
        .cte("allowed")
    )
    score = CompletionRiskScore
    enrollment = enrollments.enrollment_rows().subquery("enrollment")
    sort_key = (score.risk, score.enrollment_id)
    ranked = (
        select(
            score.enrollment_id, enrollment.c.user_id, score.probability, score.risk, score.band,
            score.reasons, score.day_k, score.scored_at,
            func.row_number().over(order_by=[key.desc() for key in sort_key]).label("place"),
        )
        .join(enrollment, enrollment.c.enrollment_id == score.enrollment_id)
        .where(
            score.course_id == bindparam("course_id", type_=Uuid),
            score.risk >= bindparam("min_risk", type_=Float),
            exists(allowed.select()),
        )
    )  # fmt: skip
    limit = bindparam("limit", type_=Integer)
    after_key = [bindparam("after_risk", type_=Float), bindparam("after_id", type_=Uuid)] if after else None
    # The keyset order and bound every list of the API uses, one row past the page.
    page = keyset(ranked, columns=sort_key, after=after_key, limit=limit, descending=True).cte("page")
    names = users.display_name_rows().subquery("name")
    item = func.json_build_object(
        "enrollment_id", page.c.enrollment_id, "user_id", page.c.user_id,
        "display_name", names.c.display_name, "probability", page.c.probability, "risk", page.c.risk,
        "band", page.c.band, "reasons", _reasons(page.c.reasons), "day_k", page.c.day_k,
        "scored_at", _utc_timestamp(page.c.scored_at),
    )  # fmt: skip
    items = (
        select(cast(_array(func.json_agg(aggregate_order_by(item, page.c.place))), Text))
        .select_from(page.outerjoin(names, names.c.user_id == page.c.user_id))
        .where(page.c.place <= limit)
        .scalar_subquery()
    )
    last = page.c.place == limit
    return select(
        exists(course.select()).label("found"),
        exists(allowed.select()).label("allowed"),
        items.label("items"),
        (select(func.count()).select_from(page).scalar_subquery() > limit).label("more"),
        select(page.c.risk).where(last).scalar_subquery().label("last_risk"),
        select(page.c.enrollment_id).where(last).scalar_subquery().label("last_id"),
    )
