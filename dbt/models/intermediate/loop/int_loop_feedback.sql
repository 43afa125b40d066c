-- What the closed loop reads per feedback item: the canonical record's rating, enrichment and
-- thread, plus the case id a re-survey answer carries in a hidden field (Typeform hidden fields,
-- SurveyMonkey custom variables, Qualtrics embedded data). No PII: customer_key and redacted text.
with

enriched as (

    select * from {{ ref('int_feedback_enriched') }}

),

unioned as (

    select feedback_id, attributes from {{ ref('int_feedback_unioned') }}

)

select
    -- ids
    e.feedback_id,
    e.source,
    e.account,
    e.customer_key,
    e.thread_id,
    nullif(coalesce(
        u.attributes->'hidden'->>'case_id',
        u.attributes->'custom_variables'->>'case_id',
        u.attributes->'embedded_data'->>'case_id'
    ), '') as resurvey_case_id,

    -- timestamps
    e.submitted_at,

    -- what was said
    e.channel,
    e.language,
    e.text_redacted,
    e.sentiment_label,
    e.sentiment_score,
    e.category,
    e.department,
    e.feedback_type,
    e.topic_id,

    -- ratings
    e.rating_type,
    e.rating_value,
    e.rating_scale_min,
    e.rating_scale_max,
    e.ces_higher_is_easier

from enriched e
left join unioned u using (feedback_id)
