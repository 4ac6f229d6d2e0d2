with

source as (

    select * from {{ source('skillstudio', 'learner_stats') }}

),

renamed as (

    select
        user_id as learner_id,
        xp as total_xp,
        level as xp_level,
        current_streak,
        longest_streak,
        leaderboard_opt_out

    from source

)

select * from renamed
