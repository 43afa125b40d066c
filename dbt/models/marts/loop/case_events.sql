-- The case event log for analysts: one row per event, details flattened. Agents' free-text
-- notes stay in ops (they may quote the customer); customers appear as keys only.
with

events as (

    select * from {{ source('loop', 'case_events') }}
    where occurred_at <= {{ loop_as_of() }}

)

select
    -- ids
    event_id,
    case_id,
    feedback_id,

    -- what happened
    event_type,
    split_part(actor, ':', 1) as actor_kind,
    actor,
    details->>'owner' as owner,
    details->>'department' as department,
    details->>'queue' as queue,
    details->>'method' as assignment_method,
    details->>'via' as response_via,
    details->>'mode' as contact_mode,
    details->>'language' as contact_language,
    details->>'root_cause' as root_cause,
    details->>'resolution_code' as resolution_code,
    cast(details->>'compensation_amount' as numeric) as compensation_amount,
    details->>'priority' as priority,

    -- timestamps
    occurred_at,
    {{ local_day('occurred_at') }} as occurred_date,
    recorded_at

from events
