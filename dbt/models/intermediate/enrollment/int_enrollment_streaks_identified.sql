{#
    Gaps and islands: consecutive active days share `activity_date - their rank`, so each value of it is
    one streak.
#}

with

enrollment_days as (

    select * from {{ ref('int_enrollment_days_aggregated') }}

),

ranked as (

    select
        enrollment_id,
        activity_date,
        activity_date - (row_number() over (
            partition by enrollment_id order by activity_date
        ))::integer as streak_anchor

    from enrollment_days

),

final as (

    select
        enrollment_id,
        min(activity_date) as streak_start_date,
        max(activity_date) as streak_end_date

    from ranked

    group by enrollment_id, streak_anchor

)

select * from final
