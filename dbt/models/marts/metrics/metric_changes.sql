-- Period over period for every metric cell: this period against the one before (same metric,
-- grain, dimension and value), the difference with its 95% interval and a two-sided z-test
-- p-value, and a Benjamini-Hochberg q-value across the cells of a family (one metric, grain,
-- period and dimension: e.g. weekly NPS by channel for one week). The family holds the cells
-- whose two periods both have at least min_responses responses: below that the z-test's normal
-- approximation is not trusted, so those cells get a p-value but no q-value.
--
-- Incremental (macros/incremental_metrics.sql): a build rewrites the periods (delete+insert by
-- metric, grain and period_start) whose cells or whose previous period's cells changed, found by
-- the responses checksums of metric_cells, kept here on the 'all' rows.
{{ config(post_hook=["{{ delete_metric_changes_of_gone_periods() }}"], **period_metric_config()) }}
{%- set float = dbt.type_float() %}
with

-- per metric, grain and period: the checksum of its responses (the sum of its days')
period_checksums as (

    {%- for grain in ['day', 'week', 'month'] %}
    select metric, '{{ grain }}' as grain, {{ period_start(grain, 'period_start') }} as period_start,
        cast(sum(responses_checksum) as {{ checksum_type() }}) as responses_checksum
    from {{ ref('metric_cells') }}
    where grain = 'day' and dimension = 'all'
    group by metric, {{ period_start(grain, 'period_start') }}
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}

),

pair_checksums as (

    select cur.metric, cur.grain, cur.period_start,
        cur.responses_checksum, prev.responses_checksum as previous_responses_checksum
    from period_checksums cur
    inner join period_checksums prev
        on prev.metric = cur.metric and prev.grain = cur.grain
        and prev.period_start = {{ previous_period_start('cur.grain', 'cur.period_start') }}

),
{%- if is_incremental() %}

-- periods whose pair of checksums changed since the last build (or that have no pair left)
changed_periods as (

    select coalesce(n.metric, o.metric) as metric, coalesce(n.grain, o.grain) as grain,
        coalesce(n.period_start, o.period_start) as period_start
    from pair_checksums n
    full join (
        select metric, grain, period_start, responses_checksum, previous_responses_checksum
        from {{ this }} where dimension = 'all'
    ) o on o.metric = n.metric and o.grain = n.grain and o.period_start = n.period_start
    where (n.responses_checksum, n.previous_responses_checksum)
        is distinct from (o.responses_checksum, o.previous_responses_checksum)

),
{%- endif %}

cells as (

    select * from {{ ref('metric_cells') }}
    {%- if is_incremental() %}
    -- the changed periods and the ones before them
    where (metric, grain, period_start) in (
        select metric, grain, period_start from changed_periods
        union all
        select metric, grain, {{ previous_period_start('grain', 'period_start') }} from changed_periods)
    {%- endif %}

),

paired as (

    select
        cur.metric,
        cur.grain,
        cur.period_start,
        prev.period_start as previous_period_start,
        cur.dimension,
        cur.dimension_value,
        cur.dimension_label,
        cur.responses,
        prev.responses as previous_responses,
        -- recomputed from the sums: metric_cells nulls suppressed values
        case cur.metric
            when 'nps' then {{ nps_value('cur.promoters', 'cur.detractors', 'cur.responses') }}
            else cur.score_sum / cur.responses
        end as value,
        case cur.metric
            when 'nps' then {{ nps_value('prev.promoters', 'prev.detractors', 'prev.responses') }}
            else prev.score_sum / prev.responses
        end as previous_value,
        sqrt(
            power(case cur.metric
                when 'nps' then {{ nps_se('cur.promoters', 'cur.detractors', 'cur.responses') }}
                when 'csat' then {{ proportion_se('cur.successes', 'cur.responses') }}
                when 'negative_share' then {{ proportion_se('cur.successes', 'cur.responses') }}
                else {{ sample_sd('cur.score_sum', 'cur.score_sq_sum', 'cur.responses') }} / sqrt(cur.responses)
            end, 2)
            + power(case cur.metric
                when 'nps' then {{ nps_se('prev.promoters', 'prev.detractors', 'prev.responses') }}
                when 'csat' then {{ proportion_se('prev.successes', 'prev.responses') }}
                when 'negative_share' then {{ proportion_se('prev.successes', 'prev.responses') }}
                else {{ sample_sd('prev.score_sum', 'prev.score_sq_sum', 'prev.responses') }} / sqrt(prev.responses)
            end, 2)
        ) as difference_se
    from cells cur
    {%- if is_incremental() %}
    -- only the changed periods' rows (the ones before them are read as previous)
    inner join changed_periods cp
        on cp.metric = cur.metric and cp.grain = cur.grain and cp.period_start = cur.period_start
    {%- endif %}
    inner join cells prev
        on prev.metric = cur.metric
        and prev.grain = cur.grain
        and prev.dimension = cur.dimension
        and prev.dimension_value = cur.dimension_value
        and prev.period_start = {{ previous_period_start('cur.grain', 'cur.period_start') }}

),

