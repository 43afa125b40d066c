-- Lifecycle events of topics: created, updated, merged, split, retired.
with

history as (
    select * from {{ source('ml', 'topic_history') }}
),

registry as (
    select topic_id, label from {{ source('ml', 'topics') }}
)

select
    -- ids
    history.event_id,
    history.topic_id,
    history.related_topic_id,
    -- event
    history.event,
    registry.label as topic_label,
    related.label as related_topic_label,
    history.details,
    history.run_id,
    -- timestamps
    history.occurred_at
from history
left join registry on registry.topic_id = history.topic_id
left join registry as related on related.topic_id = history.related_topic_id
