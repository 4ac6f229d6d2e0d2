with

source as (

    select * from {{ source('skillstudio', 'course_skills') }}

),

renamed as (

    select
        course_id,
        skill_id

    from source

)

select * from renamed