tested as (

    select
        paired.*,
        value - previous_value as difference,
        case when difference_se > 0 then (value - previous_value) / difference_se end as z
    from paired

),

with_p as (

    select
        tested.*,
        case when z is not null then {{ two_sided_p('z') }} end as p_value
    from tested

),

ranked as (

    select
        with_p.*,
        count(tested_p) over family as family_size,
        case when tested_p is not null then row_number() over (family order by tested_p, dimension_value) end as p_rank
    from (
        select
            with_p.*,
            case when responses >= {{ min_responses() }} and previous_responses >= {{ min_responses() }} then p_value end as tested_p
        from with_p
    ) with_p
    window family as (partition by metric, grain, period_start, dimension)

),

adjusted as (

    -- BH: q(i) = min over ranks j >= i of p(j) * m / j, capped at 1.
    select
        ranked.*,
        case when tested_p is not null then least(1.0, min(tested_p * family_size / p_rank) over (
            partition by metric, grain, period_start, dimension
            order by p_rank desc rows between unbounded preceding and current row
        )) end as q_value
    from ranked

)

select
    -- the cell and the two periods
    metric,
    grain,
    period_start,
    previous_period_start,
    dimension,
    dimension_value,
    dimension_label,
    cast(responses as {{ dbt.type_bigint() }}) as responses,
    cast(previous_responses as {{ dbt.type_bigint() }}) as previous_responses,
    -- the change (null when either period is suppressed)
    cast({{ suppressible(suppressible('value', 'previous_responses'), 'responses') }} as {{ float }}) as value,
    cast({{ suppressible(suppressible('previous_value', 'previous_responses'), 'responses') }} as {{ float }}) as previous_value,
    cast({{ suppressible(suppressible('difference', 'previous_responses'), 'responses') }} as {{ float }}) as difference,
    cast({{ suppressible(suppressible('difference_se', 'previous_responses'), 'responses') }} as {{ float }}) as difference_se,
    cast({{ suppressible(suppressible('difference - 1.959963984540054 * difference_se', 'previous_responses'), 'responses') }} as {{ float }}) as difference_ci_low,
    cast({{ suppressible(suppressible('difference + 1.959963984540054 * difference_se', 'previous_responses'), 'responses') }} as {{ float }}) as difference_ci_high,
    cast({{ suppressible(suppressible('z', 'previous_responses'), 'responses') }} as {{ float }}) as z_score,
    cast({{ suppressible(suppressible('p_value', 'previous_responses'), 'responses') }} as {{ float }}) as p_value,
    cast(family_size as {{ dbt.type_bigint() }}) as family_size,
    cast({{ suppressible(suppressible('q_value', 'previous_responses'), 'responses') }} as {{ float }}) as q_value,
    coalesce({{ suppressible(suppressible('q_value < 0.05', 'previous_responses'), 'responses') }}, false) as is_significant,
    (responses < {{ min_responses() }} or previous_responses < {{ min_responses() }}) as is_small_sample,
    -- incremental bookkeeping: the two periods' responses checksums on the 'all' row
    pc.responses_checksum,
    pc.previous_responses_checksum
from adjusted
left join (
    select metric as checksum_metric, grain as checksum_grain, period_start as checksum_period,
        responses_checksum, previous_responses_checksum
    from pair_checksums
) pc
    on adjusted.dimension = 'all'
    and pc.checksum_metric = adjusted.metric and pc.checksum_grain = adjusted.grain
    and pc.checksum_period = adjusted.period_start
