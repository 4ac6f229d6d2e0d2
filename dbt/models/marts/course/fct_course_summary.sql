{#
    Two grains in one table, told apart by course_run_id: a row per course over all its enrollments
    (course_run_id null), and a row per run of the course over the run's enrollments. Active learners are
    counted over the 30 UTC days ending on as_of_date, the last day any course had an event; only those
    days' learner course days are read (never events), and the run of an event is that of its registration.
    Ratings come from the visible (not hidden) reviews of the course; a review is of the course, not of a
    run, so a run's row has no rating figures.
#}

with

recent_learner_enrollments as (

    select
        course_id,
        enrollment_id,
        learner_id as actor_id

    from {{ ref('int_learner_course_days_aggregated') }}

    where course_id is not null
        and activity_date >= (select max(activity_date) - 29 from {{ ref('fct_course_daily') }})

    group by course_id, enrollment_id, learner_id

),

course_days as (

    select * from {{ ref('fct_course_daily') }}

),

courses as (

    select * from {{ ref('dim_courses') }}

),

course_runs as (

    select * from {{ ref('dim_course_runs') }}

),

enrollments as (

    select * from {{ ref('int_enrollments_summarised') }}

),

attempts as (

    select * from {{ ref('stg_skillstudio__assessment_attempts') }}

),

assessments as (

    select * from {{ ref('stg_skillstudio__assessments') }}

),

reviews as (

    select * from {{ ref('stg_skillstudio__reviews') }}

    where not is_hidden

),

as_of as (

    select max(activity_date) as as_of_date

    from course_days

),

run_enrollments as (

    select
        enrollment_id,
        course_run_id

    from enrollments

    where course_run_id is not null

),

scored_attempts as (

    select
        assessments.course_id,
        attempts.enrollment_id,
        attempts.score_scaled::numeric as score_scaled

    from attempts
    inner join assessments
        on assessments.assessment_id = attempts.assessment_id

    where attempts.attempt_status = 'graded'
        and attempts.score_scaled is not null

),

-- A run's figures read only the enrollments of runs: the course's own figures need no enrollment, so the
-- attempts and recent learners of courses without runs are never joined to the enrollments.
run_scored_attempts as (

    select
        scored_attempts.course_id,
        run_enrollments.course_run_id,
        scored_attempts.score_scaled

    from scored_attempts
    inner join run_enrollments
        on run_enrollments.enrollment_id = scored_attempts.enrollment_id

),

run_recent_learners as (

    select
        recent_learner_enrollments.course_id,
        run_enrollments.course_run_id,
        recent_learner_enrollments.actor_id

    from recent_learner_enrollments
    inner join run_enrollments
        on run_enrollments.enrollment_id = recent_learner_enrollments.enrollment_id

),

scopes as (

    select
        course_id,
        null::uuid as course_run_id

    from courses

    union all

    select
        course_id,
        course_run_id

    from course_runs

),

enrollment_figures as (

    select
        course_id,
        null::uuid as course_run_id,
        count(*) as enrollments,
        count(distinct learner_id) as learners,
        count(*) filter (where is_completed) as completions,
        count(*) filter (where is_dropped) as drops,
        percentile_cont(0.5) within group (order by days_to_complete::float8) as median_days_to_complete

    from enrollments

    group by course_id

    union all

    select
        course_id,
        course_run_id,
        count(*),
        count(distinct learner_id),
        count(*) filter (where is_completed),
        count(*) filter (where is_dropped),
        percentile_cont(0.5) within group (order by days_to_complete::float8)

    from enrollments

    where course_run_id is not null

    group by course_id, course_run_id

),

activity_figures as (

    select
        course_id,
        null::uuid as course_run_id,
        count(distinct actor_id) as active_learners_last_30_days

    from recent_learner_enrollments

    group by course_id

    union all

    select
        course_id,
        course_run_id,
        count(distinct actor_id)

    from run_recent_learners

    group by course_id, course_run_id

),

score_figures as (

    select
        course_id,
        null::uuid as course_run_id,
        count(*) as graded_attempts,
        avg(score_scaled) as average_assessment_score

    from scored_attempts

    group by course_id

    union all

    select
        course_id,
        course_run_id,
        count(*),
        avg(score_scaled)

    from run_scored_attempts

    group by course_id, course_run_id

),

rating_figures as (

    select
        course_id,
        null::uuid as course_run_id,
        count(*) as review_count,
        avg(stars::numeric) as average_rating,
        count(*) filter (where stars = 1) as rating_1_count,
        count(*) filter (where stars = 2) as rating_2_count,
        count(*) filter (where stars = 3) as rating_3_count,
        count(*) filter (where stars = 4) as rating_4_count,
        count(*) filter (where stars = 5) as rating_5_count

    from reviews

    group by course_id

),

final as (

    select
        scopes.course_id,
        scopes.course_run_id,
        as_of.as_of_date,
        coalesce(enrollment_figures.enrollments, 0) as enrollments,
        coalesce(enrollment_figures.learners, 0) as learners,
        coalesce(activity_figures.active_learners_last_30_days, 0) as active_learners_last_30_days,
        coalesce(enrollment_figures.completions, 0) as completions,
        round(enrollment_figures.completions::numeric / nullif(enrollment_figures.enrollments, 0), 4)
            as completion_rate,
        round(enrollment_figures.median_days_to_complete::numeric, 2) as median_days_to_complete,
        coalesce(enrollment_figures.drops, 0) as drops,
        round(enrollment_figures.drops::numeric / nullif(enrollment_figures.enrollments, 0), 4)
            as dropout_rate,
        coalesce(score_figures.graded_attempts, 0) as graded_attempts,
        round(score_figures.average_assessment_score, 4) as average_assessment_score,
        case when scopes.course_run_id is null then coalesce(rating_figures.review_count, 0) end
            as review_count,
        round(rating_figures.average_rating, 2) as average_rating,
        case when scopes.course_run_id is null then coalesce(rating_figures.rating_1_count, 0) end
            as rating_1_count,
        case when scopes.course_run_id is null then coalesce(rating_figures.rating_2_count, 0) end
            as rating_2_count,
        case when scopes.course_run_id is null then coalesce(rating_figures.rating_3_count, 0) end
            as rating_3_count,
        case when scopes.course_run_id is null then coalesce(rating_figures.rating_4_count, 0) end
            as rating_4_count,
        case when scopes.course_run_id is null then coalesce(rating_figures.rating_5_count, 0) end
            as rating_5_count

    from scopes
    cross join as_of
    left join enrollment_figures
        on enrollment_figures.course_id = scopes.course_id
        and enrollment_figures.course_run_id is not distinct from scopes.course_run_id
    left join activity_figures
        on activity_figures.course_id = scopes.course_id
        and activity_figures.course_run_id is not distinct from scopes.course_run_id
    left join score_figures
        on score_figures.course_id = scopes.course_id
        and score_figures.course_run_id is not distinct from scopes.course_run_id
    left join rating_figures
        on rating_figures.course_id = scopes.course_id
        and rating_figures.course_run_id is not distinct from scopes.course_run_id

)

select * from final
