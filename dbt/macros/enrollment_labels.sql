{#
    The completion-risk label of an enrollment (fct_enrollment_features), from a row of
    int_enrollments_summarised aliased ``enrollments``: ``completed`` is true for a pass or a distinction,
    and for a completion the learning API records without a graded outcome; false for a fail or a
    withdrawal; null while the enrollment is open. ``outcome`` names which.
#}

{% macro enrollment_completed_label(enrollments='enrollments') -%}
    case
        when {{ enrollments }}.enrollment_outcome is not null
            then {{ enrollments }}.enrollment_outcome in ('pass', 'distinction')
        when {{ enrollments }}.enrollment_status = 'completed' then true
        when {{ enrollments }}.enrollment_status = 'dropped' then false
    end
{%- endmacro %}


{% macro enrollment_outcome_label(enrollments='enrollments') -%}
    coalesce(
        {{ enrollments }}.enrollment_outcome,
        case {{ enrollments }}.enrollment_status
            when 'completed' then 'completed'
            when 'dropped' then 'withdrawn'
        end
    )
{%- endmacro %}
