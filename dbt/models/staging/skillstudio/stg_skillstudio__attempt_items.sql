{#
    Items are written when served and only their answer (answered_at, is_correct) changes later, so the
    rows served before a refresh window keep every tested column as their last build tested it: a day's
    refresh tests the items served from the window on (`meta.refresh_column`, macros/test_window.sql)
    instead of re-reading every attempt's items (5.5 s of a one-day refresh at 10 million events).
#}
{{ config(meta={'refresh_column': 'served_at'}) }}

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
