with

source as (

    select * from {{ source('skillstudio', 'enrollments') }}

),

renamed as (

    select
        enrollment_id,
        user_id,
        course_id,
        course_run_id,
        status as enrollment_status,
        outcome as enrollment_outcome,
        enrolled_at,
        completed_at,
        unregistered_at

    from source

)

select * from renamed
