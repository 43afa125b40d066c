{#- Significance for the report marts and alerts: one definition of each test statistic.

    A score is the mean of per-response values: NPS counts a promoter +1 and a detractor -1,
    a share (CSAT, % easy, negative share) counts a hit +1. So NPS and every share have the
    same variance formula, with negatives = 0 for a share. -#}

{#- Variance of a score's estimate, in proportion units squared (multiply by 100^2 for points). -#}
{% macro score_variance(positives, negatives, responses) -%}
    case when {{ responses }} > 0 then
        (
            cast({{ positives }} as numeric) / {{ responses }}
            + cast({{ negatives }} as numeric) / {{ responses }}
            - power(cast({{ positives }} - {{ negatives }} as numeric) / {{ responses }}, 2)
        ) / {{ responses }}
    end
{%- endmacro %}

{#- Two-sided p-value of a z statistic under the standard normal. -#}
{% macro two_sided_p_value(z) -%}
    {{ return(adapter.dispatch('two_sided_p_value', 'cfm')(z)) }}
{%- endmacro %}

{#- PostgreSQL before 16 has no erf(): the Zelen-Severo approximation of the normal tail
    (Abramowitz & Stegun 26.2.17, absolute error < 7.5e-8), far below any alpha we use. -#}
{% macro default__two_sided_p_value(z) -%}
    {%- set x = 'abs(' ~ z ~ ')' -%}
    {%- set t = '(1.0 / (1.0 + 0.2316419 * ' ~ x ~ '))' -%}
    case when {{ z }} is not null then least(1.0, 2.0 * exp(-0.5 * power({{ x }}, 2)) / sqrt(2.0 * pi())
        * {{ t }} * (0.319381530 + {{ t }} * (-0.356563782 + {{ t }} * (1.781477937
        + {{ t }} * (-1.821255978 + {{ t }} * 1.330274429))))) end
{%- endmacro %}

{#- Benjamini-Hochberg: the rank of each p-value within its family (1 = smallest)... -#}
{% macro bh_rank(p_value, partition_by) -%}
    row_number() over (partition by {{ partition_by }} order by {{ p_value }})
{%- endmacro %}

{#- ... and its q-value: min over ranks >= this one of p * m / rank, capped at 1. Needs the
    rank (bh_rank) and family size m (bh_family_size) from an earlier CTE (windows cannot nest). -#}
{% macro bh_family_size(partition_by) -%}
    count(*) over (partition by {{ partition_by }})
{%- endmacro %}

{% macro bh_q_value(p_value, p_rank, family_size, partition_by) -%}
    least(1.0, min({{ p_value }} * {{ family_size }} / {{ p_rank }}) over (
        partition by {{ partition_by }} order by {{ p_rank }} desc rows between unbounded preceding and current row
    ))
{%- endmacro %}

{#- Wilson score interval of a share, in % (bound 'low' or 'high'). -#}
{% macro share_interval(hits, responses, bound) -%}
    {%- set n = 'cast(' ~ responses ~ ' as numeric)' -%}
    {%- set p = '(' ~ hits ~ ' / nullif(' ~ n ~ ', 0))' -%}
    {%- set z2 = '3.8416' -%}
    case when {{ responses }} > 0 then round(100.0 * (
        ({{ p }} + {{ z2 }} / (2 * {{ n }}) {{ '-' if bound == 'low' else '+' }}
         1.96 * sqrt({{ p }} * (1 - {{ p }}) / {{ n }} + {{ z2 }} / (4 * power({{ n }}, 2))))
        / (1 + {{ z2 }} / {{ n }})), 1) end
{%- endmacro %}

{#- Month (or week) bucket of a local day, the report's period. -#}
{% macro report_period(day) -%}
    cast(date_trunc('{{ var("report_period_grain") }}', {{ day }}) as date)
{%- endmacro %}
