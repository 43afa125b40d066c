{#- Casts that return null instead of failing the whole view on one bad value;
    validation then flags the null with the raw value kept beside it. -#}

{% macro safe_timestamptz(expr) -%}
    {{ return(adapter.dispatch('safe_timestamptz', 'cfm')(expr)) }}
{%- endmacro %}

{% macro default__safe_timestamptz(expr) -%}
    {{ dbt.safe_cast(expr, api.Column.translate_type('timestamp')) }}
{%- endmacro %}

{% macro postgres__safe_timestamptz(expr) -%}
    public.cfm_try_timestamptz(cast({{ expr }} as text))
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
