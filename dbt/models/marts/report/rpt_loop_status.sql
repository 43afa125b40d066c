-- Closed-loop status per report period (cases by the month they were opened): how many were
-- opened, are still open, breached an SLA, and how many re-scored detractors recovered.
with

cases as (
    select
        {{ period_start(var('report_period_grain'), local_day('opened_at')) }} as period_start,
        case_id,
        status,
        is_detractor,
        coalesce(is_first_response_breached, false) or coalesce(is_resolution_breached, false) as is_breached
    from {{ ref('fct_cases') }}
),

recovery as (
    select case_id, next_rating_value, is_detractor_recovered from {{ ref('recovery') }}
),

per_period as (
    select
        c.period_start,
        count(*) as cases_opened,
        count(*) filter (where c.status = 'open') as open_cases,
        count(*) filter (where c.is_breached) as sla_breaches,
        count(*) filter (where c.is_detractor and r.next_rating_value is not null) as detractors_rescored,
        count(*) filter (where r.is_detractor_recovered) as recovered
    from cases c
    left join recovery r using (case_id)
    group by c.period_start
)

select
    period_start,
    to_char(period_start, 'YYYY-MM') as period,
    cases_opened,
    open_cases,
    sla_breaches,
    detractors_rescored,
    recovered,
    cast({{ pct('recovered', 'detractors_rescored') }} as numeric) as pct_recovered
from per_period
