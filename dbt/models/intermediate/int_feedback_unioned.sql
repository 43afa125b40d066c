-- Every source's staged feedback in one relation (the staging contract's columns).
{%- set columns = [
    'feedback_id', 'source', 'account', 'source_record_id', 'payload_hash', 'run_id', 'extracted_at',
    'source_updated_at', 'submitted_at', 'channel', 'customer_email', 'customer_external_id',
    'language_declared', 'text_raw', 'rating_type', 'rating_value', 'rating_scale_min', 'rating_scale_max',
    'survey_id', 'question_id', 'thread_id', 'attributes'
] %}
{#- Columns some sources stage with another type (review sites' default scales are integers): cast to the
    contract's, so the union needs no coercion and PostgreSQL can flatten it (see the final select). -#}
{%- set contract_casts = {'rating_scale_min': 'numeric', 'rating_scale_max': 'numeric'} %}

{{ config(materialized='view') }}

with

-- not materialized: a filter or join on this view (extracted_at, the raw key) reaches the raw
-- tables' indexes instead of every staged row being computed first
staged as not materialized (
{% for source_name in var('feedback_sources') %}
    select
        {%- for column in columns %}
        {% if column in contract_casts %}cast({{ column }} as {{ contract_casts[column] }}) as {{ column }}{% else %}{{ column }}{% endif %},
        {%- endfor %}
        false as is_retained
    from {{ ref('stg_' ~ source_name ~ '__feedback') }}
    {% if not loop.last %}union all{% endif %}
{% endfor %}
),

-- Records whose raw payload retention removed: already redacted and pseudonymised. A source that
-- delivers the record again brings it back to staging, and the staged version wins.
retained as (

    select
        feedback_id, source, account, source_record_id, payload_hash, run_id, extracted_at,
        source_updated_at, submitted_at, channel, cast(null as text) as customer_email,
        cast(null as text) as customer_external_id, language_declared, text_redacted as text_raw,
        rating_type, rating_value, rating_scale_min, rating_scale_max, survey_id, question_id, thread_id,
        attributes, true as is_retained
    from {{ source('ml', 'retained_feedback') }} r
    -- by the raw key (feedback_id is its md5), which the raw tables' primary keys index
    where not exists (select 1 from staged s
                      where s.source = r.source and s.account = r.account and s.source_record_id = r.source_record_id)

)

-- A query on this view computes only the columns it reads (the data tests read feedback_id, not the JSON
-- fields): PostgreSQL prunes unused columns of a view whose top level is a plain select over a union all
-- of matching types, but computes every column of one that is itself a set operation.
select * from (
    select * from staged
    union all
    select * from retained
) unioned
