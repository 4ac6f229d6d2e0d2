{#
    The incremental convention (dbt/README.md, "Incremental marts"). A mart that reads events is
    materialized incrementally by UTC day; a run refreshes the days from ``refresh_from`` to ``refresh_to``
    (dates as 'YYYY-MM-DD', see ``refresh_bound``; Dagster passes its partition range). Without a window an
    incremental run refreshes from the mart's last day through today. Days whose events are archived to the lake are
    never refreshed: the window starts after the last archived month, so their rows stay as they were.

    A model uses three macros:
      config(materialized='incremental', tags=['daily'],
             pre_hook="{{ delete_refresh_window('activity_date') }}", on_schema_change='fail')
      ... where {{ in_refresh_window_utc('occurred_at') }} ...                  (read side, on events)
      ... where {{ in_refresh_window('activity_date', lookback_days=29) }} ... (read side, on day columns)
      ... where {{ in_refresh_window('activity_date') }} ...                   (write side)
    The pre-hook deletes the window's rows; the model then inserts the window again (the default
    ``append`` strategy), so a day that lost its events loses its rows too.
#}

{#
    A bound of the window, ``name`` being 'refresh_from' or 'refresh_to': the dbt var if one is given
    (``--vars``, a unit test's ``overrides``), else the environment's SKILLSTUDIO_REFRESH_FROM /
    SKILLSTUDIO_REFRESH_TO, which is how the pipeline passes it. The environment is read only when dbt
    executes, never while it parses: dbt reparses the whole project when its ``--vars`` change, but not
    for an environment variable no parsed file read, so a day's refresh reuses the last parse
    (pipelines/defs/analytics/project.py). none when the run has no window.
#}
{% macro refresh_bound(name) -%}
    {%- set value = var(name, none) -%}
    {%- if value is none and execute -%}
        {%- set value = env_var('SKILLSTUDIO_' ~ name | upper, '') or none -%}
    {%- endif -%}
    {%- if value is not none and not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', value | string) -%}
        {%- do exceptions.raise_compiler_error(
            "the refresh window's " ~ name ~ " must be a date as YYYY-MM-DD, not '" ~ value ~ "'"
        ) -%}
    {%- endif -%}
    {%- do return(value) -%}
{%- endmacro %}


{% macro first_unarchived_day() -%}
    (
        select coalesce((max(month) + interval '1 month')::date, date '0001-01-01')
        from {{ source('skillstudio', 'learner_event_archive') }}
    )
{%- endmacro %}


{% macro refresh_from(day_column='activity_date') -%}
    {%- set window_from = refresh_bound('refresh_from') -%}
    {%- if window_from is not none -%}
        greatest(date '{{ window_from }}', {{ first_unarchived_day() }})
    {%- else -%}
        {#- Read once, when the model compiles: the pre-hook deletes from this very day, and a subquery
            evaluated after the delete would move the window back a day. -#}
        {%- set last_day = none -%}
        {%- if execute -%}
            {%- set last_day = run_query(
                'select max(' ~ day_column ~ ')::text from ' ~ this
            ).columns[0].values()[0] -%}
        {%- endif -%}
        greatest(date '{{ last_day or "0001-01-01" }}', {{ first_unarchived_day() }})
    {%- endif -%}
{%- endmacro %}


{% macro refresh_to() -%}
    {%- set window_to = refresh_bound('refresh_to') -%}
    {%- if window_to is not none -%}
        date '{{ window_to }}'
    {%- else -%}
        date '9999-12-31'
    {%- endif -%}
{%- endmacro %}


{#
    dbt records a model's sources when it parses the model, as a full build (is_incremental() false), so a
    source read only on the incremental path would be missing from the lineage, and dbt's unit tests could
    not mock it. Calling it here, whatever the path, makes learner_event_archive a parent of every model
    that uses the window.
#}
{% macro declare_archive_dependency() -%}
    {%- do source('skillstudio', 'learner_event_archive') -%}
{%- endmacro %}


{#
    The predicate a model puts on the rows it reads or writes. ``lookback_days`` widens the read side for
    rolling windows (WAU reads 6 days back, MAU 29). A full build keeps every row. ``day_column`` of the
    target names the column the window is measured on in {{ this }} when no vars are given.
#}
{% macro in_refresh_window(column, lookback_days=0, target_day_column='activity_date') -%}
    {{- declare_archive_dependency() -}}
    {%- if is_incremental() -%}
        ({{ column }} >= {{ refresh_from(target_day_column) }} - {{ lookback_days }}
            and {{ column }} <= {{ refresh_to() }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#
    The same window on a timestamp column, as a half-open range of UTC instants: the predicate a model
    puts on ``occurred_at`` when it reads events. A predicate on the derived ``occurred_on`` cannot prune
    learner_events' month partitions, so a one-day refresh would scan every month; this one scans the
    window's months only.
#}
{% macro in_refresh_window_utc(column, lookback_days=0, target_day_column='activity_date') -%}
    {{- declare_archive_dependency() -}}
    {%- if is_incremental() -%}
        ({{ column }} >= ({{ refresh_from(target_day_column) }} - {{ lookback_days }})::timestamp at time zone 'UTC'
            and {{ column }} < ({{ refresh_to() }} + 1)::timestamp at time zone 'UTC')
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#
    The pre-hook: delete the window's rows before the model inserts them again (``lookback_days`` earlier
    for a model whose rows depend on later days, as an uptake window does). It runs only on an
    incremental run; a full build refuses to run while months are archived (``guard_full_build``).
#}
{% macro delete_refresh_window(day_column='activity_date', lookback_days=0) -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where {{ day_column }} >= {{ refresh_from(day_column) }} - {{ lookback_days }}
            and {{ day_column }} <= {{ refresh_to() }}
    {%- else -%}
        {{ guard_full_build() }}
    {%- endif -%}
{%- endmacro %}


{#
    A full build reads only what is in learner_events. If months are archived, their days would be lost
    from the mart, so the build stops and says so, unless ``drop_archived_days: true`` is passed on
    purpose (the mart then starts after the archive). Rendered as a statement that raises in the database,
    so it holds whether or not dbt checks the archive at compile time.
#}
{% macro guard_full_build() -%}
    {%- if var('drop_archived_days', false) -%}
        select 1
    {%- else -%}
        do $guard$
        begin
            if exists (select 1 from {{ source('skillstudio', 'learner_event_archive') }}) then
                raise exception using
                    message = 'full build of {{ this }} refused: learner_events months up to '
                        || (select max(month)::text from {{ source('skillstudio', 'learner_event_archive') }})
                        || ' are archived to the lake, and a full build would lose their days',
                    hint = 'run it incrementally (the default), restore the months first, or pass '
                        || '--vars ''{drop_archived_days: true}'' to build from the first unarchived day';
            end if;
        end
        $guard$
    {%- endif -%}
{%- endmacro %}


{#
    A pre-hook for a model that joins several aggregates of one CTE back together. PostgreSQL cannot know
    how many groups an aggregate of a CTE has (it guesses 200) and, from a guess of one row, plans nested
    loops that compare every row with every other: measured on a day's refresh at 5 million events, 16
    million comparisons and 1.4 s of the model's 2.8 s. The marts have no indexes for a nested loop to use,
    so hash joins are never the worse plan here. `set local` ends with the model's transaction.
#}
{% macro without_nested_loops() -%}
    set local enable_nestloop = off
{%- endmacro %}
