{#
    Graded answers come from the attempt items the learning API (and the generator) write with their
    server-side grade, not from `answered` events: an event names neither the attempt nor, reliably, the
    question's skill. Unanswered items (served, never answered) are not responses.
#}

with

attempt_items as (

    select * from {{ ref('stg_skillstudio__attempt_items') }}

),

attempts as (

    select * from {{ ref('stg_skillstudio__assessment_attempts') }}

),

questions as (

    select * from {{ ref('stg_skillstudio__questions') }}

),

answered as (

    select
        attempts.user_id as learner_id,
        questions.skill_id,
        attempt_items.question_id,
        attempt_items.answered_at,
        attempt_items.is_correct as correct,
        questions.course_id,
        attempts.assessment_id,
        attempt_items.attempt_id,
        attempt_items.item_position

    from attempt_items
    inner join attempts
        on attempts.attempt_id = attempt_items.attempt_id
    inner join questions
        on questions.question_id = attempt_items.question_id

    where attempt_items.answered_at is not null

),

final as (

    select
        learner_id,
        skill_id,
        -- Answers at the same instant keep their attempt's order: attempt, then position in it.
        (row_number() over (
            partition by learner_id, skill_id
            order by answered_at, attempt_id, item_position
        ) - 1)::integer as seq,
        question_id,
        answered_at,
        correct,
        course_id,
        assessment_id,
        attempt_id,
        item_position

    from answered

)

select * from final
