{#- A dbt var as an SQL literal: numbers and booleans as they are, text quoted, lists as
    arrays. The vars come from features/graph.py (one Settings object, read once), never
    from the environment or the clock. -#}
{% macro p(name) -%}
    {%- set value = var(name) -%}
    {{ return(sql_literal(value)) }}
{%- endmacro %}

{% macro sql_literal(value) -%}
    {%- if value is none -%}null
    {%- elif value is sameas true -%}true
    {%- elif value is sameas false -%}false
    {%- elif value is number -%}{{ value }}
    {%- elif value is string -%}'{{ value | replace("'", "''") }}'
    {%- else -%}{{ adapter.dispatch('array_literal')(value) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__array_literal(values) -%}
    [{% for v in values %}{{ sql_literal(v) }}{{ ", " if not loop.last }}{% endfor %}]
{%- endmacro %}

{% macro spark__array_literal(values) -%}
    array({% for v in values %}{{ sql_literal(v) }}{{ ", " if not loop.last }}{% endfor %})
{%- endmacro %}

{#- The month a microbatch run is building (feat_feature_scores builds one month per batch:
    bounded memory whatever the history length). -#}
{% macro batch_month() -%}
    {%- if model.batch -%}
        '{{ model.batch.event_time_start.strftime("%Y-%m-%d") }}'
    {%- else -%}
        {{ p('as_of') }}
    {%- endif -%}
{%- endmacro %}

{#- pre-hook of the month-incremental models: forget the months this build recomputes. A Spark
    build (features/spark.py) is a full refresh into a new database every time: no pre-hook. -#}
{% macro forget_restated_months() -%}
    {%- if is_incremental() and target.type != 'spark' -%}
        delete from {{ this }} where month >= {{ p('since') }}::date or month > {{ p('as_of') }}::date
    {%- endif -%}
{%- endmacro %}
