with

source as (

    select * from {{ source('skillstudio', 'learning_goal_skills') }}

),

renamed as (

    select
        goal_id,
        skill_id,
        target_level

    from source

)

select * from renamed
