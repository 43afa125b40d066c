{#- One definition of every CX metric (design.md). Marts call these; no formula is written twice. -#}

{#- NPS classification of a 0-10 score. -#}
{% macro nps_group(score) -%}
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
    {%- set n = '(' ~ responses ~ ' + 3.0)' -%}
    {%- set p = '((' ~ promoters ~ ' + 0.75) / ' ~ n ~ ')' -%}
    {%- set d = '((' ~ detractors ~ ' + 0.75) / ' ~ n ~ ')' -%}
    {%- set centre = '(' ~ p ~ ' - ' ~ d ~ ')' -%}
    {%- set moe = '1.96 * sqrt((' ~ p ~ ' + ' ~ d ~ ' - power(' ~ centre ~ ', 2)) / ' ~ n ~ ')' -%}
    case when {{ responses }} > 0 then
        round(cast(100.0 * {{ 'greatest(-1.0, ' ~ centre ~ ' - ' ~ moe ~ ')' if bound == 'low' else 'least(1.0, ' ~ centre ~ ' + ' ~ moe ~ ')' }} as numeric), 1)
    end
{%- endmacro %}

{#- CSAT: share of responses in the top two boxes of the scale (4-5 on 1-5). -#}
{% macro is_satisfied(value, scale_max) -%}
    ({{ value }} >= {{ scale_max }} - 1)
{%- endmacro %}

{% macro pct(numerator, denominator) -%}
    round(100.0 * {{ numerator }} / nullif({{ denominator }}, 0), 1)
{%- endmacro %}

{#- CES normalised to 0-100 where 100 is easiest, whatever the scale and direction.
    CES 2.0 (1-7 agreement, higher is easier) is the default direction. -#}
{% macro ces_ease_score(value, scale_min, scale_max, higher_is_easier) -%}
    case when {{ higher_is_easier }}
        then 100.0 * ({{ value }} - {{ scale_min }}) / nullif({{ scale_max }} - {{ scale_min }}, 0)
        else 100.0 * ({{ scale_max }} - {{ value }}) / nullif({{ scale_max }} - {{ scale_min }}, 0)
    end
{%- endmacro %}

{#- "Easy" = strictly on the easy side of the scale midpoint (5-7 on a 1-7 agreement scale). -#}
{% macro ces_is_easy(value, scale_min, scale_max, higher_is_easier) -%}
    ({{ ces_ease_score(value, scale_min, scale_max, higher_is_easier) }} > 50)
{%- endmacro %}

{#- Cells smaller than var('min_responses') are flagged, not hidden: analysts decide. -#}
{% macro is_small_sample(responses) -%}
    ({{ responses }} < {{ var('min_responses') }})
{%- endmacro %}

{% macro local_day(ts) -%}
    cast(({{ ts }} at time zone '{{ var("report_timezone") }}') as date)
{%- endmacro %}
