-- Every metric at day, ISO week and month, for everything and by each dimension: n, the value,
-- its standard error and 95% interval, and the share of successes with a Wilson interval.
-- Weeks and months are rolled up from the daily counts and sums, never from intervals.
-- Incremental (macros/incremental_metrics.sql): a build rewrites the periods whose responses
-- changed (delete+insert by metric, grain and period_start), found by the day checksums.
{{ config(post_hook=["{{ delete_metric_cells_of_empty_periods() }}"], **period_metric_config()) }}
{%- set float = dbt.type_float() %}
{%- set bigint = dbt.type_bigint() %}
with

day_checksums as (

    select metric, response_date, {{ metric_responses_checksum('r') }} as responses_checksum
    from {{ ref('fct_metric_responses') }} r
    group by metric, response_date

),
{%- if is_incremental() %}

-- days whose responses changed since the last build (or that have none left)
changed_days as (

    select coalesce(n.metric, o.metric) as metric, coalesce(n.response_date, o.period_start) as response_date
    from day_checksums n
    full join (
        select metric, period_start, responses_checksum from {{ this }} where grain = 'day' and dimension = 'all'
    ) o on o.metric = n.metric and o.period_start = n.response_date
    where n.responses_checksum is distinct from o.responses_checksum

),

-- the weeks and months holding them: rolled up again from their day cells
changed_periods as (

    {%- for grain in ['week', 'month'] %}
    select distinct metric, '{{ grain }}' as grain, {{ period_start(grain, 'response_date') }} as period_start
    from changed_days
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),
{%- endif %}

