with

source as (

    select * from {{ source('skillstudio', 'modules') }}

),

renamed as (

    select
        module_id,
        course_id,
        position as module_position,
        title as module_title,
        created_at

    from source

)

select * from renamed
