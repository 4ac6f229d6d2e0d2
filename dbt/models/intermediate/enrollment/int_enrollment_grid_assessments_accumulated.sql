{{ config(
    materialized='incremental',
    meta={'refresh_stamp': 'refreshed_at'},
    indexes=[{'columns': ['refreshed_at']}],
    pre_hook=[
        "{{ delete_grid_window(ref('int_enrollment_anchors')) }}",
        "{{ without_nested_loops() }}",
    ],
    post_hook='{{ analyze_grid_model() }}',
    on_schema_change='fail',
) }}

{#
    Assessment work as known at the end of each grid day: an assessment is due by day k when its due date
    is on or before it, submitted when its first submission is, late when that submission came after the
    due time, and missed when it is due but not submitted by day k (a later submission does not count yet).
    Scores are those of graded attempts submitted by day k, every attempt counted: the mean so far, the last
    (the mean of those submitted at the latest instant, OULAD dating several on one day), the trend (last
    minus mean) and, where assessments carry weights, the weighted mean of each assessment's latest score.

    Incremental like the grid (dbt/macros/enrollment_grid.sql, `in_grid_window`): a refresh from day d
    recomputes the rows with `as_of_date >= d` and every row of the enrollments re-gridded since its newest
    row, so a day's refresh reads a few thousand enrollments rather than the whole history. Analysed once
    built: it is joined on (enrollment_id, day_k) downstream, and a row count that is a guess turns those
    joins into nested loops (the 2013 OULAD import did not finish in minutes).
#}

with

grid as (

    select * from {{ ref('int_enrollments_gridded') }} as gridded

    where {{ in_grid_window('gridded', ref('int_enrollment_anchors')) }}

),

enrollment_assessments as (

    select * from {{ ref('int_enrollment_assessments_joined') }}

    where {{ of_grid_enrollments() }}

),

attempts as (

    select * from {{ ref('stg_skillstudio__assessment_attempts') }}

    where {{ of_grid_enrollments() }}

),

scored_attempts as (

    select
        attempts.enrollment_id,
        attempts.assessment_id,
        attempts.submitted_at,
        (attempts.submitted_at at time zone 'UTC')::date as submitted_on,
        attempts.score_scaled::numeric as score,
        enrollment_assessments.assessment_weight::numeric as weight

    from attempts
    inner join enrollment_assessments
        on enrollment_assessments.enrollment_id = attempts.enrollment_id
        and enrollment_assessments.assessment_id = attempts.assessment_id

    where attempts.submitted_at is not null
        and attempts.score_scaled is not null

),

submissions_as_of as (

    select
        grid.enrollment_id,
        grid.day_k,
        count(enrollment_assessments.assessment_id) filter (
            where enrollment_assessments.due_on <= grid.as_of_date
        ) as assessments_due,
        count(enrollment_assessments.assessment_id) filter (
            where enrollment_assessments.first_submitted_on <= grid.as_of_date
        ) as assessments_submitted,
        count(enrollment_assessments.assessment_id) filter (
            where enrollment_assessments.first_submitted_on <= grid.as_of_date
                and enrollment_assessments.is_submitted_late
        ) as assessments_submitted_late,
        count(enrollment_assessments.assessment_id) filter (
            where enrollment_assessments.due_on <= grid.as_of_date
                and (
                    enrollment_assessments.first_submitted_on is null
                    or enrollment_assessments.first_submitted_on > grid.as_of_date
                )
        ) as assessments_missed

    from grid
    left join enrollment_assessments
        on enrollment_assessments.enrollment_id = grid.enrollment_id

    group by grid.enrollment_id, grid.day_k

),

known_scores as (

    select
        grid.enrollment_id,
        grid.day_k,
        scored_attempts.assessment_id,
        scored_attempts.submitted_at,
        scored_attempts.score,
        scored_attempts.weight,
        max(scored_attempts.submitted_at) over (
            partition by grid.enrollment_id, grid.day_k
        ) as last_submitted_at,
        max(scored_attempts.submitted_at) over (
            partition by grid.enrollment_id, grid.day_k, scored_attempts.assessment_id
        ) as assessment_last_submitted_at

    from grid
    inner join scored_attempts
        on scored_attempts.enrollment_id = grid.enrollment_id
        and scored_attempts.submitted_on <= grid.as_of_date

),

scores_as_of as (

    select
        enrollment_id,
        day_k,
        avg(score) as mean_score,
        avg(score) filter (where submitted_at = last_submitted_at) as last_score

    from known_scores

    group by enrollment_id, day_k

),

latest_assessment_scores as (

    select
        enrollment_id,
        day_k,
        assessment_id,
        avg(score) as score,
        min(weight) as weight

    from known_scores

    where submitted_at = assessment_last_submitted_at

    group by enrollment_id, day_k, assessment_id

),

weighted_as_of as (

    select
        enrollment_id,
        day_k,
        sum(weight * score) / sum(weight) as weighted_score

    from latest_assessment_scores

    where weight > 0

    group by enrollment_id, day_k

),

final as (

    select
        grid.enrollment_id,
        grid.day_k,
        grid.as_of_date,
        submissions_as_of.assessments_due,
        submissions_as_of.assessments_submitted,
        submissions_as_of.assessments_submitted_late,
        submissions_as_of.assessments_missed,
        round(scores_as_of.mean_score, 4) as mean_score,
        round(scores_as_of.last_score, 4) as last_score,
        round(scores_as_of.last_score - scores_as_of.mean_score, 4) as score_trend,
        round(weighted_as_of.weighted_score, 4) as weighted_score,
        {{ grid_refreshed_at() }} as refreshed_at

    from grid
    inner join submissions_as_of
        on submissions_as_of.enrollment_id = grid.enrollment_id
        and submissions_as_of.day_k = grid.day_k
    left join scores_as_of
        on scores_as_of.enrollment_id = grid.enrollment_id
        and scores_as_of.day_k = grid.day_k
    left join weighted_as_of
        on weighted_as_of.enrollment_id = grid.enrollment_id
        and weighted_as_of.day_k = grid.day_k

)

select * from final
