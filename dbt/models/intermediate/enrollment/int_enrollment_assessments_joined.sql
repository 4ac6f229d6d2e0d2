{#
    The assessments an enrollment is expected to take: its course's graded work (diagnostics are placement,
    drafts are not yet set), those of its own run where an assessment belongs to one. Its submission is the
    first attempt it submitted, graded or not; it is late when submitted after the assessment was due.
#}

with

enrollments as (

    select * from {{ ref('stg_skillstudio__enrollments') }}

),

assessments as (

    select * from {{ ref('stg_skillstudio__assessments') }}

    where assessment_type <> 'diagnostic'
        and assessment_status <> 'draft'

),

attempts as (

    select * from {{ ref('stg_skillstudio__assessment_attempts') }}

),

first_submissions as (

    select
        enrollment_id,
        assessment_id,
        min(submitted_at) as first_submitted_at

    from attempts

    where enrollment_id is not null
        and submitted_at is not null

    group by enrollment_id, assessment_id

),

final as (

    select
        enrollments.enrollment_id,
        assessments.assessment_id,
        assessments.assessment_type,
        assessments.due_at,
        (assessments.due_at at time zone 'UTC')::date as due_on,
        assessments.assessment_weight,
        first_submissions.first_submitted_at,
        (first_submissions.first_submitted_at at time zone 'UTC')::date as first_submitted_on,
        coalesce(first_submissions.first_submitted_at > assessments.due_at, false) as is_submitted_late

    from enrollments
    inner join assessments
        on assessments.course_id = enrollments.course_id
        and (assessments.course_run_id is null or assessments.course_run_id = enrollments.course_run_id)
    left join first_submissions
        on first_submissions.enrollment_id = enrollments.enrollment_id
        and first_submissions.assessment_id = assessments.assessment_id

)

select * from final
