{#- Closed-loop metric definitions (one place): the case state as of an instant, and the Wilson interval of a share. -#}

{#- The instant the loop marts stand for: var('loop_as_of') (the DAG's data interval end) or now. -#}
{% macro loop_as_of() -%}
    {%- set as_of = var('loop_as_of', none) -%}
    {%- if as_of -%} cast('{{ as_of }}' as timestamptz) {%- else -%} now() {%- endif -%}
{%- endmacro %}

{#- Wilson score interval (95%, z = 1.959964) of successes / n, as a percentage; bound = 'low' or 'high'. -#}
{% macro wilson_interval(successes, n, bound) -%}
    {{ return(adapter.dispatch('wilson_interval', 'cfm')(successes, n, bound)) }}
{%- endmacro %}

{% macro default__wilson_interval(successes, n, bound) -%}
    {%- set p = '((' ~ successes ~ ')::numeric / (' ~ n ~ '))' -%}
    {%- set m = '((' ~ n ~ ')::numeric)' -%}
    case when {{ m }} > 0 then round(100 * (
        ({{ p }} + 3.841459 / (2 * {{ m }}))
        {{ '-' if bound == 'low' else '+' }} 1.959964 * sqrt({{ p }} * (1 - {{ p }}) / {{ m }} + 3.841459 / (4 * {{ m }} * {{ m }}))
    ) / (1 + 3.841459 / {{ m }}), 1) end
{%- endmacro %}
