-- The canonical feedback record: validated records only, PII removed, enrichment attached.
-- customer_email and text_raw stop here; downstream sees customer_key and text_redacted, and
-- ids that carry PII (a record id that is an email, a thread id that is a phone) as pseudonyms.
--
-- Incremental (macros/incremental_feedback.sql): a build rewrites only the records whose raw
-- version, validation, enrichment, identity or topic assignment changed since the last build (less
-- the lookback var incremental_lookback_hours; changed_at is that change marker), and the
-- records of a relabelled topic. The change markers are indexed (cfm.warehouse.schema,
-- cfm.nlp.ml_schema), and each changed record's staged row is looked up by its raw key.
{{ config(
    materialized='incremental',
    unique_key='feedback_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    indexes=[{'columns': ['feedback_id'], 'unique': True}, {'columns': ['changed_at']}],
    pre_hook=["{{ record_incremental_window() }}", "{{ topic_label_index(only_incremental=true) }}"],
    post_hook=["{{ delete_invalidated_feedback() }}", "{{ topic_label_index() }}"]
) }}

with

unioned as (

    select * from {{ ref('int_feedback_unioned') }}

),
{#- a table built before the loop's columns were added is rebuilt whole once, so no row lacks them -#}
{%- set backfill = is_incremental() and 'company_replied_at' not in
    (adapter.get_columns_in_relation(this) | map(attribute='name') | list) %}
{% if is_incremental() and not backfill %}

-- The raw keys whose record or derived rows changed since the last build (less the lookback).
changed_keys as (

    {{ changed_feedback_keys(this) }}

),
{% endif %}

validated as (

    select source, account, source_record_id, payload_hash, true as is_valid, validated_at
    from {{ source('ops', 'validated_records') }}
    where passed

),

enrichment as (

    select * from {{ source('ml', 'feedback_enrichment') }}

),

identity as (

    select * from {{ source('ml', 'feedback_identity') }}

),

enriched_records as (

    select feedback_id, enriched_at from {{ source('ops', 'enriched_records') }}

),

topics as (

    select a.feedback_id, a.topic_id, t.label as topic_label, a.assigned_at
    from {{ source('ml', 'topic_assignments') }} a
    left join {{ source('ml', 'topics') }} t using (topic_id)

),

joined as (

    select
        -- ids
        u.feedback_id,
        u.source,
        u.account,
        {{ public_id('u.source_record_id') }} as source_record_id,
        i.customer_key,
        {{ public_id('u.survey_id') }} as survey_id,
        {{ public_id('u.question_id') }} as question_id,
        {{ public_id('u.thread_id') }} as thread_id,

        -- timestamps
        u.submitted_at,
        {{ local_day('u.submitted_at') }} as submitted_date,
        u.source_updated_at,
        u.extracted_at,

        -- what was said (redacted)
        u.channel,
        coalesce(e.language, u.language_declared, 'und') as language,
        e.text_redacted,
        e.pii_types,

        -- ratings
        u.rating_type,
        u.rating_value,
        u.rating_scale_min,
        u.rating_scale_max,
        case when u.rating_type = 'nps' then {{ nps_group('u.rating_value') }} end as nps_group,
        case when u.rating_type = 'csat' then {{ is_satisfied('u.rating_value', 'u.rating_scale_max') }} end as is_satisfied,
        coalesce(u.attributes->>'ces_direction', 'higher_is_easier') <> 'lower_is_easier' as ces_higher_is_easier,

        -- segments the source carries per item (var segment_columns, macros/segments.sql)
        {{- segment_columns('u.attributes') }}

        -- enrichment (the step columns: cfm.nlp.steps, see macros/enrichment_columns.sql)
        {{- enrichment_columns('e') }}
        t.topic_id,
        t.topic_label,
        e.embedding_model,
        e.sentiment_model,

        -- what the closed loop reads (int_loop_feedback, int_loop_company_replies): the case id a
        -- re-survey answer carries in a hidden field (Typeform hidden fields, SurveyMonkey custom
        -- variables, Qualtrics embedded data), and when the company replied to a review (Google Play
        -- and Business Profile give only the reply's last-modified time)
        nullif(coalesce(
            u.attributes->'hidden'->>'case_id',
            u.attributes->'custom_variables'->>'case_id',
            u.attributes->'embedded_data'->>'case_id'
        ), '') as resurvey_case_id,
        case when u.channel = 'review' then coalesce(
            {{ safe_timestamptz("u.attributes->>'company_reply_at'") }},
            {{ safe_timestamptz("u.attributes->>'developer_reply_at'") }},
            {{ safe_timestamptz("u.attributes->>'reply_updated_at'") }},
            {{ safe_timestamptz("u.attributes->>'response_modified_at'") }}
        ) end as company_replied_at,

        -- lineage
        u.run_id,
        u.payload_hash,
        -- when this record, its validation, enrichment, identity or topic assignment last changed
        greatest(u.extracted_at, v.validated_at, e.enriched_at, r.enriched_at, t.assigned_at)
            as changed_at

    {%- if is_incremental() and not backfill %}
    -- each changed record looked up by its raw key (a lateral subquery PostgreSQL may not flatten:
    -- offset 0), so only those rows of the staging views are computed, from the raw tables' keys
    from (
        select x.* from changed_keys k
        cross join lateral (
            select * from unioned x
            where x.source = k.source and x.account = k.account and x.source_record_id = k.source_record_id
            offset 0
        ) x
    ) u
    {%- else %}
    from unioned u
    {%- endif %}
    -- a retained record was validated before retention removed its raw payload (and its verdict)
    left join validated v using (source, account, source_record_id, payload_hash)
    left join enriched_records r using (feedback_id)
    left join enrichment e using (feedback_id)
    left join identity i using (feedback_id)
    left join topics t using (feedback_id)
    where v.is_valid or u.is_retained

)

select * from joined
