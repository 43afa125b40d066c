-- Shifts per cell (segment = channel, x topic) against the previous report period, for NPS, CSAT
-- and the share of negative feedback: the cells of marts.metric_cells with the change, p-value
-- and Benjamini-Hochberg q-value of marts.metric_changes (family: one metric, period and
-- dimension, e.g. negative share by channel x topic in October). Report movers and the shift
-- alerts read this one table.
--
-- cell_type: overall (all feedback), segment (a channel), topic, segment_topic (channel x topic).
-- A cell is tested when both periods have at least var('min_responses') responses.
with

cells as (

    select
        *,
        case dimension
            when 'all' then 'overall'
            when 'channel' then 'segment'
            when 'topic' then 'topic'
            else 'segment_topic'
        end as cell_type,
        case dimension
            when 'channel' then dimension_value
            when 'channel_topic' then split_part(dimension_value, '|', 1)
        end as segment,
        case dimension
            when 'topic' then dimension_value
            when 'channel_topic' then split_part(dimension_value, '|', 2)
        end as topic
    from {{ ref('metric_cells') }}
    where grain = '{{ var("report_period_grain") }}'
        and dimension in ('all', 'channel', 'topic', 'channel_topic')
        and metric in ('nps', 'csat', 'negative_share')

),

changes as (

    select * from {{ ref('metric_changes') }}
    where grain = '{{ var("report_period_grain") }}'
        and dimension in ('all', 'channel', 'topic', 'channel_topic')
        and metric in ('nps', 'csat', 'negative_share')

)

select
    -- grain
    c.period_start,
    to_char(c.period_start, 'YYYY-MM') as period,
    -- a stable key per cell and metric (* = all topics / all channels)
    c.cell_type || ':' || coalesce(c.segment, '*') || ':' || coalesce(c.topic, '*') || ':' || c.metric as cell_key,
    c.cell_type,
    c.segment,
    cast(c.topic as bigint) as topic_id,
    case when c.topic is not null then c.dimension_label end as topic_label,
    c.metric,
    -- this period and the previous one
    round(cast(c.value as numeric), 1) as value,
    c.responses,
    ch.previous_period_start,
    round(cast(ch.previous_value as numeric), 1) as previous_value,
    ch.previous_responses,
    round(cast(ch.difference as numeric), 1) as change,
    -- significance (metric_changes)
    ch.q_value is not null as is_tested,
    round(cast(ch.z_score as numeric), 3) as z,
    ch.p_value,
    ch.q_value,
    case when ch.q_value is not null then ch.family_size end as family_size,
    coalesce(ch.is_significant, false) as is_significant,
    case when c.metric = 'negative_share' then ch.difference > 0 else ch.difference < 0 end as is_worse
from cells c
left join changes ch
    on ch.metric = c.metric
    and ch.period_start = c.period_start
    and ch.dimension = c.dimension
    and ch.dimension_value = c.dimension_value
-- unassigned feedback is not a topic
where coalesce(c.topic, '') <> '(none)'
