with

users as (

    select * from {{ ref('stg_skillstudio__users') }}

),

profiles as (

    select * from {{ ref('stg_skillstudio__learner_profiles') }}

),

final as (

    select
        users.user_id as learner_id,
        users.role,
        users.created_at,
        profiles.gender,
        profiles.region,
        profiles.highest_education,
        profiles.imd_band,
        profiles.age_band,
        profiles.has_disability

    from users
    left join profiles
        on profiles.user_id = users.user_id

)

select * from final
