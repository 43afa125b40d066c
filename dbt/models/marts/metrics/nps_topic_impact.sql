-- Topic impact on NPS per week and month: NPS of all responses against NPS without the topic's
-- responses, the difference with a 95% interval, and a relative-importance ranking.
--   impact = NPS(all) - NPS(without topic) = (n_topic / n) * (NPS(topic) - NPS(rest))
--   se(impact) = (n_topic / n) * sqrt(se(topic)^2 + se(rest)^2), se = nps_se (Wald)
--   relative_importance = |impact| / sum of |impact| over the period's topics
{%- set float = dbt.type_float() %}
with

nps as (

    select * from {{ ref('metric_cells') }}
    where metric = 'nps' and grain in ('week', 'month')

),

totals as (

    select grain, period_start, responses, promoters, detractors
    from nps
    where dimension = 'all'

),

split as (

    select
        topic.grain,
        topic.period_start,
        topic.dimension_value as topic_id,
        topic.dimension_label as topic_label,
        totals.responses as responses_all,
        totals.promoters as promoters_all,
        totals.detractors as detractors_all,
        topic.responses as topic_responses,
        topic.promoters as topic_promoters,
        topic.detractors as topic_detractors,
        totals.responses - topic.responses as rest_responses,
        totals.promoters - topic.promoters as rest_promoters,
        totals.detractors - topic.detractors as rest_detractors
    from nps topic
    inner join totals on totals.grain = topic.grain and totals.period_start = topic.period_start
    where topic.dimension = 'topic' and topic.dimension_value <> '(none)'

),

measured as (

    select
        split.*,
        {{ nps_value('promoters_all', 'detractors_all', 'responses_all') }} as nps_all,
        {{ nps_value('topic_promoters', 'topic_detractors', 'topic_responses') }} as nps_topic,
        {{ nps_value('rest_promoters', 'rest_detractors', 'rest_responses') }} as nps_without_topic,
        1.0 * topic_responses / responses_all * sqrt(
            power({{ nps_se('topic_promoters', 'topic_detractors', 'topic_responses') }}, 2)
            + power({{ nps_se('rest_promoters', 'rest_detractors', 'rest_responses') }}, 2)
        ) as impact_se
    from split

),

impact as (

    select measured.*, nps_all - nps_without_topic as impact
    from measured

)

select
    -- the period and topic
    grain,
    period_start,
    topic_id,
    topic_label,
    -- counts
    cast(responses_all as {{ dbt.type_bigint() }}) as responses_all,
    cast(topic_responses as {{ dbt.type_bigint() }}) as topic_responses,
    cast(1.0 * topic_responses / responses_all as {{ float }}) as topic_share,
    -- NPS with and without the topic
    cast(nps_all as {{ float }}) as nps_all,
    cast(nps_topic as {{ float }}) as nps_topic,
    cast(nps_without_topic as {{ float }}) as nps_without_topic,
    -- the impact and its interval
    cast(impact as {{ float }}) as impact,
    cast(impact_se as {{ float }}) as impact_se,
    cast(impact - 1.959963984540054 * impact_se as {{ float }}) as impact_ci_low,
    cast(impact + 1.959963984540054 * impact_se as {{ float }}) as impact_ci_high,
    -- ranking within the period
    cast(abs(impact) / nullif(sum(abs(impact)) over (partition by grain, period_start), 0) as {{ float }}) as relative_importance,
    cast(rank() over (partition by grain, period_start order by abs(impact) desc nulls last) as {{ dbt.type_bigint() }}) as importance_rank,
    topic_responses < {{ min_responses() }} as is_small_sample
from impact
