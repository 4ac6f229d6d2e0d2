{#
    The enrollment grid's refresh (dbt/README.md, "Incremental marts"). Each model of the grid chain
    (`int_enrollments_gridded`, the two `int_enrollment_grid_*_accumulated`, `fct_enrollment_features`)
    holds one row per enrollment and grid day and stamps every row it writes with `refreshed_at`, the start
    of the dbt run that wrote it. `int_enrollment_anchors` holds one row per enrollment: what its grid is
    made of (its anchor day, run length, registration, finish, outcome, how many grid days have ended) and
    the stamp of the run that last saw any of that change.

    A refresh from day d recomputes in each model the rows dated on or after d (new activity changes every
    later grid day; the grid itself does not read activity, so it skips this part), and every row of the
    enrollments whose anchors changed after the newest row the model holds (its watermark): new
    enrollments, finished or dropped ones, back-dated ones, those whose next grid day has just ended, and
    removed ones, whose rows go. A model that failed or was skipped keeps its older watermark, so its next
    run catches up with every anchor it missed. Nothing compares the history's millions of grid rows with
    what the model holds: a day's refresh reads the anchors (one row per enrollment) and writes a few
    thousand rows.

      config(materialized='incremental', on_schema_change='fail',
             meta={'refresh_stamp': 'refreshed_at'}, indexes=[{'columns': ['refreshed_at']}],
             pre_hook="{{ delete_grid_window(ref('int_enrollment_anchors')) }}")
      grid as (select * from {{ ref('int_enrollments_gridded') }} as gridded
               where {{ in_grid_window('gridded', ref('int_enrollment_anchors')) }})
      ... {{ grid_refreshed_at() }} as refreshed_at

    The index on the stamp makes the watermark a lookup, and a refresh's data tests read only the rows the
    run wrote, stamped from its start on (dbt/macros/test_window.sql, ``meta.refresh_stamp``).
#}

{#- The stamp of the rows this run writes: the run's start, the same for every model of one invocation. -#}
{% macro grid_refreshed_at() -%}
    timestamptz '{{ run_started_at.isoformat() }}'
{%- endmacro %}


{#
    The newest stamp the model holds, as a literal. It is read where it is used, when the model compiles
    and when its pre-hook renders: both before the pre-hook deletes rows, so the pre-hook and the model's
    query see the same value.
#}
{% macro grid_watermark() -%}
    {%- set held = none -%}
    {%- if execute and is_incremental() -%}
        {%- set held = run_query('select max(refreshed_at)::text from ' ~ this).columns[0].values()[0] -%}
    {%- endif -%}
    timestamptz '{{ held or "-infinity" }}'
{%- endmacro %}


{#- The enrollments whose anchors changed after the model's watermark: a subquery of their ids. -#}
{% macro regridded_enrollments(anchors) -%}
    select enrollment_id from {{ anchors }} where refreshed_at > {{ grid_watermark() }}
{%- endmacro %}


{#
    The rows a refresh recomputes, as a predicate on the grid aliased ``grid_alias``: those dated from the
    window's first day on (``with_window``) and those of re-gridded enrollments. A full build takes all.
#}
{% macro in_grid_window(grid_alias, anchors, with_window=true) -%}
    {%- if with_window -%}
        {{- declare_archive_dependency() -}}
    {%- endif -%}
    {%- if is_incremental() -%}
        (
            {%- if with_window %}{{ grid_alias }}.as_of_date >= {{ refresh_from('as_of_date') }} or {% endif -%}
            {{ grid_alias }}.enrollment_id in ({{ regridded_enrollments(anchors) }})
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#
    The pre-hook: the same rows go before the model inserts them again. So do the rows of enrollments the
    anchors no longer hold at all, but only when the anchors were built whole since the model's last run
    (their oldest stamp is newer than its watermark): a full build of the anchors forgets the enrollments
    it would have kept as removed.
#}
{% macro delete_grid_window(anchors, with_window=true) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} as held where {{ in_grid_window('held', anchors, with_window) }};
        delete from {{ this }} as held
        where (select min(refreshed_at) from {{ anchors }}) > {{ grid_watermark() }}
            and not exists (select 1 from {{ anchors }} as anchors where anchors.enrollment_id = held.enrollment_id)
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}


{#
    A grid model's inputs, narrowed on a refresh to the enrollments whose rows it recomputes (the `grid`
    CTE): a hashed semi join, so a day's refresh aggregates a few thousand enrollments' rows rather than
    the history's. A full build reads everything.
#}
{% macro of_grid_enrollments(grid_cte='grid') -%}
    {%- if is_incremental() -%}
        enrollment_id in (select enrollment_id from {{ grid_cte }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}


{#
    The post-hook of each model of the chain: fresh statistics before the next model reads it. The next one
    picks this run's rows by their stamp, which the statistics of the last run have never seen (the planner
    would take them for a handful of rows). A full build analyzes every column of the new table; a refresh
    changes a few thousand of its millions of rows, so it analyzes the stamp alone (half the time or less).
#}
{% macro analyze_grid_model() -%}
    analyze {{ this }}{% if is_incremental() %} (refreshed_at){% endif %}
{%- endmacro %}
