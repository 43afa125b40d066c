{#- The canonical who/what/rating columns from the `mapping` block that the Typeform,
    SurveyMonkey and Qualtrics connectors store beside the response. -#}
{% macro columns_from_mapping() %}
        -- who (pseudonymised downstream; never leaves staging in clear)
        nullif(lower(trim(payload->'mapping'->>'customer_email')), '') as customer_email,
        nullif(trim(payload->'mapping'->>'customer_external_id'), '') as customer_external_id,

        -- what they said
        nullif(lower(trim(payload->'mapping'->>'language')), '') as language_declared,
        nullif(trim(payload->'mapping'->>'text'), '') as text_raw,

        -- ratings
        nullif(payload->'mapping'->>'rating_type', '') as rating_type,
        {{ safe_numeric("payload->'mapping'->>'rating_value'") }} as rating_value,
        nullif(trim(payload->'mapping'->>'rating_value_raw'), '') as rating_value_raw,
        coalesce(
            {{ safe_numeric("payload->'mapping'->>'rating_scale_min'") }},
            {{ default_scale_min("nullif(payload->'mapping'->>'rating_type', '')") }}
        ) as rating_scale_min,
        coalesce(
            {{ safe_numeric("payload->'mapping'->>'rating_scale_max'") }},
            {{ default_scale_max("nullif(payload->'mapping'->>'rating_type', '')") }}
        ) as rating_scale_max
{%- endmacro %}
