with

source as (

    select * from {{ source('skillstudio', 'courses') }}

),

renamed as (

    select
        course_id,
        title as course_title,
        subject,
        level as course_level,
        status as course_status,
        instructor_id,
        provider,
        published_at,
        created_at

    from source

)

select * from renamed
