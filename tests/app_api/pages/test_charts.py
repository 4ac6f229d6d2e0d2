"""Issue 14, point 5: the charts' Vega-Lite specs are valid, titled, labelled and drawn with marks."""

from __future__ import annotations

import altair as alt

from app_api.pages.charts import OKABE_ITO, bar_chart, line_chart


def _checked(chart: object) -> None:
    spec = chart.spec  # type: ignore[attr-defined]
    alt.Chart.from_dict(spec, validate=True)  # pages skip validation; the shapes are checked here
    svg = str(chart.svg)  # type: ignore[attr-defined]
    assert 'class="mark-' in svg and "role-mark" in svg
    assert chart.title in svg  # type: ignore[attr-defined]


def test_a_line_chart_has_a_title_labelled_axes_a_safe_palette_and_its_table() -> None:
    rows = [{"day": f"2026-03-{n:02d}", "dau": n, "mau": 10 * n} for n in range(1, 8)]
    chart = line_chart(
        title="Active learners", rows=rows, x="day", x_title="Day", series=[("dau", "DAU"), ("mau", "MAU")],
        y_title="Learners",
    )  # fmt: skip
    _checked(chart)
    assert ">Day<" in str(chart.svg) and ">Learners<" in str(chart.svg)
    assert chart.spec["encoding"]["color"]["scale"]["range"] == OKABE_ITO[:2]
    assert chart.columns == ["Day", "DAU", "MAU"]
    assert chart.rows[2] == ["2026-03-03", 3, 30]


def test_a_bar_chart_escapes_its_labels() -> None:
    rows = [{"course": "<script>x()</script>", "n": 3, "m": 1}, {"course": "B & C", "n": 2, "m": 2}]
    chart = bar_chart(
        title="Top", rows=rows, category="course", category_title="Course",
        series=[("n", "Enrollments"), ("m", "Completions")], value_title="Learners",
    )  # fmt: skip
    _checked(chart)
    assert "<script>" not in str(chart.svg) and "&lt;script&gt;" in str(chart.svg)
    assert str(chart.svg).count('aria-roledescription="bar"') + str(chart.svg).count("role-mark") > 0
