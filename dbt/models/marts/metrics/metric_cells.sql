-- Every metric at day, ISO week and month, for everything and by each dimension: n, the value,
-- its standard error and 95% interval, and the share of successes with a Wilson interval.
-- Weeks and months are rolled up from the daily counts and sums, never from intervals.
{%- set float = dbt.type_float() %}
{%- set bigint = dbt.type_bigint() %}
with

responses as (

    select * from {{ ref('fct_metric_responses') }}

),

by_dimension as (

    {%- for name, value_column, label_column in metric_dimensions() %}
    select
        metric, response_date,
        '{{ name }}' as dimension,
        cast({{ value_column }} as {{ dbt.type_string() }}) as dimension_value,
        cast({{ label_column }} as {{ dbt.type_string() }}) as dimension_label,
        score, is_promoter, is_detractor, is_success
    from responses
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

daily as (

    select
        metric,
        'day' as grain,
        response_date as period_start,
        dimension,
        dimension_value,
        max(dimension_label) as dimension_label,
        count(*) as responses,
        sum(case when is_promoter then 1 else 0 end) as promoters,
        sum(case when is_detractor then 1 else 0 end) as detractors,
        sum(case when is_success then 1 else 0 end) as successes,
        sum(cast(score as {{ type_exact_decimal() }})) as score_sum,
        sum(cast(score as {{ type_exact_decimal() }}) * cast(score as {{ type_exact_decimal() }})) as score_sq_sum
    from by_dimension
    group by metric, response_date, dimension, dimension_value

),

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
    from daily
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
        case metric
            when 'nps' then {{ nps_adjusted_wald('promoters', 'detractors', 'responses', 'low') }}
            when 'csat' then {{ wilson_bound('successes', 'responses', 'low') }}
            when 'negative_share' then {{ wilson_bound('successes', 'responses', 'low') }}
            else 1.0 * score_sum / responses
                - {{ t_quantile_975('responses - 1') }} * {{ sample_sd('score_sum', 'score_sq_sum', 'responses') }} / sqrt(responses)
        end as ci_low,
        case metric
            when 'nps' then {{ nps_adjusted_wald('promoters', 'detractors', 'responses', 'high') }}
            when 'csat' then {{ wilson_bound('successes', 'responses', 'high') }}
            when 'negative_share' then {{ wilson_bound('successes', 'responses', 'high') }}
            else 1.0 * score_sum / responses
                + {{ t_quantile_975('responses - 1') }} * {{ sample_sd('score_sum', 'score_sq_sum', 'responses') }} / sqrt(responses)
        end as ci_high,
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
    {{ 'responses < ' ~ min_responses() if small_cell_policy() == 'suppress' else 'false' }} as is_suppressed
from measured
