{% macro iso_dow(col) %}{{ return(adapter.dispatch('iso_dow')(col)) }}{% endmacro %}
{% macro default__iso_dow(col) %}isodow({{ col }}){% endmacro %}
{% macro spark__iso_dow(col) %}extract(DAYOFWEEK_ISO from {{ col }}){% endmacro %}
{% macro p90(col) %}{{ return(adapter.dispatch('p90')(col)) }}{% endmacro %}
{% macro default__p90(col) %}quantile_cont({{ col }}, 0.9){% endmacro %}
{% macro spark__p90(col) %}percentile({{ col }}, 0.9){% endmacro %}
{% macro read_contacts() %}{{ return(adapter.dispatch('read_contacts')()) }}{% endmacro %}
{% macro default__read_contacts() %}read_csv('{{ var("contacts_csv") }}', all_varchar = true){% endmacro %}
{% macro spark__read_contacts() %}contacts_csv{% endmacro %}
