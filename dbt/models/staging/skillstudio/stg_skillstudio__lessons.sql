with

source as (

    select * from {{ source('skillstudio', 'lessons') }}

),

renamed as (

    select
        lesson_id,
        course_id,
        module_id,
        position as lesson_position,
        title as lesson_title,
        activity_type,
        estimated_minutes,
        is_required,
        external_id,
        created_at

    from source

)

select * from renamed
