{#
    The completion-risk label of an enrollment (fct_enrollment_features), from a row of
    int_enrollments_summarised aliased ``enrollments``: ``completed`` is true for a pass or a distinction,
    and for a completion the learning API records without a graded outcome; false for a fail or a
    withdrawal; null while the enrollment is open. ``outcome`` names which. Macros, because the mart's
    refresh also compares the labels it holds with them.
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


{#
    fct_enrollment_features' pre-hook on a refresh: an enrollment that finished or dropped since its rows
    were written has every row relabelled, so its rows go and are computed again with the grid's missing
    rows (``in_accumulated_window``). The grid's own window (``delete_accumulated_window``) runs first.
#}
{% macro delete_relabelled_enrollments(enrollments_relation) -%}
    {%- if is_incremental() -%}
        delete from {{ this }} as held
        using {{ enrollments_relation }} as enrollments
        where enrollments.enrollment_id = held.enrollment_id
            and (
                held.completed is distinct from {{ enrollment_completed_label() }}
                or held.outcome is distinct from {{ enrollment_outcome_label() }}
            )
    {%- else -%}
        select 1
    {%- endif -%}
{%- endmacro %}
