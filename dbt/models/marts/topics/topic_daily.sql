-- Daily volume, sentiment and NPS per topic (unassigned feedback excluded).
with

feedback as (
    select * from {{ ref('fct_feedback') }}
    where topic_id is not null
),

-- The sentiment of what the item says about its topic (aspect level), else the item's.
aspects as (
    select feedback_id, topic_id, sentiment_label, sentiment_score from {{ source('ml', 'aspect_sentiment') }}
),

daily as (
    select
        feedback.submitted_date as day,
        feedback.topic_id,
        max(topic_label) as topic_label,
        count(*) as responses,
        avg(coalesce(aspects.sentiment_score, feedback.sentiment_score)) as avg_sentiment_score,
        avg(
            case when coalesce(aspects.sentiment_label, feedback.sentiment_label) = 'negative' then 1.0 else 0.0 end
        ) as negative_share,
        count(*) filter (where nps_group is not null) as nps_responses,
        count(*) filter (where nps_group = 'promoter') as promoters,
        count(*) filter (where nps_group = 'detractor') as detractors
    from feedback
    left join aspects on aspects.feedback_id = feedback.feedback_id and aspects.topic_id = feedback.topic_id
    group by feedback.submitted_date, feedback.topic_id
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
