{#
    An invariant of every row: fails with the rows for which the boolean expression is false or null.
#}
{% test expression_is_true(model, expression) %}

select *

from {{ model }}

where not coalesce(({{ expression }}), false)

{% endtest %}
