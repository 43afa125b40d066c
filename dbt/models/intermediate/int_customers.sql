-- One row per pseudonymous customer key with the customer's current attributes, from every
-- customer-attribute source (var customer_sources). A record keyed by both email and external id
-- appears under both keys; where sources disagree the most recently updated record wins.
-- Deleted (archived) records drop out, so the dim_customers snapshot closes their last version.
with

staged as (

    {% for source_name in var('customer_sources') %}
    select source, account, source_record_id, payload_hash, plan, region, tier, signup_date, lifetime_value,
           account_owner, attributes, updated_at, is_deleted
    from {{ ref('stg_' ~ source_name ~ '__customers') }}
    {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

identity as (

    select * from {{ source('ml', 'customer_identity') }}

),

keyed as (

    select
        i.customer_key,
        s.source as attribute_source,
        s.plan,
        s.region,
        s.tier,
        s.signup_date,
        s.lifetime_value,
        s.account_owner,
        s.attributes,
        s.updated_at,
        row_number() over (
            partition by i.customer_key order by s.updated_at desc, s.source, s.source_record_id
        ) as recency_rank
    from staged s
    join identity i using (source, account, source_record_id, payload_hash)
    where not s.is_deleted

)

-- updated_at in UTC without a time zone, the type of dbt's snapshot time (dim_customers' dbt_valid_to
-- for a deleted customer), so the snapshot's validity columns have one type.
select customer_key, attribute_source, plan, region, tier, signup_date, lifetime_value, account_owner, attributes,
       {{ utc_timestamp('updated_at') }} as updated_at
from keyed
where recency_rank = 1
