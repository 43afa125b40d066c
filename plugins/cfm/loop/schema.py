"""DDL of the loop's ops tables and of `ops.case_state_at(as_of)`, the one definition of a case's state.

ops.case_events is append-only (a trigger refuses UPDATE and DELETE): a case's state is
always folded from its events, so any past state (and any past SLA breach) can be recomputed
by passing an earlier `as_of`. Idempotency keys are unique, so re-running any step appends nothing.
"""

from __future__ import annotations

import psycopg

EVENT_TYPES = ("created", "feedback_attached", "assigned", "first_response", "contacted", "resolved", "reopened", "closed")

LOOP_DDL = f"""
create table if not exists ops.case_events (
    event_id        bigserial primary key,
    case_id         text        not null,
    event_type      text        not null check (event_type in ({", ".join(f"'{t}'" for t in EVENT_TYPES)})),
    occurred_at     timestamptz not null,
    recorded_at     timestamptz not null default now(),
    actor           text        not null,
    idempotency_key text        not null unique,
    feedback_id     text,
    details         jsonb       not null default '{{}}'
);
create index if not exists case_events_case_idx on ops.case_events (case_id, occurred_at, event_id);
create index if not exists case_events_feedback_idx on ops.case_events (feedback_id) where feedback_id is not null;

create or replace function ops.case_events_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'ops.case_events is append-only: record a new event instead of changing event %', old.event_id;
end $$;
drop trigger if exists case_events_append_only on ops.case_events;
create trigger case_events_append_only before update or delete on ops.case_events
    for each row execute function ops.case_events_append_only();

create table if not exists ops.contact_suppressions (
    customer_key text primary key,
    reason       text        not null,
    added_at     timestamptz not null default now()
);

-- One row per follow-up attempt, claimed before the Gmail call: a crash between the call and
-- the 'contacted' event leaves a 'pending' row that is never retried blindly.
create table if not exists ops.case_followups (
    idempotency_key text primary key,
    case_id         text        not null,
    customer_key    text,
    mode            text        not null check (mode in ('draft', 'send')),
    language        text        not null,
    status          text        not null check (status in ('pending', 'done', 'failed')),
    gmail_id        text,
    claimed_at      timestamptz not null default now(),
    error           text
);
"""

