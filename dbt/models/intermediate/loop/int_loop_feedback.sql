-- What the closed loop reads per feedback item: the canonical record's rating, enrichment and
-- thread, plus the case id a re-survey answer carries in a hidden field (int_feedback_enriched
-- keeps it). No PII: customer_key and redacted text. A view: the columns of a table built already.
{{ config(materialized='view') }}

select
    -- ids
    feedback_id,
    source,
    account,
    customer_key,
    thread_id,
    resurvey_case_id,

    -- timestamps
    submitted_at,

    -- what was said
    channel,
    language,
    text_redacted,
    sentiment_label,
    sentiment_score,
    category,
    department,
    feedback_type,
    topic_id,

    -- ratings
    rating_type,
    rating_value,
    rating_scale_min,
    rating_scale_max,
    ces_higher_is_easier

from {{ ref('int_feedback_enriched') }}
