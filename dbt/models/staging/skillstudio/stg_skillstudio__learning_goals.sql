with

source as (

    select * from {{ source('skillstudio', 'learning_goals') }}

),

renamed as (

    select
        goal_id,
        user_id,
        deadline as goal_deadline,
        hours_per_week,
        status as goal_status,
        created_at,
        updated_at

    from source

)

select * from renamed
