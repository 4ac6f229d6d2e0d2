with

source as (

    select * from {{ source('skillstudio', 'questions') }}

),

renamed as (

    select
        question_id,
        course_id,
        skill_id,
        question_type,
        difficulty as irt_difficulty,
        discrimination as irt_discrimination,
        external_id,
        created_at

    from source

)

select * from renamed
