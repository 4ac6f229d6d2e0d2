{{ config(
    materialized='incremental',
    meta={'refresh_stamp': 'refreshed_at'},
    indexes=[{'columns': ['refreshed_at']}],
    pre_hook="{{ delete_grid_window(ref('int_enrollment_anchors'), with_window=false) }}",
    post_hook='{{ analyze_grid_model() }}',
    on_schema_change='fail',
) }}

{#
    The grid of days at which an enrollment's features are taken, from its anchors
    (int_enrollment_anchors, which says which grid days are on it): day k is the UTC date
    `anchor_date + k`, on the grid when it has ended (before today, UTC), lies within the run's length where
    the run has one, and the learner had registered by then: nothing on the grid is a day that has not
    happened, or one the enrollment did not exist on yet.

    Incremental by enrollment (dbt/macros/enrollment_grid.sql): a refresh re-grids the enrollments whose
    anchors changed since its newest row, whatever the window, since the grid reads no activity. A table,
    analysed once built, rather than a view: it is joined on (enrollment_id, day_k) downstream, and a
    view's row count is a guess that turns those joins into nested loops (the 2013 OULAD import did not
    finish in minutes).
#}

{%- set feature_days = var('enrollment_feature_days', [7, 14, 30, 60, 100, 150, 200, 250]) %}

with

anchors as (

    select * from {{ ref('int_enrollment_anchors') }} as anchors

    where not anchors.is_removed
        and {{ in_grid_window('anchors', ref('int_enrollment_anchors'), with_window=false) }}

),

grid_days as (

    select unnest(array[{{ feature_days | join(', ') }}]::integer[]) as day_k

),

final as (

    select
        anchors.enrollment_id,
        anchors.learner_id,
        anchors.course_id,
        anchors.course_run_id,
        grid_days.day_k,
        anchors.anchor_date,
        anchors.anchor_date + grid_days.day_k as as_of_date,
        anchors.starts_on,
        anchors.enrolled_on,
        anchors.unregistered_on,
        anchors.completed_on,
        {{ grid_refreshed_at() }} as refreshed_at

    from anchors
    cross join grid_days

    where grid_days.day_k between anchors.first_grid_k and anchors.last_grid_k

)

select * from final
