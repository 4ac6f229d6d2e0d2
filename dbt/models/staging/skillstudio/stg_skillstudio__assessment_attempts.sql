with

source as (

    select * from {{ source('skillstudio', 'assessment_attempts') }}

),

renamed as (

    select
        attempt_id,
        assessment_id,
        user_id,
        enrollment_id,
        attempt_number,
        status as attempt_status,
        started_at,
        submitted_at,
        score_scaled,
        success as passed,
        submitted_late,
        is_banked,
        adaptive as is_adaptive

    from source

)

select * from renamed
