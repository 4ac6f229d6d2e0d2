with

source as (

    select * from {{ source('skillstudio', 'lesson_progress') }}

),

renamed as (

    select
        enrollment_id,
        lesson_id,
        started_at,
        percent as percent_complete,
        time_spent_s,
        completed_at,
        updated_at

    from source

)

select * from renamed
