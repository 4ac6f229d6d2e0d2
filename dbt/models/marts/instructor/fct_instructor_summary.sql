with

instructors as (

    select * from {{ ref('dim_instructors') }}

),

courses as (

    select * from {{ ref('dim_courses') }}

),

enrollments as (

    select * from {{ ref('int_enrollments_summarised') }}

),

instructor_enrollments as (

    select
        courses.instructor_id,
        count(*) as enrollments,
        count(distinct enrollments.learner_id) as learners,
        count(*) filter (where enrollments.is_completed) as completions

    from enrollments
    inner join courses
        on courses.course_id = enrollments.course_id

    where courses.instructor_id is not null

    group by courses.instructor_id

),

final as (

    select
        instructors.instructor_id,
        instructors.course_count as courses,
        instructors.published_course_count as published_courses,
        coalesce(instructor_enrollments.enrollments, 0) as enrollments,
        coalesce(instructor_enrollments.learners, 0) as learners,
        coalesce(instructor_enrollments.completions, 0) as completions,
        round(
            instructor_enrollments.completions::numeric / nullif(instructor_enrollments.enrollments, 0), 4
        ) as completion_rate

    from instructors
    left join instructor_enrollments
        on instructor_enrollments.instructor_id = instructors.instructor_id

)

select * from final
