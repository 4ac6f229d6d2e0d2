{#
    A completion is a finished enrollment that was not failed: imported histories (OULAD) record a failed
    course as completed with outcome `fail`, and a fail is not a completion. Enrollments the learning API
    completes carry no outcome and count.
#}

with

enrollments as (

    select * from {{ ref('stg_skillstudio__enrollments') }}

),

summarised as (

    select
        enrollment_id,
        user_id as learner_id,
        course_id,
        course_run_id,
        enrollment_status,
        enrollment_outcome,
        enrolled_at,
        completed_at,
        unregistered_at,
        enrollment_status = 'completed'
            and enrollment_outcome is distinct from 'fail' as is_completed,
        enrollment_status = 'dropped' as is_dropped,
        case
            when enrollment_status = 'completed'
                and enrollment_outcome is distinct from 'fail'
                and completed_at is not null
                then round(extract(epoch from completed_at - enrolled_at) / 86400, 4)
        end as days_to_complete

    from enrollments

)

select * from summarised
