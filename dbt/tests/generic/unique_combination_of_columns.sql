{#
    The primary-key test of a composite key: fails with one row per key value held by more than one row.
    (dbt's built-in `unique` takes a single column.)
#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

{%- set key_columns = combination_of_columns | join(', ') %}

select
    {{ key_columns }},
    count(*) as n_rows

from {{ model }}

group by {{ key_columns }}

having count(*) > 1

{% endtest %}
