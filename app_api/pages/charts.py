"""Charts: Vega-Lite specs built with altair, rendered to SVG on the server by vl-convert.

One choice for every page (no JavaScript reaches the browser): the SVG is inlined in the page, so it is
drawn under a CSP without scripts, and each chart comes with its table so its numbers are readable without
the picture. Colours are the Okabe-Ito palette, distinguishable with the common colour-vision deficiencies;
lines also differ by dash so that colour is never the only cue.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

import altair as alt
import vl_convert
from markupsafe import Markup

# altair validates every object against the Vega-Lite schema as it is built: ~30 ms of jsonschema per chart,
# most of a page's time. The specs' shapes are fixed by this module and validated once in its tests
# (``Chart.spec`` through ``alt.Chart.from_dict``), so pages build them unvalidated.
alt.utils.schemapi.disable_debug_mode()

OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
DASHES = [[1, 0], [6, 3], [2, 2], [8, 2, 2, 2]]
WIDTH = 560
HEIGHT = 220


@dataclass(frozen=True)
class Chart:
    title: str
    svg: Markup
    columns: list[str]
    rows: list[list[Any]]
    spec: dict[str, Any]


@lru_cache(maxsize=512)
def _svg(spec_json: str) -> str:
    # Same data, same picture: the cache makes a page reloaded with unchanged marts cost no render.
    return str(vl_convert.vegalite_to_svg(json.loads(spec_json)))


def _render(
    chart: alt.Chart, description: str, values: list[dict[str, Any]]
) -> tuple[Markup, dict[str, Any]]:
    spec = chart.properties(width=WIDTH, height=HEIGHT, description=description).to_dict(validate=False)
    # The rows join the spec as plain JSON: altair would walk every value of them (tens of ms a chart).
    spec["data"] = {"values": values}
    svg = _svg(json.dumps(spec, sort_keys=True, default=str))
    # The SVG is vega's own output: text from our data (titles, labels) arrives escaped as XML text.
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{_attr(description)}" ', 1)), spec


def _rendered(
    chart: alt.Chart, values: list[dict[str, Any]], title: str, columns: list[str], table: list[list[Any]]
) -> tuple[Markup, list[str], list[list[Any]], dict[str, Any]]:
    svg, spec = _render(chart, title, values)
    return svg, columns, table, spec


def _attr(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def _date_axis(rows: Sequence[dict[str, Any]], x: str) -> alt.Axis:
    """About eight ticks on whole UTC days, so a short range never shows hours."""
    days = [date.fromisoformat(str(row[x])[:10]) for row in rows]
    span = (max(days) - min(days)).days if days else 0
    step = max(1, round(span / 8))
    return alt.Axis(format="%d %b", labelAngle=0, tickCount={"interval": "day", "step": step})


def line_chart(
    *,
    title: str,
    rows: Sequence[dict[str, Any]],
    x: str,
    x_title: str,
    series: Sequence[tuple[str, str]],
    y_title: str,
    y_format: str | None = None,
) -> Chart:
    """One line per ``(field, label)`` of ``series`` over ``x`` (ISO dates)."""
    long = [
        {x: str(row[x]), "series": label, "value": row[field]}
        for row in rows
        for field, label in series
        if row[field] is not None
    ]
    labels = [label for _, label in series]
    chart = (
        alt.Chart(alt.Data(name="rows"), title=title)
        .mark_line(point=True)
        .encode(
            x=alt.X(f"{x}:T", title=x_title, scale=alt.Scale(type="utc"), axis=_date_axis(rows, x)),
            # Counts get whole-number ticks; a format (a share) decides its own.
            y=alt.Y(
                "value:Q",
                title=y_title,
                axis=alt.Axis(format=y_format) if y_format else alt.Axis(format=",~r", tickMinStep=1),
            ),
            color=alt.Color(
                "series:N", title=None, scale=alt.Scale(domain=labels, range=OKABE_ITO[: len(labels)])
            ),
            strokeDash=alt.StrokeDash(
                "series:N", title=None, scale=alt.Scale(domain=labels, range=DASHES[: len(labels)])
            ),
        )
    )
    table = [[str(row[x]), *(row[field] for field, _ in series)] for row in rows]
    return Chart(title, *_rendered(chart, long, title, [x_title, *labels], table))


def bar_chart(
    *,
    title: str,
    rows: Sequence[dict[str, Any]],
    category: str,
    category_title: str,
    series: Sequence[tuple[str, str]],
    value_title: str,
    value_format: str | None = None,
) -> Chart:
    """Horizontal bars per ``category`` (in the given order), grouped when there are several series."""
    order = [str(row[category]) for row in rows]
    labels = [label for _, label in series]
    long = [
        {category: str(row[category]), "series": label, "value": row[field] or 0}
        for row in rows
        for field, label in series
    ]
    encoding: dict[str, Any] = {
        "y": alt.Y(f"{category}:N", title=category_title, sort=order),
        "x": alt.X(
            "value:Q",
            title=value_title,
            axis=alt.Axis(format=value_format) if value_format else alt.Axis(format=",~r", tickMinStep=1),
        ),
        "color": alt.Color(
            "series:N", title=None, scale=alt.Scale(domain=labels, range=OKABE_ITO[: len(labels)])
        ),
    }
    if len(series) > 1:
        encoding["yOffset"] = alt.YOffset("series:N", sort=labels)
    chart = alt.Chart(alt.Data(name="rows"), title=title).mark_bar().encode(**encoding)
    table = [[str(row[category]), *(row[field] for field, _ in series)] for row in rows]
    return Chart(title, *_rendered(chart, long, title, [category_title, *labels], table))


_warmed = False


def warm_up() -> None:
    """Render one small chart, once per process: vl-convert's first render starts its engine (~1 s), which
    the first person to open a dashboard should not wait for."""
    global _warmed
    if not _warmed:
        _warmed = True
        line_chart(title="warm-up", rows=[{"day": "2026-01-01", "n": 1}], x="day", x_title="Day",
                   series=[("n", "n")], y_title="n")  # fmt: skip
