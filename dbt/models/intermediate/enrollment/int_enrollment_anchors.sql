{{ config(
    materialized='incremental',
    unique_key='enrollment_id',
    incremental_strategy='delete+insert',
    meta={'refresh_stamp': 'refreshed_at'},
    on_schema_change='fail',
) }}

{#
    What each enrollment's grid of feature days is made of (dbt/macros/enrollment_grid.sql): day k counts
    from the run's first day (`starts_on`), or from the day of enrollment when the enrollment has no run,
    and is the UTC date `anchor_date + k`. A grid day is on the grid when it has ended (before today, UTC),
    lies within the run's length where the run has one, and the learner had registered by then; since the
    grid days are sorted, those are the ones from `first_grid_k` through `last_grid_k` (both null when
    none is). The enrollment's status and outcome are here because the features' label is read from them.

    Incremental by enrollment: a refresh writes the enrollments whose row would differ from the one held
    (new, changed, or with a grid day that has just ended) and marks those no longer in the source as
    removed, each stamped with the run (`refreshed_at`); the grid chain re-grids exactly those. Every
    enrollment is compared, but there is one row per enrollment here, not one per grid day.
#}

{%- set feature_days = var('enrollment_feature_days', [7, 14, 30, 60, 100, 150, 200, 250]) | sort %}
{%- set grid_days = 'array[' ~ feature_days | join(', ') ~ ']::integer[]' %}

with

enrollments as (

    select * from {{ ref('stg_skillstudio__enrollments') }}

),

course_runs as (

    select * from {{ ref('stg_skillstudio__course_runs') }}

),

anchored as (

    select
        enrollments.enrollment_id,
        enrollments.user_id as learner_id,
        enrollments.course_id,
        enrollments.course_run_id,
        enrollments.enrollment_status,
        enrollments.enrollment_outcome,
        course_runs.starts_on,
        course_runs.length_days,
        (enrollments.enrolled_at at time zone 'UTC')::date as enrolled_on,
        (enrollments.unregistered_at at time zone 'UTC')::date as unregistered_on,
        (enrollments.completed_at at time zone 'UTC')::date as completed_on,
        coalesce(course_runs.starts_on, (enrollments.enrolled_at at time zone 'UTC')::date) as anchor_date

    from enrollments
    left join course_runs
        on course_runs.course_run_id = enrollments.course_run_id

),

bounded as (

    select
        anchored.*,
        -- The grid days k with enrolled_on <= anchor_date + k ...
        anchored.enrolled_on - anchored.anchor_date as from_k,
        -- ... within the run, and whose day has ended: anchor_date + k < today.
        least(
            coalesce(anchored.length_days, 2147483647),
            (now() at time zone 'UTC')::date - anchored.anchor_date - 1
        ) as through_k

    from anchored

),

indexed as (

    select
        bounded.*,
        -- width_bucket over the sorted grid days counts those <= its operand: the first grid day from
        -- from_k on, and the last through through_k, by their positions (1-based).
        width_bucket(bounded.from_k - 1, {{ grid_days }}) + 1 as first_k_index,
        width_bucket(bounded.through_k, {{ grid_days }}) as last_k_index

    from bounded

),

gridded as (

    select
        enrollment_id,
        learner_id,
        course_id,
        course_run_id,
        enrollment_status,
        enrollment_outcome,
        anchor_date,
        starts_on,
        length_days,
        enrolled_on,
        unregistered_on,
        completed_on,
        case when last_k_index >= first_k_index then ({{ grid_days }})[first_k_index] end as first_grid_k,
        case when last_k_index >= first_k_index then ({{ grid_days }})[last_k_index] end as last_grid_k,
        false as is_removed

    from indexed

),

{% if is_incremental() %}

changed as (

    select gridded.*

    from gridded

    where not exists (
        select 1 from {{ this }} as held
        where held.enrollment_id = gridded.enrollment_id
            and (
                held.learner_id, held.course_id, held.course_run_id, held.enrollment_status,
                held.enrollment_outcome, held.anchor_date, held.starts_on, held.length_days,
                held.enrolled_on, held.unregistered_on, held.completed_on, held.first_grid_k,
                held.last_grid_k, held.is_removed
            ) is not distinct from (
                gridded.learner_id, gridded.course_id, gridded.course_run_id, gridded.enrollment_status,
                gridded.enrollment_outcome, gridded.anchor_date, gridded.starts_on, gridded.length_days,
                gridded.enrolled_on, gridded.unregistered_on, gridded.completed_on, gridded.first_grid_k,
                gridded.last_grid_k, gridded.is_removed
            )
    )

),

removed as (

    select
        held.enrollment_id,
        held.learner_id,
        held.course_id,
        held.course_run_id,
        held.enrollment_status,
        held.enrollment_outcome,
        held.anchor_date,
        held.starts_on,
        held.length_days,
        held.enrolled_on,
        held.unregistered_on,
        held.completed_on,
        null::integer as first_grid_k,
        null::integer as last_grid_k,
        true as is_removed

    from {{ this }} as held

    where not held.is_removed
        and not exists (select 1 from enrollments where enrollments.enrollment_id = held.enrollment_id)

),

final as (

    select * from changed
    union all
    select * from removed

)

{% else %}

final as (

    select * from gridded

)

{% endif %}

select
    final.*,
    {{ grid_refreshed_at() }} as refreshed_at

from final
