with

source as (

    select * from {{ source('skillstudio', 'skills') }}

),

renamed as (

    select
        skill_id,
        slug as skill_slug,
        name as skill_name,
        parent_skill_id,
        created_at

    from source

)

select * from renamed
