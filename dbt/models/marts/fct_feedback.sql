-- One row per valid feedback item, every source. No raw PII: customer_key and redacted text only.
-- Customer attributes are the dim_customers version valid when the feedback was given.
-- Incremental (macros/incremental_feedback.sql): rewrites the records int_feedback_enriched
-- changed since the last build, those whose customer attributes (dim_customers) changed and those
-- of a relabelled topic.
{{ config(
    materialized='incremental',
    unique_key='feedback_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    indexes=[{'columns': ['feedback_id'], 'unique': True}, {'columns': ['changed_at']}],
    pre_hook=["{{ record_incremental_window() }}", "{{ topic_label_index(only_incremental=true) }}"],
    post_hook=["{{ delete_feedback_gone_upstream() }}", "{{ topic_label_index() }}"]
) }}

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

){% if is_incremental() %},

-- Built records whose customer version (SCD2) is no longer the one valid when they were given.
customer_changed as (

    select t.feedback_id
    from {{ this }} t
    left join customer_versions c
        on c.customer_key = t.customer_key
        and (c.effective_from is null or {{ utc_timestamp('t.submitted_at') }} >= c.effective_from)
        and (c.effective_to is null or {{ utc_timestamp('t.submitted_at') }} < c.effective_to)
    where t.customer_key is not null
        and (t.customer_plan, t.customer_region, t.customer_tier, t.customer_signup_date,
             t.customer_lifetime_value, t.customer_account_owner)
        is distinct from (c.plan, c.region, c.tier, c.signup_date, c.lifetime_value, c.account_owner)

)
{%- endif %}

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
    f.run_id,
    f.changed_at
from feedback f
left join customer_versions c
    on c.customer_key = f.customer_key
    -- the snapshot's validity is UTC without a time zone (macros/metric_stats.sql utc_timestamp)
    and (c.effective_from is null or {{ utc_timestamp('f.submitted_at') }} >= c.effective_from)
    and (c.effective_to is null or {{ utc_timestamp('f.submitted_at') }} < c.effective_to)
{%- if is_incremental() %}
-- one keyed set, not an OR of IN lists (which makes PostgreSQL filter every row of the table)
where f.feedback_id in (
    select feedback_id from {{ ref('int_feedback_enriched') }} where changed_at >= {{ incremental_cutoff(this) }}
    union
    select feedback_id from customer_changed
    union
    {{ relabelled_feedback(this) }}
)
{%- endif %}
