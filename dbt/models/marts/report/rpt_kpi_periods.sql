-- Headline KPIs per report period, with the change against the previous period and whether
-- that change is statistically significant (two-sided z test at var('significance_alpha')).
with

feedback as (
    select
        {{ report_period('submitted_date') }} as period_start,
        rating_type,
        rating_value,
        nps_group,
        is_satisfied,
        {{ ces_is_easy('rating_value', 'rating_scale_min', 'rating_scale_max', 'ces_higher_is_easier') }} as is_easy
    from {{ ref('int_feedback_enriched') }}
    where rating_value is not null
),

counts as (
    -- one row per period and KPI: positives and negatives of the per-response score
    select period_start, 'nps' as metric,
           count(*) filter (where nps_group = 'promoter') as positives,
           count(*) filter (where nps_group = 'detractor') as negatives,
           count(*) as responses
    from feedback where rating_type = 'nps' group by period_start
    union all
    select period_start, 'csat', count(*) filter (where is_satisfied), 0, count(*)
    from feedback where rating_type = 'csat' group by period_start
    union all
    select period_start, 'ces_easy', count(*) filter (where is_easy), 0, count(*)
    from feedback where rating_type = 'ces' group by period_start
),

scored as (
    select
        period_start,
        metric,
        responses,
        positives,
        negatives,
        case when metric = 'nps' then {{ nps('positives', 'negatives', 'responses') }}
             else {{ pct('positives', 'responses') }} end as value,
        case when metric = 'nps' then {{ nps_interval('positives', 'negatives', 'responses', 'low') }}
             else {{ share_interval('positives', 'responses', 'low') }} end as ci_low,
        case when metric = 'nps' then {{ nps_interval('positives', 'negatives', 'responses', 'high') }}
             else {{ share_interval('positives', 'responses', 'high') }} end as ci_high,
        {{ score_variance('positives', 'negatives', 'responses') }} as variance
    from counts
),

compared as (
    select
        cur.*,
        prev.period_start as previous_period_start,
        prev.value as previous_value,
        prev.responses as previous_responses,
        cur.value - prev.value as change,
        100.0 * sqrt(cur.variance + prev.variance) as change_standard_error
    from scored cur
    left join scored prev
        on prev.metric = cur.metric
        and prev.period_start = cur.period_start - interval '1 {{ var("report_period_grain") }}'
),

tested as (
    select
        *,
        change / nullif(change_standard_error, 0) as z
    from compared
)

select
    -- grain
    period_start,
    to_char(period_start, 'YYYY-MM') as period,
    metric,
    case metric when 'nps' then 'NPS' when 'csat' then 'CSAT' else 'CES (% easy)' end as metric_label,
    -- this period
    value,
    ci_low,
    ci_high,
    responses,
    {{ is_small_sample('responses') }} as is_small_sample,
    -- against the previous period
    previous_period_start,
    previous_value,
    previous_responses,
    change,
    round(cast(change - 1.96 * change_standard_error as numeric), 1) as change_ci_low,
    round(cast(change + 1.96 * change_standard_error as numeric), 1) as change_ci_high,
    round(cast(z as numeric), 3) as z,
    {{ two_sided_p_value('z') }} as p_value,
    coalesce({{ two_sided_p_value('z') }} < {{ var('significance_alpha') }}, false) as is_significant
from tested
