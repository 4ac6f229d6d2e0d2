with

courses as (

    select * from {{ ref('stg_skillstudio__courses') }}

),

modules as (

    select * from {{ ref('stg_skillstudio__modules') }}

),

lessons as (

    select * from {{ ref('stg_skillstudio__lessons') }}

),

course_skills as (

    select * from {{ ref('stg_skillstudio__course_skills') }}

),

skills as (

    select * from {{ ref('stg_skillstudio__skills') }}

),

course_runs as (

    select * from {{ ref('stg_skillstudio__course_runs') }}

),

module_counts as (

    select
        course_id,
        count(*) as module_count

    from modules

    group by course_id

),

lesson_counts as (

    select
        course_id,
        count(*) as lesson_count,
        count(*) filter (where is_required) as required_lesson_count,
        sum(estimated_minutes) as estimated_minutes

    from lessons

    group by course_id

),

skill_lists as (

    select
        course_skills.course_id,
        count(*) as skill_count,
        string_agg(skills.skill_slug, ',' order by skills.skill_slug) as skill_slugs

    from course_skills
    inner join skills
        on skills.skill_id = course_skills.skill_id

    group by course_skills.course_id

),

run_counts as (

    select
        course_id,
        count(*) as course_run_count

    from course_runs

    group by course_id

),

final as (

    select
        courses.course_id,
        courses.course_title,
        courses.subject,
        courses.course_level,
        courses.course_status,
        courses.instructor_id,
        courses.provider,
        courses.published_at,
        courses.created_at,
        coalesce(module_counts.module_count, 0) as module_count,
        coalesce(lesson_counts.lesson_count, 0) as lesson_count,
        coalesce(lesson_counts.required_lesson_count, 0) as required_lesson_count,
        coalesce(lesson_counts.estimated_minutes, 0) as estimated_minutes,
        coalesce(skill_lists.skill_count, 0) as skill_count,
        coalesce(skill_lists.skill_slugs, '') as skill_slugs,
        coalesce(run_counts.course_run_count, 0) as course_run_count

    from courses
    left join module_counts
        on module_counts.course_id = courses.course_id
    left join lesson_counts
        on lesson_counts.course_id = courses.course_id
    left join skill_lists
        on skill_lists.course_id = courses.course_id
    left join run_counts
        on run_counts.course_id = courses.course_id

)

select * from final
