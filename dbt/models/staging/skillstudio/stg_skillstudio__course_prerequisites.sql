with

source as (

    select * from {{ source('skillstudio', 'course_prerequisites') }}

),

renamed as (

    select
        course_id,
        prerequisite_course_id

    from source

)

select * from renamed
