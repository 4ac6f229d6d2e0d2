with

source as (

    select * from {{ source('skillstudio', 'xp_transactions') }}

),

renamed as (

    select
        event_id || ':' || rule as xp_transaction_key,
        event_id,
        rule as xp_rule,
        user_id as learner_id,
        xp,
        course_id,
        occurred_at

    from source

)

select * from renamed
