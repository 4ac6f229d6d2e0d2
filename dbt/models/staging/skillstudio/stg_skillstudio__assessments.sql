with

source as (

    select * from {{ source('skillstudio', 'assessments') }}

),

renamed as (

    select
        assessment_id,
        course_id,
        course_run_id,
        title as assessment_title,
        assessment_type,
        status as assessment_status,
        selection as question_selection,
        due_at,
        weight as assessment_weight,
        pass_threshold,
        external_id,
        created_at

    from source

)

select * from renamed
