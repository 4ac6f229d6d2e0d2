with

skills as (

    select * from {{ ref('stg_skillstudio__skills') }}

),

course_skills as (

    select * from {{ ref('stg_skillstudio__course_skills') }}

),

questions as (

    select * from {{ ref('stg_skillstudio__questions') }}

),

course_counts as (

    select
        skill_id,
        count(*) as course_count

    from course_skills

    group by skill_id

),

question_counts as (

    select
        skill_id,
        count(*) as question_count

    from questions

    where skill_id is not null

    group by skill_id

),

final as (

    select
        skills.skill_id,
        skills.skill_slug,
        skills.skill_name,
        skills.parent_skill_id,
        parents.skill_slug as parent_skill_slug,
        parents.skill_name as parent_skill_name,
        coalesce(course_counts.course_count, 0) as course_count,
        coalesce(question_counts.question_count, 0) as question_count,
        skills.created_at

    from skills
    left join skills as parents
        on parents.skill_id = skills.parent_skill_id
    left join course_counts
        on course_counts.skill_id = skills.skill_id
    left join question_counts
        on question_counts.skill_id = skills.skill_id

)

select * from final
