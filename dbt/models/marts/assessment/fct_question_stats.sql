{#
    Classical item analysis of every answered question. Discrimination is the point-biserial correlation
    of the item's correctness (0/1) with the rest score of the same attempt: the share of the attempt's
    other answered items answered right (the item itself left out, so that it does not correlate with
    itself; a share rather than a count, so that attempts of different lengths compare). Attempts with no
    other answered item have no rest score and do not enter the correlation. It is null unless both the
    item's correctness and the rest score take at least two values among the attempts that enter it.

    Every figure is added up from int_question_days_aggregated's sums per question and attempt day, so
    that a day's refresh reads a few hundred thousand rows of sums instead of every answer: the
    point-biserial r = (n Σxy - Σx Σy) / sqrt((n Σx - (Σx)²) (n Σy² - (Σy)²)) over the n answers with a rest
    score y (x² = x for a 0/1 score), the days added in date order so that every build adds the same bits.

    Review thresholds are dbt vars (dbt_project.yml); a question is judged only from
    `question_review_min_attempts` answers on.
#}

with

question_days as (

    select * from {{ ref('int_question_days_aggregated') }}

),

questions as (

    select * from {{ ref('stg_skillstudio__questions') }}

),

per_question as (

    select
        question_id,
        sum(answers)::bigint as attempts,
        sum(first_answers)::bigint as learners,
        sum(correct_answers)::bigint as correct_answers,
        sum(rest_scored_answers)::bigint as rest_scored_attempts,
        sum(rest_scored_correct_answers) as sum_x,
        min(rest_score_min) as rest_score_min,
        max(rest_score_max) as rest_score_max,
        sum(rest_score_sum order by attempt_date) as sum_y,
        sum(rest_score_square_sum order by attempt_date) as sum_yy,
        sum(correct_rest_score_sum order by attempt_date) as sum_xy

    from question_days

    group by question_id

),

correlated as (

    select
        *,
        -- Defined when x takes both values and y at least two among the rest-scored answers.
        case
            when sum_x > 0 and sum_x < rest_scored_attempts and rest_score_min < rest_score_max
                then (rest_scored_attempts * sum_xy - sum_x * sum_y)
                    / sqrt(
                        (rest_scored_attempts * sum_x - sum_x * sum_x)
                        * (rest_scored_attempts * sum_yy - sum_y * sum_y)
                    )
        end as rest_correlation

    from per_question

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
        round(per_question.rest_correlation::numeric, 4) as discrimination

    from correlated as per_question
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
