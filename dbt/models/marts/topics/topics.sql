-- One row per topic in the registry (active, merged or retired), with when it was seen.
with

registry as (
    select * from {{ source('ml', 'topics') }}
),

assignments as (
    select * from {{ source('ml', 'topic_assignments') }}
),

feedback as (
    select feedback_id, submitted_at, sentiment_label, nps_group from {{ ref('fct_feedback') }}
),

-- The sentiment of what the item says about this topic (its clauses in the topic), else the item's.
aspects as (
    select feedback_id, topic_id, sentiment_label from {{ source('ml', 'aspect_sentiment') }}
),

seen as (
    select
        assignments.topic_id,
        min(feedback.submitted_at) as first_seen_at,
        max(feedback.submitted_at) as last_seen_at,
        count(*) as responses,
        count(*) filter (
            where coalesce(aspects.sentiment_label, feedback.sentiment_label) = 'negative'
        ) as negative_responses,
        count(*) filter (where feedback.nps_group is not null) as nps_responses,
        count(*) filter (where feedback.nps_group = 'promoter') as promoters,
        count(*) filter (where feedback.nps_group = 'detractor') as detractors
    from assignments
    inner join feedback on feedback.feedback_id = assignments.feedback_id
    left join aspects
        on aspects.feedback_id = assignments.feedback_id and aspects.topic_id = assignments.topic_id
    where assignments.topic_id is not null
    group by assignments.topic_id
)

select
    -- ids
    registry.topic_id,
    registry.merged_into as merged_into_topic_id,
    -- description (built from redacted text only)
    registry.label,
    registry.label_language,
    registry.keywords,
    registry.representative_texts,
    -- state
    registry.status,
    registry.is_emerging,
    registry.size,
    coalesce(seen.responses, 0) as responses,
    {{ pct('seen.negative_responses', 'seen.responses') }} as negative_pct,
    coalesce(seen.nps_responses, 0) as nps_responses,
    {{ nps('seen.promoters', 'seen.detractors', 'seen.nps_responses') }} as nps,
    registry.embedding_model,
    -- timestamps
    seen.first_seen_at,
    seen.last_seen_at,
    registry.created_at,
    registry.updated_at
from registry
left join seen on seen.topic_id = registry.topic_id