# Status follows the latest lifecycle event; owner the latest assignment; SLA due times were
# fixed when the case opened (or reopened), so a breach as of T needs only events up to T.
CASE_STATE_FUNCTION = """
create or replace function ops.case_state_at(as_of timestamptz default now())
returns table (
    case_id text, opened_at timestamptz, opening_feedback_id text, customer_key text, priority text,
    reasons text[], source text, channel text, language text, category text, topic_key text, thread_key text,
    department text, queue text, owner text, status text,
    first_response_at timestamptz, first_contacted_at timestamptz, contacted_at timestamptz,
    first_response_due_at timestamptz, resolution_due_at timestamptz,
    resolved_at timestamptz, closed_at timestamptz, root_cause text, resolution_code text,
    compensation_amount numeric, reopened_count integer, feedback_count integer,
    opening_rating_type text, opening_rating_value numeric, opening_rating_scale_max numeric,
    last_event_at timestamptz, is_first_response_breached boolean, is_resolution_breached boolean
) language sql stable as $fn$
with ev as (
    select * from ops.case_events e where e.occurred_at <= as_of
),
created as (
    select distinct on (e.case_id) e.case_id, e.occurred_at, e.feedback_id, e.details
    from ev e where e.event_type = 'created' order by e.case_id, e.event_id
),
lifecycle as (
    select distinct on (e.case_id) e.case_id, e.event_type, e.occurred_at
    from ev e where e.event_type in ('created', 'resolved', 'reopened', 'closed')
    order by e.case_id, e.occurred_at desc, e.event_id desc
),
assigned as (
    select distinct on (e.case_id) e.case_id, e.details
    from ev e where e.event_type = 'assigned' order by e.case_id, e.occurred_at desc, e.event_id desc
),
resolved as (
    select distinct on (e.case_id) e.case_id, e.occurred_at, e.details
    from ev e where e.event_type = 'resolved' order by e.case_id, e.occurred_at desc, e.event_id desc
),
reopened as (
    select distinct on (e.case_id) e.case_id, e.occurred_at, e.details
    from ev e where e.event_type = 'reopened' order by e.case_id, e.occurred_at desc, e.event_id desc
),
closed as (
    select distinct on (e.case_id) e.case_id, e.occurred_at
    from ev e where e.event_type = 'closed' order by e.case_id, e.occurred_at desc, e.event_id desc
),
agg as (
    select
        e.case_id,
        min(e.occurred_at) filter (where e.event_type = 'first_response') as first_response_at,
        min(e.occurred_at) filter (where e.event_type = 'contacted') as first_contacted_at,
        count(*) filter (where e.event_type = 'reopened')::int as reopened_count,
        count(*) filter (where e.event_type in ('created', 'feedback_attached', 'reopened') and e.feedback_id is not null)::int as feedback_count,
        coalesce(sum((e.details->>'compensation_amount')::numeric) filter (where e.event_type = 'resolved'), 0) as compensation_amount,
        max(e.occurred_at) as last_event_at
    from ev e group by e.case_id
),
state as (
    select
        c.case_id,
        c.occurred_at as opened_at,
        c.feedback_id as opening_feedback_id,
        c.details->>'customer_key' as customer_key,
        c.details->>'priority' as priority,
        array(select jsonb_array_elements(c.details->'reasons')->>'rule') as reasons,
        c.details->>'source' as source,
        c.details->>'channel' as channel,
        c.details->>'language' as language,
        c.details->>'category' as category,
        c.details->>'topic_key' as topic_key,
        c.details->>'thread_key' as thread_key,
        coalesce(a.details->>'department', c.details->>'department') as department,
        coalesce(a.details->>'queue', c.details->>'queue') as queue,
        a.details->>'owner' as owner,
        case l.event_type when 'resolved' then 'resolved' when 'closed' then 'closed' else 'open' end as status,
        g.first_response_at,
        g.first_contacted_at,
        least(g.first_response_at, g.first_contacted_at) as contacted_at,
        (c.details->>'first_response_due_at')::timestamptz as first_response_due_at,
        coalesce(case when r2.occurred_at is not null then (r2.details->>'resolution_due_at')::timestamptz end,
                 (c.details->>'resolution_due_at')::timestamptz) as resolution_due_at,
        case when l.event_type in ('resolved', 'closed') then r.occurred_at end as resolved_at,
        case when l.event_type = 'closed' then cl.occurred_at end as closed_at,
        r.details->>'root_cause' as root_cause,
        r.details->>'resolution_code' as resolution_code,
        g.compensation_amount,
        g.reopened_count,
        g.feedback_count,
        c.details->>'rating_type' as opening_rating_type,
        (c.details->>'rating_value')::numeric as opening_rating_value,
        (c.details->>'rating_scale_max')::numeric as opening_rating_scale_max,
        g.last_event_at
    from created c
    join lifecycle l using (case_id)
    join agg g using (case_id)
    left join assigned a using (case_id)
    left join resolved r using (case_id)
    left join reopened r2 using (case_id)
    left join closed cl using (case_id)
)
select
    s.*,
    s.first_response_due_at < coalesce(s.first_response_at, as_of) as is_first_response_breached,
    s.resolution_due_at < coalesce(s.resolved_at, as_of) as is_resolution_breached
from state s
$fn$;
"""


def ensure_loop_schema(conn: psycopg.Connection) -> None:
    """Create the loop's ops tables and the state function (idempotent)."""
    conn.execute("create schema if not exists ops")
    conn.execute(LOOP_DDL)
    conn.execute(CASE_STATE_FUNCTION)
    conn.commit()
