{#
    Data tests on a day's refresh check the rows the refresh wrote, not the whole history again.

    A model whose rows before a window cannot change names the column (or expression) its rows are dated
    by in ``meta.refresh_column``: every incremental model, and the staging view of the append-only events.
    On a run given a window (``refresh_from``, a var or SKILLSTUDIO_REFRESH_FROM), every generic test of such a model reads only its rows
    dated from ``refresh_from`` on. The rows before the window are the ones the last build and its tests
    passed, and the refresh does not touch them: testing them again each day is what made a day's refresh
    cost as much as the history. A model that stamps each row with the run that wrote it names that
    column in ``meta.refresh_stamp`` instead (the enrollment grid's models, dbt/macros/enrollment_grid.sql,
    whose rows a refresh rewrites by enrollment as well as by day): its tests read the rows this run
    wrote, stamped from the run's start on. A full build, or a run without a window, tests every
    row; so does any test of a model without the meta (tables rebuilt whole, views over mutable tables).
    The other side of a ``relationships`` test (the parent) is never narrowed. A test's own ``where`` still applies too.

    dbt wraps the tested relation of every generic test in ``get_where_subquery``; this project's
    ``default__`` version takes precedence over dbt's by dispatch.
#}

{% macro default__get_where_subquery(relation) -%}
    {#- One macro: dbt renders it in the test's own context, where the project's other macros are not
        in scope. -#}
    {%- set predicates = [] -%}
    {%- set where = config.get('where', '') -%}
    {%- if where -%}
        {%- do predicates.append('(' ~ where ~ ')') -%}
    {%- endif -%}
    {#- The window's start as refresh_window.sql's refresh_bound reads it: the var, else the environment,
        read only when executing. -#}
    {%- set window_from = var('refresh_from', none) -%}
    {%- if window_from is none and execute -%}
        {%- set window_from = env_var('SKILLSTUDIO_REFRESH_FROM', '') or none -%}
    {%- endif -%}
    {%- if window_from is not none and not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', window_from | string) -%}
        {%- do exceptions.raise_compiler_error(
            "the refresh window's refresh_from must be a date as YYYY-MM-DD, not '" ~ window_from ~ "'"
        ) -%}
    {%- endif -%}
    {%- if execute and window_from is not none -%}
        {%- set tested = graph.nodes.get(model.get('attached_node') or '') -%}
        {%- if tested is not none and tested.config.meta.get('refresh_column') -%}
            {%- do predicates.append(
                '(' ~ tested.config.meta['refresh_column'] ~ ") >= date '" ~ window_from ~ "'"
            ) -%}
        {%- elif tested is not none and tested.config.meta.get('refresh_stamp') -%}
            {%- do predicates.append(
                tested.config.meta['refresh_stamp'] ~ " >= timestamptz '" ~ run_started_at.isoformat() ~ "'"
            ) -%}
        {%- endif -%}
    {%- endif -%}
    {%- if predicates -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ predicates | join(' and ') ~ ') dbt_subquery') -%}
    {%- else -%}
        {%- do return(relation) -%}
    {%- endif -%}
{%- endmacro %}
