-- One row per case: its state as of loop_as_of() (now unless the run sets var loop_as_of), folded
-- from ops.case_events by ops.case_state_at, the one definition the CLI and the loop also use.
-- depends_on: {{ source('loop', 'case_events') }}
select
    -- ids
    case_id,
    opening_feedback_id,
    customer_key,
    thread_key,

    -- what opened it and where it went
    priority,
    reasons,
    source,
    channel,
    language,
    category,
    topic_key,
    department,
    queue,
    owner,
    status,
    opening_rating_type,
    opening_rating_value,
    opening_rating_scale_max,
    coalesce(opening_rating_type = 'nps' and opening_rating_value <= 6, false) as is_detractor,

    -- timestamps and SLA
    opened_at,
    first_response_at,
    contacted_at,
    first_response_due_at,
    resolution_due_at,
    resolved_at,
    closed_at,
    is_first_response_breached,
    is_resolution_breached,
    contacted_at is not null and contacted_at <= first_response_due_at as is_contacted_within_sla,

    -- outcome
    root_cause,
    resolution_code,
    compensation_amount,
    reopened_count,
    feedback_count,
    last_event_at,
    {{ loop_as_of() }} as as_of
from ops.case_state_at({{ loop_as_of() }})
