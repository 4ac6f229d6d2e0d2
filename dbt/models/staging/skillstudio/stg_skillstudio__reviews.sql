with

source as (

    select * from {{ source('skillstudio', 'course_reviews') }}

),

renamed as (

    select
        review_id,
        course_id,
        author_id as reviewer_id,
        stars::integer as stars,
        hidden_at is not null as is_hidden,
        created_at,
        updated_at

    from source

)

select * from renamed
