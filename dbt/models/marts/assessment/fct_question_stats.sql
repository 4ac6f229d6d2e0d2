{#
    Classical item analysis of every answered question. Discrimination is the point-biserial correlation
    of the item's correctness (0/1) with the rest score of the same attempt: the share of the attempt's
    other answered items answered right (the item itself left out, so that it does not correlate with
    itself; a share rather than a count, so that attempts of different lengths compare). Attempts with no
    other answered item have no rest score and do not enter the correlation. It is null unless both the
    item's correctness and the rest score take at least two values among the attempts that enter it.

    Review thresholds are dbt vars (dbt_project.yml); a question is judged only from
    `question_review_min_attempts` answers on.
#}

with

responses as (

    select * from {{ ref('fct_skill_responses') }}

),

questions as (

    select * from {{ ref('stg_skillstudio__questions') }}

),

attempt_totals as (

    select
        attempt_id,
        count(*) as answered_items,
        sum(correct::integer) as correct_items

    from responses

    group by attempt_id

),

scored_answers as (

    select
        responses.question_id,
        responses.learner_id,
        responses.correct::integer as item_score,
        case
            when attempt_totals.answered_items > 1
                then (attempt_totals.correct_items - responses.correct::integer)::double precision
                    / (attempt_totals.answered_items - 1)
        end as rest_score

    from responses
    inner join attempt_totals
        on attempt_totals.attempt_id = responses.attempt_id

),

per_question as (

    select
        question_id,
        count(*) as attempts,
        count(distinct learner_id) as learners,
        sum(item_score) as correct_answers,
        count(rest_score) as rest_scored_attempts,
        count(distinct item_score) filter (where rest_score is not null) as item_score_values,
        count(distinct rest_score) as rest_score_values,
        corr(item_score::double precision, rest_score) as rest_correlation

    from scored_answers

    group by question_id

),

measured as (

    select
        per_question.question_id,
        questions.course_id,
        questions.skill_id,
        questions.question_type,
        questions.irt_difficulty as difficulty,
        per_question.attempts,
        per_question.learners,
        per_question.correct_answers,
        round(per_question.correct_answers::numeric / per_question.attempts, 4) as correct_share,
        per_question.rest_scored_attempts,
        case
            when per_question.item_score_values = 2 and per_question.rest_score_values >= 2
                then round(per_question.rest_correlation::numeric, 4)
        end as discrimination

    from per_question
    inner join questions
        on questions.question_id = per_question.question_id

),

judged as (

    select
        *,
        case
            when attempts < {{ var('question_review_min_attempts') }} then null
            when discrimination < 0 then 'negative discrimination'
            when correct_share < {{ var('question_review_min_correct_share') }} then 'too hard'
            when correct_share > {{ var('question_review_max_correct_share') }} then 'too easy'
            when discrimination < {{ var('question_review_min_discrimination') }} then 'low discrimination'
        end as review_reason

    from measured

),

final as (

    select
        question_id,
        course_id,
        skill_id,
        question_type,
        difficulty,
        attempts,
        learners,
        correct_answers,
        correct_share,
        rest_scored_attempts,
        discrimination,
        review_reason is not null as review_flag,
        review_reason

    from judged

)

select * from final
