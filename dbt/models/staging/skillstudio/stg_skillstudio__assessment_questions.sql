with

source as (

    select * from {{ source('skillstudio', 'assessment_questions') }}

),

renamed as (

    select
        assessment_id,
        question_id,
        position as question_position

    from source

)

select * from renamed
