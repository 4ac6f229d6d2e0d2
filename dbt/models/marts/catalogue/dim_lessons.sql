with

lessons as (

    select * from {{ ref('stg_skillstudio__lessons') }}

),

modules as (

    select * from {{ ref('stg_skillstudio__modules') }}

),

final as (

    select
        lessons.lesson_id,
        lessons.course_id,
        lessons.module_id,
        modules.module_position,
        lessons.lesson_position,
        row_number() over (
            partition by lessons.course_id order by lessons.lesson_position
        ) as lesson_number,
        lessons.lesson_title,
        lessons.activity_type,
        lessons.estimated_minutes,
        lessons.is_required,
        lessons.created_at

    from lessons
    left join modules
        on modules.module_id = lessons.module_id

)

select * from final
