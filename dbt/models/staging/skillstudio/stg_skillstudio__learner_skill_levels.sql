with

source as (

    select * from {{ source('skillstudio', 'learner_skill_levels') }}

),

renamed as (

    select
        user_id,
        skill_id,
        level as skill_level,
        standard_error as skill_level_standard_error,
        source as skill_level_source,
        updated_at

    from source

)

select * from renamed
