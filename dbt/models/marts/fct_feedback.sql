-- One row per valid feedback item, every source. No raw PII: customer_key and redacted text only.
-- Customer attributes are the dim_customers version valid when the feedback was given.
with

feedback as (

    select * from {{ ref('int_feedback_enriched') }}

),

customer_versions as (

    select
        customer_key,
        plan,
        region,
        tier,
        signup_date,
        lifetime_value,
        account_owner,
        -- the first known version also describes the customer before it was recorded
        case when dbt_valid_from > min(dbt_valid_from) over (partition by customer_key) then dbt_valid_from end
            as effective_from,
        dbt_valid_to as effective_to
    from {{ ref('dim_customers') }}

)

select
    f.feedback_id,
    f.source,
    f.account,
    f.source_record_id,
    f.customer_key,
    f.channel,
    f.submitted_at,
    f.submitted_date,
    f.language,
    f.text_redacted,
    f.rating_type,
    f.rating_value,
    f.rating_scale_min,
    f.rating_scale_max,
    f.nps_group,
    f.is_satisfied,
    {{- enrichment_columns('f') }}
    f.topic_id,
    f.topic_label,
    f.survey_id,
    f.question_id,
    f.thread_id,
    {{- segment_columns(alias='f') }}
    c.plan as customer_plan,
    c.region as customer_region,
    c.tier as customer_tier,
    c.signup_date as customer_signup_date,
    c.lifetime_value as customer_lifetime_value,
    c.account_owner as customer_account_owner,
    f.run_id
from feedback f
left join customer_versions c
    on c.customer_key = f.customer_key
    -- the snapshot's validity is UTC without a time zone (macros/metric_stats.sql utc_timestamp)
    and (c.effective_from is null or {{ utc_timestamp('f.submitted_at') }} >= c.effective_from)
    and (c.effective_to is null or {{ utc_timestamp('f.submitted_at') }} < c.effective_to)
