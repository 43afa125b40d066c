{#- One definition of every CX metric (design.md). Marts call these; no formula is written twice. -#}

{#- NPS classification of a 0-10 score. -#}
{% macro nps_group(score) -%}
    {{ return(adapter.dispatch('nps_group', 'cfm')(score)) }}
{%- endmacro %}

{% macro default__nps_group(score) -%}
    case
        when {{ score }} is null then null
        when {{ score }} >= 9 then 'promoter'
        when {{ score }} >= 7 then 'passive'
        else 'detractor'
    end
{%- endmacro %}

{#- NPS = %promoters - %detractors, -100..100, one decimal. -#}
{% macro nps(promoters, detractors, responses) -%}
    {{ return(adapter.dispatch('nps', 'cfm')(promoters, detractors, responses)) }}
{%- endmacro %}

{% macro default__nps(promoters, detractors, responses) -%}
    round(100.0 * ({{ promoters }} - {{ detractors }}) / nullif({{ responses }}, 0), 1)
{%- endmacro %}

{#- 95% interval for NPS, adjusted Wald: add 3 to n and 0.75 to promoters and detractors.
    bound is 'low' or 'high'; clipped to -100..100. -#}
{% macro nps_interval(promoters, detractors, responses, bound) -%}
    {{ return(adapter.dispatch('nps_interval', 'cfm')(promoters, detractors, responses, bound)) }}
{%- endmacro %}

{% macro default__nps_interval(promoters, detractors, responses, bound) -%}
    round(cast({{ nps_adjusted_wald(promoters, detractors, responses, bound) }} as {{ dbt.type_numeric() }}), 1)
{%- endmacro %}

{#- CSAT: share of responses in the top two boxes of the scale (4-5 on 1-5). -#}
{% macro is_satisfied(value, scale_max) -%}
    {{ return(adapter.dispatch('is_satisfied', 'cfm')(value, scale_max)) }}
{%- endmacro %}

{% macro default__is_satisfied(value, scale_max) -%}
    ({{ value }} >= {{ scale_max }} - 1)
{%- endmacro %}

{% macro pct(numerator, denominator) -%}
    {{ return(adapter.dispatch('pct', 'cfm')(numerator, denominator)) }}
{%- endmacro %}

{% macro default__pct(numerator, denominator) -%}
    round(100.0 * {{ numerator }} / nullif({{ denominator }}, 0), 1)
{%- endmacro %}

{#- CES normalised to 0-100 where 100 is easiest, whatever the scale and direction.
    CES 2.0 (1-7 agreement, higher is easier) is the default direction. -#}
{% macro ces_ease_score(value, scale_min, scale_max, higher_is_easier) -%}
    {{ return(adapter.dispatch('ces_ease_score', 'cfm')(value, scale_min, scale_max, higher_is_easier)) }}
{%- endmacro %}

{% macro default__ces_ease_score(value, scale_min, scale_max, higher_is_easier) -%}
    case when {{ higher_is_easier }}
        then 100.0 * ({{ value }} - {{ scale_min }}) / nullif({{ scale_max }} - {{ scale_min }}, 0)
        else 100.0 * ({{ scale_max }} - {{ value }}) / nullif({{ scale_max }} - {{ scale_min }}, 0)
    end
{%- endmacro %}

{#- "Easy" = strictly on the easy side of the scale midpoint (5-7 on a 1-7 agreement scale). -#}
{% macro ces_is_easy(value, scale_min, scale_max, higher_is_easier) -%}
    {{ return(adapter.dispatch('ces_is_easy', 'cfm')(value, scale_min, scale_max, higher_is_easier)) }}
{%- endmacro %}

{% macro default__ces_is_easy(value, scale_min, scale_max, higher_is_easier) -%}
    ({{ ces_ease_score(value, scale_min, scale_max, higher_is_easier) }} > 50)
{%- endmacro %}

{#- Cells smaller than var('min_responses') are flagged, not hidden: analysts decide. -#}
{% macro is_small_sample(responses) -%}
    {{ return(adapter.dispatch('is_small_sample', 'cfm')(responses)) }}
{%- endmacro %}

{% macro default__is_small_sample(responses) -%}
    ({{ responses }} < {{ min_responses() }})
{%- endmacro %}

{% macro local_day(ts) -%}
    {{ return(adapter.dispatch('local_day', 'cfm')(ts)) }}
{%- endmacro %}

{% macro default__local_day(ts) -%}
    {%- if var('report_timezone') | upper != 'UTC' -%}
        {{ exceptions.raise_compiler_error("local_day: report_timezone " ~ var('report_timezone') ~ " needs a " ~ adapter.type() ~ "__local_day macro") }}
    {%- endif -%}
    {{ dbt.cast(ts, api.Column.translate_type('date')) }}
{%- endmacro %}

{% macro postgres__local_day(ts) -%}
    cast(({{ ts }} at time zone '{{ var("report_timezone") }}') as date)
{%- endmacro %}
