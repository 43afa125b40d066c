-- What each topic does to NPS in a period: the overall NPS minus the NPS of the feedback
-- that is not about the topic. Negative impact = the topic pulls NPS down by that many points.
with

feedback as (
    select {{ report_period('submitted_date') }} as period_start, topic_id, topic_label, nps_group
    from {{ ref('fct_feedback') }}
    where nps_group is not null
),

overall as (
    select
        period_start,
        count(*) as responses,
        count(*) filter (where nps_group = 'promoter') as promoters,
        count(*) filter (where nps_group = 'detractor') as detractors
    from feedback
    group by period_start
),

per_topic as (
    select
        period_start,
        topic_id,
        max(topic_label) as topic_label,
        count(*) as responses,
        count(*) filter (where nps_group = 'promoter') as promoters,
        count(*) filter (where nps_group = 'detractor') as detractors
    from feedback
    where topic_id is not null
    group by period_start, topic_id
),

joined as (
    select
        t.period_start,
        t.topic_id,
        t.topic_label,
        t.responses as topic_responses,
        {{ nps('t.promoters', 't.detractors', 't.responses') }} as topic_nps,
        o.responses as all_responses,
        {{ nps('o.promoters', 'o.detractors', 'o.responses') }} as overall_nps,
        {{ nps('(o.promoters - t.promoters)', '(o.detractors - t.detractors)', '(o.responses - t.responses)') }} as nps_without_topic
    from per_topic t
    join overall o using (period_start)
)

select
    period_start,
    to_char(period_start, 'YYYY-MM') as period,
    topic_id,
    topic_label,
    topic_responses,
    round(100.0 * topic_responses / all_responses, 1) as share_of_nps_responses,
    topic_nps,
    overall_nps,
    nps_without_topic,
    overall_nps - nps_without_topic as nps_impact,
    {{ is_small_sample('topic_responses') }} as is_small_sample
from joined
