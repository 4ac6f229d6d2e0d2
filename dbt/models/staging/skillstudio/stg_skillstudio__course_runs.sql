with

source as (

    select * from {{ source('skillstudio', 'course_runs') }}

),

renamed as (

    select
        course_run_id,
        course_id,
        code as course_run_code,
        starts_on,
        length_days,
        created_at

    from source

)

select * from renamed
