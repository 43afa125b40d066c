-- One row per topic in the registry (active, merged or retired), with when it was seen.
with

registry as (
    select * from {{ source('ml', 'topics') }}
),

assignments as (
    select * from {{ source('ml', 'topic_assignments') }}
),

feedback as (
    select feedback_id, submitted_at from {{ ref('fct_feedback') }}
),

seen as (
    select
        assignments.topic_id,
        min(feedback.submitted_at) as first_seen_at,
        max(feedback.submitted_at) as last_seen_at,
        count(*) as responses
    from assignments
    inner join feedback on feedback.feedback_id = assignments.feedback_id
    where assignments.topic_id is not null
    group by assignments.topic_id
)

select
    -- ids
    registry.topic_id,
    registry.merged_into as merged_into_topic_id,
    -- description (built from redacted text only)
    registry.label,
    registry.keywords,
    registry.representative_texts,
    -- state
    registry.status,
    registry.is_emerging,
    registry.size,
    coalesce(seen.responses, 0) as responses,
    registry.embedding_model,
    -- timestamps
    seen.first_seen_at,
    seen.last_seen_at,
    registry.created_at,
    registry.updated_at
from registry
left join seen on seen.topic_id = registry.topic_id
