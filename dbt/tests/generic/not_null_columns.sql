{#
    The columns that may never be null, checked in one read of the model: fails with one row per listed
    column that holds a null, and how many. dbt's built-in `not_null` is one node per column, and each node
    costs a day's refresh more in dbt's own work (compiling, a connection, events) than its query does;
    this test is one node per model.
#}
{% test not_null_columns(model, columns) %}

with

null_counts as (

    select
        {%- for column in columns %}
        count(*) filter (where {{ column }} is null) as nulls_{{ loop.index }}{{ "," if not loop.last }}
        {%- endfor %}

    from {{ model }}

)

select
    columns_nulls.column_name,
    columns_nulls.nulls

from null_counts
cross join lateral (
    values
        {%- for column in columns %}
        ('{{ column }}', nulls_{{ loop.index }}){{ "," if not loop.last }}
        {%- endfor %}
) as columns_nulls (column_name, nulls)

where columns_nulls.nulls > 0

{% endtest %}
