with

source as (

    select * from {{ source('skillstudio', 'attempt_items') }}

),

renamed as (

    select
        attempt_id,
        question_id,
        position as item_position,
        served_at,
        answered_at,
        is_correct

    from source

)

select * from renamed
