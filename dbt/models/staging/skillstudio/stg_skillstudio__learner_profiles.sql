with

source as (

    select * from {{ source('skillstudio', 'learner_profiles') }}

),

renamed as (

    select
        user_id,
        attributes ->> 'gender' as gender,
        attributes ->> 'region' as region,
        attributes ->> 'highest_education' as highest_education,
        attributes ->> 'imd_band' as imd_band,
        attributes ->> 'age_band' as age_band,
        (attributes ->> 'disability')::boolean as has_disability,
        updated_at

    from source

)

select * from renamed
