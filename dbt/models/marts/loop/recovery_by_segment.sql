-- The share of detractor cases whose customer answered again as a passive or promoter, with a
-- 95% Wilson interval, by department and root cause (only cases with a next score count).
with

detractors as (

    select * from {{ ref('recovery') }}
    where opening_nps_group = 'detractor' and next_nps_group is not null

)

select
    department,
    coalesce(root_cause, '(none)') as root_cause,
    count(*) as detractors_rescored,
    count(*) filter (where is_detractor_recovered) as recovered,
    {{ pct('count(*) filter (where is_detractor_recovered)', 'count(*)') }} as pct_recovered,
    {{ wilson_interval('count(*) filter (where is_detractor_recovered)', 'count(*)', 'low') }} as pct_ci_low,
    {{ wilson_interval('count(*) filter (where is_detractor_recovered)', 'count(*)', 'high') }} as pct_ci_high,
    round(avg(recovery_delta), 2) as mean_recovery_delta,
    {{ is_small_sample('count(*)') }} as is_small_sample
from detractors
group by department, coalesce(root_cause, '(none)')
