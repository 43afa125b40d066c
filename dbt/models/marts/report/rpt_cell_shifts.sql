-- Shifts per cell (segment = channel, x topic) against the previous period, for NPS, CSAT and
-- the share of negative feedback, with Benjamini-Hochberg q-values across every tested cell
-- of the period. Report movers and the shift alerts read this one table.
--
-- cell_type: overall (all feedback), segment (a channel), topic, segment_topic (channel x topic).
-- A cell is tested only when both periods have at least var('min_responses') responses.
with

feedback as (
    select
        {{ report_period('submitted_date') }} as period_start,
        channel,
        topic_id,
        topic_label,
        nps_group,
        is_satisfied,
        sentiment_label
    from {{ ref('fct_feedback') }}
),

cells as (
    select
        period_start,
        case
            when grouping(channel) = 0 and grouping(topic_id) = 0 then 'segment_topic'
            when grouping(channel) = 0 then 'segment'
            when grouping(topic_id) = 0 then 'topic'
            else 'overall'
        end as cell_type,
        channel as segment,
        topic_id,
        case when grouping(topic_id) = 0 then max(topic_label) end as topic_label,
        count(*) filter (where nps_group is not null) as nps_responses,
        count(*) filter (where nps_group = 'promoter') as promoters,
        count(*) filter (where nps_group = 'detractor') as detractors,
        count(*) filter (where is_satisfied is not null) as csat_responses,
        count(*) filter (where is_satisfied) as satisfied,
        count(*) filter (where sentiment_label is not null) as sentiment_responses,
        count(*) filter (where sentiment_label = 'negative') as negative_items
    from feedback
    group by grouping sets ((period_start), (period_start, channel), (period_start, topic_id), (period_start, channel, topic_id))
),

metrics as (
    select period_start, cell_type, segment, topic_id, topic_label, 'nps' as metric,
           promoters as positives, detractors as negatives, nps_responses as responses
    from cells
    union all
    select period_start, cell_type, segment, topic_id, topic_label, 'csat', satisfied, 0, csat_responses
    from cells
    union all
    select period_start, cell_type, segment, topic_id, topic_label, 'negative_share', negative_items, 0, sentiment_responses
    from cells
),

scored as (
    select
        *,
        -- a stable key per cell and metric (null topic = all topics, null segment = all channels)
        cell_type || ':' || coalesce(segment, '*') || ':' || coalesce(cast(topic_id as text), '*') || ':' || metric as cell_key,
        case when metric = 'nps' then {{ nps('positives', 'negatives', 'responses') }}
             else {{ pct('positives', 'responses') }} end as value,
        {{ score_variance('positives', 'negatives', 'responses') }} as variance
    from metrics
    -- unassigned feedback is not a topic
    where not (cell_type in ('topic', 'segment_topic') and topic_id is null)
        and responses > 0
),

compared as (
    select
        cur.period_start,
        cur.cell_key,
        cur.cell_type,
        cur.segment,
        cur.topic_id,
        cur.topic_label,
        cur.metric,
        cur.value,
        cur.responses,
        prev.period_start as previous_period_start,
        prev.value as previous_value,
        prev.responses as previous_responses,
        cur.value - prev.value as change,
        100.0 * sqrt(cur.variance + prev.variance) as change_standard_error,
        cur.responses >= {{ var('min_responses') }} and prev.responses >= {{ var('min_responses') }} as is_tested
    from scored cur
    left join scored prev
        on prev.cell_key = cur.cell_key
        and prev.period_start = cur.period_start - interval '1 {{ var("report_period_grain") }}'
),

tested as (
    select
        *,
        case when is_tested and change_standard_error > 0 then {{ two_sided_p_value('change / change_standard_error') }} end as p_value
    from compared
),

ranked as (
    select
        *,
        case when p_value is not null then {{ bh_rank('p_value', 'period_start, p_value is null') }} end as p_rank,
        {{ bh_family_size('period_start, p_value is null') }} as family_size
    from tested
),

adjusted as (
    select
        *,
        case when p_value is not null
            then {{ bh_q_value('p_value', 'p_rank', 'family_size', 'period_start, p_value is null') }} end as q_value
    from ranked
)

select
    -- grain
    period_start,
    to_char(period_start, 'YYYY-MM') as period,
    cell_key,
    cell_type,
    segment,
    topic_id,
    topic_label,
    metric,
    -- this period and the previous one
    value,
    responses,
    previous_period_start,
    previous_value,
    previous_responses,
    change,
    -- significance
    is_tested,
    round(cast(change / nullif(change_standard_error, 0) as numeric), 3) as z,
    p_value,
    q_value,
    case when p_value is not null then family_size end as family_size,
    coalesce(q_value < {{ var('significance_alpha') }}, false) as is_significant,
    case when metric = 'negative_share' then change > 0 else change < 0 end as is_worse
from adjusted
