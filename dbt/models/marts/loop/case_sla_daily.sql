-- Per day (report time zone) and department: cases opened, first responses and resolutions
-- (and how many were within SLA), SLA deadlines missed that day, and the backlog at day end.
-- Each day reads the case state as of its own end, so a backfill gives the same figures.
with

bounds as (

    select
        min({{ local_day('opened_at') }}) as first_day,
        {{ local_day(loop_as_of()) }} as last_day
    from {{ ref('fct_cases') }}

),

days as (

    select
        d::date as day,
        least((d::date + 1)::timestamp at time zone '{{ var("report_timezone") }}', {{ loop_as_of() }}) as day_end
    from bounds, generate_series(bounds.first_day, bounds.last_day, interval '1 day') as d

),

state as (

    select days.day, days.day_end, s.*
    from days
    cross join lateral ops.case_state_at(days.day_end) as s

),

daily as (

    select
        day,
        department,
        count(*) filter (where {{ local_day('opened_at') }} = day) as opened,
        count(*) filter (where {{ local_day('first_response_at') }} = day) as first_responded,
        count(*) filter (where {{ local_day('first_response_at') }} = day
                           and first_response_at <= first_response_due_at) as responded_in_sla,
        count(*) filter (where {{ local_day('resolved_at') }} = day) as resolved,
        count(*) filter (where {{ local_day('resolved_at') }} = day and resolved_at <= resolution_due_at) as resolved_in_sla,
        count(*) filter (where ({{ local_day('first_response_due_at') }} = day and is_first_response_breached)
                            or ({{ local_day('resolution_due_at') }} = day and is_resolution_breached)) as breached,
        count(*) filter (where status = 'open') as backlog,
        count(*) filter (where status = 'open' and (is_first_response_breached or is_resolution_breached)) as backlog_breached
    from state
    group by day, department

)

select * from daily
where opened + first_responded + resolved + breached + backlog > 0