responses as (

    -- the exact score and its square once per response rather than once per dimension (casting a
    -- float to numeric costs more than the rest of a dimension's aggregate)
    select
        *,
        cast(score as {{ type_exact_decimal() }}) as score_exact,
        cast(score as {{ type_exact_decimal() }}) * cast(score as {{ type_exact_decimal() }}) as score_sq_exact
    from {{ ref('fct_metric_responses') }}
    {%- if is_incremental() %}
    where (metric, response_date) in (select metric, response_date from changed_days)
    {%- endif %}

),

-- Each dimension counted on its own, one branch per dimension: the planner knows each branch's few
-- groups (metric, day, value) and hashes them in memory, where one aggregate over the union of every
-- dimension's rows (23M at 1M records) was sorted on disk (150 s of a first build at 1M records).
daily as (

    {%- for name, value_column, label_column in metric_dimensions() %}
    select
        metric,
        'day' as grain,
        response_date as period_start,
        '{{ name }}' as dimension,
        cast({{ value_column }} as {{ dbt.type_string() }}) as dimension_value,
        max(cast({{ label_column }} as {{ dbt.type_string() }})) as dimension_label,
        count(*) as responses,
        sum(case when is_promoter then 1 else 0 end) as promoters,
        sum(case when is_detractor then 1 else 0 end) as detractors,
        sum(case when is_success then 1 else 0 end) as successes,
        sum(score_exact) as score_sum,
        sum(score_sq_exact) as score_sq_sum
    from responses
    group by metric, response_date, cast({{ value_column }} as {{ dbt.type_string() }})
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),
{%- if is_incremental() %}

-- the day cells of the changed weeks and months: recounted for the changed days, as built for the
-- others (the counts and sums are exact, so a rollup from them equals one from the responses)
rollup_days as (

    select * from daily
    union all
    select
        metric, grain, period_start, dimension, dimension_value, dimension_label,
        responses, promoters, detractors, successes, score_sum, score_sq_sum
    from {{ this }} t
    where t.grain = 'day'
        and ((t.metric, {{ period_start('week', 't.period_start') }}) in (
                select metric, period_start from changed_periods where grain = 'week')
            or (t.metric, {{ period_start('month', 't.period_start') }}) in (
                select metric, period_start from changed_periods where grain = 'month'))
        and not exists (
            select 1 from changed_days d where d.metric = t.metric and d.response_date = t.period_start)

),
{%- endif %}

counted as (

    select * from daily
    {%- for grain in ['week', 'month'] %}
    union all
    select
        metric,
        '{{ grain }}' as grain,
        {{ period_start(grain, 'period_start') }} as period_start,
        dimension,
        dimension_value,
        max(dimension_label) as dimension_label,
        sum(responses) as responses,
        sum(promoters) as promoters,
        sum(detractors) as detractors,
        sum(successes) as successes,
        sum(score_sum) as score_sum,
        sum(score_sq_sum) as score_sq_sum
    from {{ 'rollup_days' if is_incremental() else 'daily' }}
    {%- if is_incremental() %}
    -- only the changed periods
    where (metric, {{ period_start(grain, 'period_start') }}) in (
        select metric, period_start from changed_periods where grain = '{{ grain }}')
    {%- endif %}
    group by metric, {{ period_start(grain, 'period_start') }}, dimension, dimension_value
    {%- endfor %}

),

measured as (

    select
        counted.*,
        case metric
            when 'nps' then {{ nps_value('promoters', 'detractors', 'responses') }}
            else 1.0 * score_sum / responses
        end as value,
        case metric
            when 'nps' then {{ nps_se('promoters', 'detractors', 'responses') }}
            when 'csat' then {{ proportion_se('successes', 'responses') }}
            when 'negative_share' then {{ proportion_se('successes', 'responses') }}
            else {{ sample_sd('score_sum', 'score_sq_sum', 'responses') }} / sqrt(responses)
        end as standard_error,
        {%- for bound, sign in [('low', '-'), ('high', '+')] %}
        case metric
            when 'nps' then {{ nps_adjusted_wald('promoters', 'detractors', 'responses', bound) }}
            when 'csat' then {{ wilson_bound('successes', 'responses', bound) }}
            when 'negative_share' then {{ wilson_bound('successes', 'responses', bound) }}
            else 1.0 * score_sum / responses
                {{ sign }} {{ t_quantile_975('responses - 1') }} * {{ sample_sd('score_sum', 'score_sq_sum', 'responses') }} / sqrt(responses)
        end as ci_{{ bound }},
        {%- endfor %}
        case metric when 'nps' then 'adjusted_wald' when 'csat' then 'wilson' when 'negative_share' then 'wilson' else 't' end as interval_method
    from counted
    left join {{ ref('t_quantiles') }} tq on tq.df = counted.responses - 1

)

select
    -- the cell
    metric,
    grain,
    period_start,
    dimension,
    dimension_value,
    dimension_label,
    -- counts (additive: roll up from these)
    cast(responses as {{ bigint }}) as responses,
    cast(promoters as {{ bigint }}) as promoters,
    cast(detractors as {{ bigint }}) as detractors,
    cast(successes as {{ bigint }}) as successes,
    cast(score_sum as {{ type_exact_decimal() }}) as score_sum,
    cast(score_sq_sum as {{ type_exact_decimal() }}) as score_sq_sum,
    -- the metric, its standard error and 95% interval (null when suppressed)
    cast({{ suppressible('value', 'responses') }} as {{ float }}) as value,
    cast({{ suppressible('standard_error', 'responses') }} as {{ float }}) as standard_error,
    cast({{ suppressible('ci_low', 'responses') }} as {{ float }}) as ci_low,
    cast({{ suppressible('ci_high', 'responses') }} as {{ float }}) as ci_high,
    interval_method,
    -- share of successes (promoters, satisfied, easy, 4-5 stars) with its Wilson interval
    cast({{ suppressible('100.0 * successes / responses', 'responses') }} as {{ float }}) as success_pct,
    cast({{ suppressible(wilson_bound('successes', 'responses', 'low'), 'responses') }} as {{ float }}) as success_ci_low,
    cast({{ suppressible(wilson_bound('successes', 'responses', 'high'), 'responses') }} as {{ float }}) as success_ci_high,
    -- small cells
    responses < {{ min_responses() }} as is_small_sample,
    {{ 'responses < ' ~ min_responses() if small_cell_policy() == 'suppress' else 'false' }} as is_suppressed,
    -- incremental bookkeeping: the day's checksum on its 'all' cell
    dc.responses_checksum
from measured
left join (
    select metric as checksum_metric, response_date as checksum_date, responses_checksum from day_checksums
) dc
    on measured.grain = 'day' and measured.dimension = 'all'
    and dc.checksum_metric = measured.metric and dc.checksum_date = measured.period_start
