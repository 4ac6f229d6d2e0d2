{#
    An enrollment left the course after a lesson when the enrollment is dropped and that lesson was the
    last it reached: the lesson of its latest lesson event, the later lesson in course order when two
    lessons share that instant (OULAD's clicks are dated by day only).
#}

with

-- Not materialized: read twice, a CTE would copy millions of rows (PostgreSQL materializes a CTE used more
-- than once) where each use reads the table and keeps only what it needs.
learner_lessons as not materialized (

    select * from {{ ref('int_learner_lessons_aggregated') }}

),

lessons as (

    select * from {{ ref('dim_lessons') }}

),

enrollments as (

    select * from {{ ref('int_enrollments_summarised') }}

),

lesson_reach as (

    select
        lesson_id,
        count(distinct learner_id) as learners_reached,
        count(distinct learner_id) filter (where first_completed_at is not null) as learners_completed

    from learner_lessons

    group by lesson_id

),

dropped_enrollments as (

    select
        enrollment_id,
        course_id

    from enrollments

    where is_dropped

),

enrollment_lessons_ranked as (

    -- Only the dropped enrollments' lessons are ranked: the others never count as left after a lesson.
    select
        learner_lessons.enrollment_id,
        learner_lessons.learner_id,
        learner_lessons.lesson_id,
        row_number() over (
            partition by learner_lessons.enrollment_id, learner_lessons.course_id
            order by learner_lessons.last_reached_at desc, lessons.lesson_position desc
        ) as recency_rank

    from learner_lessons
    inner join dropped_enrollments
        on dropped_enrollments.enrollment_id = learner_lessons.enrollment_id
        and dropped_enrollments.course_id = learner_lessons.course_id
    inner join lessons
        on lessons.lesson_id = learner_lessons.lesson_id

),

lessons_left_after as (

    select
        lesson_id,
        count(distinct learner_id) as learners_left_after

    from enrollment_lessons_ranked

    where recency_rank = 1

    group by lesson_id

),

final as (

    select
        lessons.course_id,
        lessons.lesson_id,
        lessons.lesson_number,
        lessons.lesson_position,
        lessons.module_id,
        coalesce(lesson_reach.learners_reached, 0) as learners_reached,
        coalesce(lesson_reach.learners_completed, 0) as learners_completed,
        coalesce(lessons_left_after.learners_left_after, 0) as learners_left_after

    from lessons
    left join lesson_reach
        on lesson_reach.lesson_id = lessons.lesson_id
    left join lessons_left_after
        on lessons_left_after.lesson_id = lessons.lesson_id

)

select * from final
