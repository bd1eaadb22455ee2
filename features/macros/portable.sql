{#- SQL that DuckDB and Spark SQL spell differently (issue 17: the same models on both engines).
    One macro per construct, named for what it means; `default__` is DuckDB (the text the models
    had, so a DuckDB build stays bit for bit what it was), `spark__` is Spark SQL 4.
    Everything else in the models is plain SQL both engines read alike: prefer that to a macro.
    Differences that need no macro but bite: Spark sorts NULLs first (DuckDB last), Spark
    averages a decimal literal as a DECIMAL (write 1.0::double), `interval 2 month` and
    `date ± integer` work on both, `::` casts too. -#}

{#- a / b as DuckDB computes it. DuckDB divides two DECIMALs as DOUBLEs; Spark keeps a
    DECIMAL of limited scale (six digits: 1e-7 errors that a rounded z-score turns into 1e-6). -#}
{% macro ratio(a, b) %}{{ return(adapter.dispatch('ratio')(a, b)) }}{% endmacro %}
{% macro default__ratio(a, b) %}{{ a }} / {{ b }}{% endmacro %}
{% macro spark__ratio(a, b) %}cast({{ a }} as double) / cast({{ b }} as double){% endmacro %}

{#- an interval of n months / n days, n an integer expression (date ± it) -#}
{% macro months_interval(n) %}{{ return(adapter.dispatch('months_interval')(n)) }}{% endmacro %}
{% macro default__months_interval(n) %}to_months({{ n }}){% endmacro %}
{% macro spark__months_interval(n) %}make_ym_interval(0, {{ n }}){% endmacro %}

{% macro days_interval(n) %}{{ return(adapter.dispatch('days_interval')(n)) }}{% endmacro %}
{% macro default__days_interval(n) %}to_days({{ n }}){% endmacro %}
{% macro spark__days_interval(n) %}make_dt_interval({{ n }}){% endmacro %}

{#- one row per month from `first` to `last` (dates; a select-list expression) -#}
{% macro month_series(first, last) %}{{ return(adapter.dispatch('month_series')(first, last)) }}{% endmacro %}
{% macro default__month_series(first, last) %}unnest(generate_series({{ first }}, {{ last }}, interval 1 month))::date{% endmacro %}
{% macro spark__month_series(first, last) %}explode(sequence({{ first }}, {{ last }}, interval 1 month)){% endmacro %}

{#- seconds from timestamp `start` to timestamp `end` (a double, microseconds exact) -#}
{% macro seconds_between(start, end) %}{{ return(adapter.dispatch('seconds_between')(start, end)) }}{% endmacro %}
{% macro default__seconds_between(start, end) %}epoch({{ end }} - {{ start }}){% endmacro %}
{% macro spark__seconds_between(start, end) %}(unix_micros({{ end }}) - unix_micros({{ start }})) / 1e6{% endmacro %}

{#- the q-quantile, interpolated between the two nearest values -#}
{% macro quantile_interpolated(x, q) %}{{ return(adapter.dispatch('quantile_interpolated')(x, q)) }}{% endmacro %}
{% macro default__quantile_interpolated(x, q) %}quantile_cont({{ x }}, {{ q }}){% endmacro %}
{% macro spark__quantile_interpolated(x, q) %}percentile({{ x }}, {{ q }}){% endmacro %}

{#- text without whitespace and punctuation (Unicode: 。，、 too). DuckDB's RE2 and Java's regex
    agree on [\s\p{P}]; Spark's string literals need the backslashes doubled. -#}
{% macro without_spaces_and_punctuation(x) %}{{ return(adapter.dispatch('without_spaces_and_punctuation')(x)) }}{% endmacro %}
{% macro default__without_spaces_and_punctuation(x) %}regexp_replace({{ x }}, '[\s\p{P}]', '', 'g'){% endmacro %}
{% macro spark__without_spaces_and_punctuation(x) %}regexp_replace({{ x }}, '[\\s\\p{P}]', ''){% endmacro %}

{#- Age in whole years on a day: one less while that year's birthday is still to come. The
    elderly features (feat_outflows, feat_attrition, int_matured_deals); the report's evidence
    uses the DuckDB macro of the same name (features/staging/macros.sql). -#}
{% macro age_on(birth, on_day) %}{{ return(adapter.dispatch('age_on')(birth, on_day)) }}{% endmacro %}
{% macro default__age_on(birth, on_day) -%}
    (date_diff('year', {{ birth }}, {{ on_day }}) - (strftime({{ on_day }}, '%m%d') < strftime({{ birth }}, '%m%d'))::integer)
{%- endmacro %}
{% macro spark__age_on(birth, on_day) -%}
    cast(year({{ on_day }}) - year({{ birth }})
         - case when date_format({{ on_day }}, 'MMdd') < date_format({{ birth }}, 'MMdd') then 1 else 0 end as bigint)
{%- endmacro %}

{#- Monday to Friday (the fallback workday outside ref_calendar's years): DuckDB's dayofweek
    counts Sunday = 0, Spark's weekday() Monday = 0. -#}
{% macro monday_to_friday(ts) %}{{ return(adapter.dispatch('monday_to_friday')(ts)) }}{% endmacro %}
{% macro default__monday_to_friday(ts) %}dayofweek({{ ts }}) between 1 and 5{% endmacro %}
{% macro spark__monday_to_friday(ts) %}weekday({{ ts }}) < 5{% endmacro %}

{#- A time of day outside business hours (int_contact_events: with a non-workday, what makes a
    contact off hours). The business hours are text literals 'HH:MM:SS'. Spark has no TIME
    type: its clock time is compared as zero-padded text, which orders like the time. -#}
{% macro outside_business_hours(ts, business_start, business_end) %}{{ return(adapter.dispatch('outside_business_hours')(ts, business_start, business_end)) }}{% endmacro %}
{% macro default__outside_business_hours(ts, business_start, business_end) -%}
    ({{ ts }}::time < {{ business_start }}::time or {{ ts }}::time >= {{ business_end }}::time)
{%- endmacro %}
{% macro spark__outside_business_hours(ts, business_start, business_end) -%}
    (date_format({{ ts }}, 'HH:mm:ss.SSSSSS') < {{ business_start }}
     or date_format({{ ts }}, 'HH:mm:ss.SSSSSS') >= {{ business_end }})
{%- endmacro %}

{#- The same outside counterparty (feat_outflows and the report's counterparty evidence): the
    account with its bank, else bank + name. A masked account (6222****1234) is no identifier
    on its own: ten thousand tails per prefix and bank are shared by unrelated people, so a
    masked account counts with the name beside it. Plain SQL on both engines. -#}
{% macro counterparty_key(account, bank, name) -%}
    (case when {{ account }} is not null and not contains({{ account }}, '*') then 'acct:' || {{ account }} || '|' || coalesce({{ bank }}, '')
          when {{ account }} is not null then 'acct:' || {{ account }} || '|' || coalesce({{ bank }}, '') || '|' || coalesce({{ name }}, '')
          else 'name:' || coalesce({{ bank }}, '') || '|' || coalesce({{ name }}, '') end)
{%- endmacro %}

{#- Several columns as one value that orders by them in turn (max_by's tie-breaking key):
    a row in DuckDB, a struct in Spark. -#}
{% macro sort_key() %}{{ return(adapter.dispatch('sort_key')(varargs)) }}{% endmacro %}
{% macro default__sort_key(columns) %}({{ columns | join(', ') }}){% endmacro %}
{% macro spark__sort_key(columns) %}struct({{ columns | join(', ') }}){% endmacro %}

{#- The distinct values of a column as a sorted list (an aggregate). -#}
{% macro sorted_distinct_list(column) %}{{ return(adapter.dispatch('sorted_distinct_list')(column)) }}{% endmacro %}
{% macro default__sorted_distinct_list(column) %}list(distinct {{ column }} order by {{ column }}){% endmacro %}
{% macro spark__sorted_distinct_list(column) %}array_sort(collect_set({{ column }})){% endmacro %}

{#- x rounded to `places` decimals as DuckDB rounds a DOUBLE: scaled by 10^places, rounded half
    away from zero, scaled back. Spark's round() rounds the exact binary value (HALF_UP of a
    BigDecimal): -0.2633075 becomes -0.263307 there, -0.263308 in DuckDB. -#}
{% macro rounded(x, places) %}{{ return(adapter.dispatch('rounded')(x, places)) }}{% endmacro %}
{% macro default__rounded(x, places) %}round({{ x }}, {{ places }}){% endmacro %}
{% macro spark__rounded(x, places) %}(round(({{ x }}) * 1e{{ places }}) / 1e{{ places }}){% endmacro %}

{#- Whole days from `start` to `end` (dates). -#}
{% macro days_between(start, end) %}{{ return(adapter.dispatch('days_between')(start, end)) }}{% endmacro %}
{% macro default__days_between(start, end) %}date_diff('day', {{ start }}, {{ end }}){% endmacro %}
{% macro spark__days_between(start, end) %}datediff({{ end }}, {{ start }}){% endmacro %}
