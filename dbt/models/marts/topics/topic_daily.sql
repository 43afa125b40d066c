-- Daily volume, sentiment and NPS per topic (unassigned feedback excluded).
with

feedback as (
    select * from {{ ref('fct_feedback') }}
    where topic_id is not null
),

daily as (
    select
        submitted_date as day,
        topic_id,
        max(topic_label) as topic_label,
        count(*) as responses,
        avg(sentiment_score) as avg_sentiment_score,
        avg(case when sentiment_label = 'negative' then 1.0 else 0.0 end) as negative_share,
        count(*) filter (where nps_group is not null) as nps_responses,
        count(*) filter (where nps_group = 'promoter') as promoters,
        count(*) filter (where nps_group = 'detractor') as detractors
    from feedback
    group by submitted_date, topic_id
)

select
    day,
    topic_id,
    topic_label,
    responses,
    round(avg_sentiment_score::numeric, 3) as avg_sentiment_score,
    round(negative_share::numeric, 3) as negative_share,
    nps_responses,
    promoters,
    detractors,
    {{ nps('promoters', 'detractors', 'nps_responses') }} as nps
from daily
