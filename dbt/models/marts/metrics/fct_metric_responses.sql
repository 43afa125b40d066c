-- One row per rated response (NPS, CSAT, CES, star) with the per-response score on the reporting
-- scale and every dimension the metric marts cut by, the customer's attributes included, plus one
-- row per feedback item with a sentiment (metric negative_share: 100 when negative, else 0). The
-- metric marts aggregate this table.
-- Incremental (macros/incremental_metrics.sql): rewrites the records changed since the last build
-- (changed_at, as fct_feedback) and those whose topic label or customer attributes moved.
{{ config(
    materialized='incremental',
    unique_key='feedback_id',
    incremental_strategy='delete+insert',
    on_schema_change='append_new_columns',
    indexes=[{'columns': ['feedback_id', 'metric'], 'unique': True}, {'columns': ['metric', 'response_date']},
             {'columns': ['changed_at']}],
    pre_hook=["{{ record_incremental_window() }}"],
    post_hook=["{{ delete_metric_responses_gone_upstream() }}"]
) }}
with

{%- if is_incremental() %}
changed as (

    -- a record without a change marker (a stand-in table) is always rebuilt
    select feedback_id from {{ ref('int_feedback_enriched') }}
    where changed_at is null or changed_at >= {{ incremental_cutoff(this) }}
    union
    {{ metric_responses_moved(this) }}

),
{%- endif %}

feedback as (

    select * from {{ ref('int_feedback_enriched') }}
    {%- if is_incremental() %}
    where feedback_id in (select feedback_id from changed)
    {%- endif %}

),

enriched as (

    select *, rating_type as metric from feedback
    where rating_type in ('nps', 'csat', 'ces', 'star') and rating_value is not null
    union all
    select *, 'negative_share' as metric from feedback
    where sentiment_label is not null

),

scored as (

    select
        -- ids
        e.feedback_id,
        e.metric,

        -- when
        e.submitted_at,
        e.submitted_date as response_date,
        {{ period_start('week', 'e.submitted_date') }} as response_week,
        {{ period_start('month', 'e.submitted_date') }} as response_month,

        -- dimensions
        e.source,
        e.channel,
        coalesce(e.category, '(none)') as category,
        coalesce(cast(e.topic_id as {{ dbt.type_string() }}), '(none)') as topic_id,
        coalesce(e.topic_label, '(none)') as topic_label,
        {%- for segment in var('segment_columns') %}
        coalesce(e.{{ adapter.quote(segment) }}, '(none)') as {{ adapter.quote(segment) }},
        {%- endfor %}
        -- the customer's attributes when they responded (fct_feedback joins dim_customers as of then)
        {%- for attribute in customer_dimension_columns() %}
        coalesce(cast(c.{{ attribute }} as {{ dbt.type_string() }}), '(none)') as {{ attribute }},
        {%- endfor %}

        -- the rating as given
        case when e.metric <> 'negative_share' then e.rating_value end as rating_value,
        case when e.metric <> 'negative_share' then e.rating_scale_min end as rating_scale_min,
        case when e.metric <> 'negative_share' then e.rating_scale_max end as rating_scale_max,

        -- the score on the reporting scale: NPS +100/0/-100, CSAT and CES-easy 100/0 shares
        -- come from is_success, CES ease 0..100 (100 = easiest), stars as given
        case e.metric
            when 'nps' then case e.nps_group when 'promoter' then 100.0 when 'detractor' then -100.0 else 0.0 end
            when 'csat' then case when e.is_satisfied then 100.0 else 0.0 end
            when 'ces' then {{ ces_ease_score('e.rating_value', 'e.rating_scale_min', 'e.rating_scale_max', 'e.ces_higher_is_easier') }}
            when 'star' then 1.0 * e.rating_value
            when 'negative_share' then case when e.sentiment_label = 'negative' then 100.0 else 0.0 end
        end as score,
        coalesce(e.metric = 'nps' and e.nps_group = 'promoter', false) as is_promoter,
        coalesce(e.metric = 'nps' and e.nps_group = 'detractor', false) as is_detractor,
        case e.metric
            when 'nps' then e.nps_group = 'promoter'
            when 'csat' then e.is_satisfied
            when 'ces' then {{ ces_is_easy('e.rating_value', 'e.rating_scale_min', 'e.rating_scale_max', 'e.ces_higher_is_easier') }}
            when 'star' then e.rating_value >= 4
            when 'negative_share' then e.sentiment_label = 'negative'
        end as is_success,
        e.changed_at

    from enriched e
    left join {{ ref('fct_feedback') }} c on c.feedback_id = e.feedback_id

)

select
    feedback_id, metric, submitted_at, response_date, response_week, response_month,
    source, channel, category, topic_id, topic_label,
    {%- for segment in var('segment_columns') + customer_dimension_columns() %}
    {{ adapter.quote(segment) }},
    {%- endfor %}
    cast(rating_value as {{ dbt.type_float() }}) as rating_value,
    cast(rating_scale_min as {{ dbt.type_float() }}) as rating_scale_min,
    cast(rating_scale_max as {{ dbt.type_float() }}) as rating_scale_max,
    cast(score as {{ dbt.type_float() }}) as score,
    is_promoter, is_detractor, is_success,
    changed_at
from scored
