with

course_runs as (

    select * from {{ ref('stg_skillstudio__course_runs') }}

),

final as (

    select
        course_run_id,
        course_id,
        course_run_code,
        starts_on,
        length_days,
        -- The run's last day: a run of one day ends the day it starts.
        starts_on + (length_days - 1) as ends_on,
        created_at

    from course_runs

)

select * from final
