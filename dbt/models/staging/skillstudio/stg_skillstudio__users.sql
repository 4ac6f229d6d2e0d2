with

source as (

    select * from {{ source('skillstudio', 'users') }}

),

renamed as (

    select
        user_id,
        role,
        created_at

    from source

)

select * from renamed
