{#- Casts that return null instead of failing the whole view on one bad value;
    validation then flags the null with the raw value kept beside it. -#}

{% macro safe_timestamptz(expr) -%}
    {{ return(adapter.dispatch('safe_timestamptz', 'cfm')(expr)) }}
{%- endmacro %}

{% macro default__safe_timestamptz(expr) -%}
    {{ dbt.safe_cast(expr, api.Column.translate_type('timestamp')) }}
{%- endmacro %}

{#- Plain ISO 8601 values of the years 1900-2099 whose month and day exist (29 February aside) cannot
    fail the cast nor leave the readable range, so they are cast inline (set-based, no function call
    per value). Everything else (other years, 29 February, 'BC', words, whitespace) goes through
    cfm_try_timestamptz, which traps the errors. Values without an offset are UTC, as in the function. -#}
{% macro postgres__safe_timestamptz(expr) -%}
    {%- set iso_date = "(19|20)[0-9]{2}-((0[13578]|1[02])-(0[1-9]|[12][0-9]|3[01])|(0[469]|11)-(0[1-9]|[12][0-9]|30)|02-(0[1-9]|1[0-9]|2[0-8]))" -%}
    {%- set iso_time = "[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]{1,6})?)?" -%}
    {%- set iso_offset = "(Z|[+-](0[0-9]|1[0-4])(:?[0-5][0-9])?)" -%}
    {%- set value = 'cast(' ~ expr ~ ' as text)' -%}
    case
        when {{ value }} is null then null
        when {{ value }} ~ '^{{ iso_date }}{{ iso_time }}{{ iso_offset }}$' then cast({{ value }} as timestamptz)
        when {{ value }} ~ '^{{ iso_date }}({{ iso_time }})?$' then cast({{ value }} as timestamp) at time zone 'UTC'
        else public.cfm_try_timestamptz({{ value }})
    end
{%- endmacro %}

{% macro safe_numeric(expr) -%}
    {{ return(adapter.dispatch('safe_numeric', 'cfm')(expr)) }}
{%- endmacro %}

{% macro default__safe_numeric(expr) -%}
    {{ dbt.safe_cast('trim(' ~ dbt.cast(expr, api.Column.translate_type('string')) ~ ')', api.Column.translate_type('numeric')) }}
{%- endmacro %}

{#- PostgreSQL has no try_cast: only strings that look like numbers are cast. -#}
{% macro postgres__safe_numeric(expr) -%}
    case
        when trim(cast({{ expr }} as text)) ~ '^[+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)$'
            then cast(trim(cast({{ expr }} as text)) as numeric)
    end
{%- endmacro %}

{#- Default scales by rating type, from var('default_rating_scales'): generated from
    cfm.sources.base.DEFAULT_SCALES by `python -m cfm.sources.codegen`. -#}
{% macro default_scale_min(rating_type) -%}
    case {{ rating_type }}{% for kind, scale in var('default_rating_scales').items() %} when '{{ kind }}' then {{ scale[0] }}{% endfor %} end
{%- endmacro %}

{% macro default_scale_max(rating_type) -%}
    case {{ rating_type }}{% for kind, scale in var('default_rating_scales').items() %} when '{{ kind }}' then {{ scale[1] }}{% endfor %} end
{%- endmacro %}

{#- Installs the function behind postgres__safe_timestamptz. Called from on-run-start; other
    warehouses have try_cast and need nothing. -#}
{% macro create_safe_cast_functions() -%}
    {{ return(adapter.dispatch('create_safe_cast_functions', 'cfm')()) }}
{%- endmacro %}

{% macro default__create_safe_cast_functions() -%}
    select 1
{%- endmacro %}

{% macro postgres__create_safe_cast_functions() %}
create or replace function public.cfm_try_timestamptz(value text) returns timestamptz
language plpgsql stable set timezone to 'UTC' as $$
declare
    parsed timestamptz;
begin
    if value is null or btrim(value) = '' then
        return null;
    end if;
    -- Require an explicit date; bare times or words like 'now' must not pass.
    if value !~ '^\s*\d{4}-\d{2}-\d{2}' then
        return null;
    end if;
    parsed := value::timestamptz;
    -- 'BC' dates and 9999-12-31 with a negative offset are valid here but no client (Python,
    -- pandas, BI tools) can read them: one such row used to stop validation for every source.
    if parsed < '0002-01-01 00:00:00+00' or parsed >= '9999-01-01 00:00:00+00' then
        return null;
    end if;
    return parsed;
exception when others then
    return null;
end;
$$;
{% endmacro %}
