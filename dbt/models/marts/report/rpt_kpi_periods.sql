-- Headline KPIs per report period (month in the report time zone): the value with its 95%
-- interval (marts.metric_cells) and the change against the previous period with its interval,
-- p-value and significance (marts.metric_changes). Nothing is computed here but rounding.
with

cells as (

    select * from {{ ref('metric_cells') }}
    where grain = '{{ var("report_period_grain") }}' and dimension = 'all' and metric in ('nps', 'csat', 'ces')

),

changes as (

    select * from {{ ref('metric_changes') }}
    where grain = '{{ var("report_period_grain") }}' and dimension = 'all' and metric in ('nps', 'csat', 'ces')

)

select
    -- grain
    c.period_start,
    to_char(c.period_start, 'YYYY-MM') as period,
    c.metric,
    case c.metric when 'nps' then 'NPS' when 'csat' then 'CSAT' else 'CES (ease, 0-100)' end as metric_label,
    -- this period
    round(cast(c.value as numeric), 1) as value,
    round(cast(c.ci_low as numeric), 1) as ci_low,
    round(cast(c.ci_high as numeric), 1) as ci_high,
    c.responses,
    c.is_small_sample,
    -- against the previous period
    ch.previous_period_start,
    round(cast(ch.previous_value as numeric), 1) as previous_value,
    ch.previous_responses,
    round(cast(ch.difference as numeric), 1) as change,
    round(cast(ch.difference_ci_low as numeric), 1) as change_ci_low,
    round(cast(ch.difference_ci_high as numeric), 1) as change_ci_high,
    round(cast(ch.z_score as numeric), 3) as z,
    ch.p_value,
    ch.q_value,
    coalesce(ch.is_significant, false) as is_significant
from cells c
left join changes ch
    on ch.metric = c.metric and ch.period_start = c.period_start
