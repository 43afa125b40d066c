-- Did we close the loop with detractors? The share of detractor cases (NPS 0-6) whose customer
-- was contacted (first response or follow-up) within the first-response SLA, by channel and department.
with

detractors as (

    select * from {{ ref('fct_cases') }}
    where is_detractor

)

select
    channel,
    department,
    count(*) as detractor_cases,
    count(*) filter (where contacted_at is not null) as contacted,
    count(*) filter (where is_contacted_within_sla) as contacted_within_sla,
    {{ pct('count(*) filter (where is_contacted_within_sla)', 'count(*)') }} as pct_contacted_within_sla,
    {{ wilson_interval('count(*) filter (where is_contacted_within_sla)', 'count(*)', 'low') }} as pct_ci_low,
    {{ wilson_interval('count(*) filter (where is_contacted_within_sla)', 'count(*)', 'high') }} as pct_ci_high,
    {{ is_small_sample('count(*)') }} as is_small_sample
from detractors
group by channel, department
