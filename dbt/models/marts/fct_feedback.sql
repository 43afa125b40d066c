-- One row per valid feedback item, every source. No raw PII: customer_key and redacted text only.
select
    feedback_id,
    source,
    account,
    source_record_id,
    customer_key,
    channel,
    submitted_at,
    submitted_date,
    language,
    text_redacted,
    rating_type,
    rating_value,
    rating_scale_min,
    rating_scale_max,
    nps_group,
    is_satisfied,
    {{- enrichment_columns() }}
    topic_id,
    topic_label,
    survey_id,
    question_id,
    thread_id,
    run_id
from {{ ref('int_feedback_enriched') }}
