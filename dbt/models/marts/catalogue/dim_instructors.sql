{#
    An instructor is a user with the instructor role, or any user a course names as its instructor (admins
    may create and so teach courses too).
#}

with

users as (

    select * from {{ ref('stg_skillstudio__users') }}

),

courses as (

    select * from {{ ref('stg_skillstudio__courses') }}

),

course_counts as (

    select
        instructor_id,
        count(*) as course_count,
        count(*) filter (where course_status = 'published') as published_course_count

    from courses

    where instructor_id is not null

    group by instructor_id

),

final as (

    select
        users.user_id as instructor_id,
        users.role,
        users.created_at,
        coalesce(course_counts.course_count, 0) as course_count,
        coalesce(course_counts.published_course_count, 0) as published_course_count

    from users
    left join course_counts
        on course_counts.instructor_id = users.user_id

    where users.role = 'instructor'
        or course_counts.instructor_id is not null

)

select * from final
