"""How a refresh window reaches dbt: as environment variables that the macros read when they execute, so
that a run with a new window reuses the parse saved for its profile instead of parsing the project again.
The equivalence of day-by-day refreshes and a full build (test_incremental.py) proves the window's effect;
this module proves the parse is reused and a bad window is refused with its name."""

from __future__ import annotations

import pytest

from pipelines.defs.analytics.project import dbt_resource, window_environment
from tests.conftest import DbtDatabase

# The window's bounds as the macros resolve them, without any table to build.
SHOW_WINDOW = (
    "show",
    "--inline",
    "select '{{ refresh_bound('refresh_from') }}' as window_from, "
    "'{{ refresh_bound('refresh_to') }}' as window_to",
)


def _messages(database: DbtDatabase, *args: str, window: dict[str, str] | None = None) -> tuple[int, str]:
    invocation = dbt_resource(database.url, database.profiles).cli(
        list(args), raise_on_error=False, window=window
    )
    messages = [str(event.raw_event["info"]["msg"]) for event in invocation.stream_raw_events()]
    # No dbt adapter is opened in this process for an invocation (SkillStudioDbt): nothing reads one.
    assert invocation.adapter is None
    return invocation.process.returncode, "\n".join(messages)


def test_each_window_reuses_the_profiles_saved_parse(dbt_database: DbtDatabase) -> None:
    windows = [
        {"refresh_from": "2026-08-31", "refresh_to": "2026-09-01"},
        {"refresh_from": "2026-09-02", "refresh_to": "2026-09-02"},
        None,
    ]
    for window in windows:
        returncode, output = _messages(dbt_database, *SHOW_WINDOW, "--log-level", "debug", window=window)
        assert returncode == 0, output
        assert "Unable to do partial parsing" not in output
        assert "Nothing changed, skipping partial parsing" in output
        for bound in (window or {}).values():
            assert bound in output
    # The last run had no window: neither bound is set, whatever the previous runs were given.
    assert "2026-09-02" not in output
    assert "None" in output
    # One parse saved for the profile, which every run read.
    assert len(list((dbt_database.profiles / "partial_parse").glob("*.msgpack"))) == 1


@pytest.mark.parametrize(
    ("window", "message"),
    [
        ({"refresh_from": "yesterday"}, "refresh_from must be a date as YYYY-MM-DD, not 'yesterday'"),
        ({"refresh_to": "2026-02-30"}, "refresh_to must be a date as YYYY-MM-DD, not '2026-02-30'"),
        ({"refresh_form": "2026-02-01"}, "refresh_from and refresh_to only, not ['refresh_form']"),
    ],
)
def test_a_bad_window_is_refused_before_dbt_runs(window: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError) as refused:
        window_environment(window)
    assert message in str(refused.value)


def test_a_bad_bound_given_as_a_var_stops_dbt_with_its_name(dbt_database: DbtDatabase) -> None:
    returncode, output = _messages(dbt_database, *SHOW_WINDOW, "--vars", "{refresh_from: 'last week'}")
    assert returncode != 0
    assert "the refresh window's refresh_from must be a date as YYYY-MM-DD, not 'last week'" in output
