-- NPS change from one period to the next, per week and month, decomposed along each dimension
-- (topic, source, channel, category, segments) into a mix effect (shares of the groups) and a
-- rate effect (NPS within each group). With w the group's share of NPS responses and r its NPS
-- (previous period 1, this period 2): NPS = sum(w * r), and the symmetric (Shapley) split
--   mix  = (w2 - w1) * (r1 + r2) / 2      rate = (r2 - r1) * (w1 + w2) / 2
-- sums exactly to w2 * r2 - w1 * r1, so mix + rate over the groups = NPS2 - NPS1. A group
-- missing from one period takes the other period's r (its change is all mix).
{%- set float = dbt.type_float() %}
with

nps as (

    select grain, period_start, dimension, dimension_value, dimension_label, responses, promoters, detractors
    from {{ ref('metric_cells') }}
    where metric = 'nps' and grain in ('week', 'month')

),

totals as (

    select
        cur.grain,
        cur.period_start,
        prev.period_start as previous_period_start,
        {{ nps_value('cur.promoters', 'cur.detractors', 'cur.responses') }} as nps,
        {{ nps_value('prev.promoters', 'prev.detractors', 'prev.responses') }} as previous_nps,
        cur.responses,
        prev.responses as previous_responses
    from nps cur
    inner join nps prev
        on prev.grain = cur.grain
        and prev.dimension = 'all'
        and prev.period_start = case cur.grain
            when 'week' then {{ shift_period('week', 'cur.period_start', -1) }}
            else {{ shift_period('month', 'cur.period_start', -1) }}
        end
    where cur.dimension = 'all'

),

groups as (

    select distinct t.grain, t.period_start, t.previous_period_start, g.dimension, g.dimension_value
    from totals t
    inner join nps g
        on g.grain = t.grain
        and g.dimension not in ('all', 'channel_topic')
        and g.period_start in (t.period_start, t.previous_period_start)

),

shares as (

    select
        g.grain,
        g.period_start,
        g.previous_period_start,
        g.dimension,
        g.dimension_value,
        coalesce(cur.dimension_label, prev.dimension_label) as dimension_label,
        t.nps,
        t.previous_nps,
        coalesce(cur.responses, 0) as responses,
        coalesce(prev.responses, 0) as previous_responses,
        1.0 * coalesce(cur.responses, 0) / t.responses as share,
        1.0 * coalesce(prev.responses, 0) / t.previous_responses as previous_share,
        {{ nps_value('cur.promoters', 'cur.detractors', 'cur.responses') }} as group_nps,
        {{ nps_value('prev.promoters', 'prev.detractors', 'prev.responses') }} as previous_group_nps
    from groups g
    inner join totals t on t.grain = g.grain and t.period_start = g.period_start
    left join nps cur
        on cur.grain = g.grain and cur.period_start = g.period_start
        and cur.dimension = g.dimension and cur.dimension_value = g.dimension_value
    left join nps prev
        on prev.grain = g.grain and prev.period_start = g.previous_period_start
        and prev.dimension = g.dimension and prev.dimension_value = g.dimension_value

),

effects as (

    select
        shares.*,
        coalesce(group_nps, previous_group_nps) as r2,
        coalesce(previous_group_nps, group_nps) as r1
    from shares

)

select
    -- the periods and the group
    grain,
    period_start,
    previous_period_start,
    dimension,
    dimension_value,
    dimension_label,
    -- the total change the groups explain
    cast(previous_nps as {{ float }}) as previous_nps,
    cast(nps as {{ float }}) as nps,
    cast(nps - previous_nps as {{ float }}) as nps_change,
    -- the group in both periods
    cast(previous_responses as {{ dbt.type_bigint() }}) as previous_responses,
    cast(responses as {{ dbt.type_bigint() }}) as responses,
    cast(previous_share as {{ float }}) as previous_share,
    cast(share as {{ float }}) as share,
    cast({{ suppressible('previous_group_nps', 'previous_responses') }} as {{ float }}) as previous_group_nps,
    cast({{ suppressible('group_nps', 'responses') }} as {{ float }}) as group_nps,
    -- the decomposition
    cast((share - previous_share) * (r1 + r2) / 2 as {{ float }}) as mix_effect,
    cast((r2 - r1) * (share + previous_share) / 2 as {{ float }}) as rate_effect,
    cast((share - previous_share) * (r1 + r2) / 2 + (r2 - r1) * (share + previous_share) / 2 as {{ float }}) as total_effect,
    (responses < {{ min_responses() }} or previous_responses < {{ min_responses() }}) as is_small_sample
from effects
