-- What each topic does to NPS in a report period (marts.nps_topic_impact): overall NPS minus the
-- NPS of the feedback that is not about the topic, with its interval and rank. Negative impact =
-- the topic pulls NPS down by that many points. Only rounding here.
select
    period_start,
    to_char(period_start, 'YYYY-MM') as period,
    cast(topic_id as bigint) as topic_id,
    topic_label,
    topic_responses,
    round(cast(100.0 * topic_share as numeric), 1) as share_of_nps_responses,
    round(cast(nps_topic as numeric), 1) as topic_nps,
    round(cast(nps_all as numeric), 1) as overall_nps,
    round(cast(nps_without_topic as numeric), 1) as nps_without_topic,
    round(cast(impact as numeric), 1) as nps_impact,
    round(cast(impact_ci_low as numeric), 1) as nps_impact_ci_low,
    round(cast(impact_ci_high as numeric), 1) as nps_impact_ci_high,
    importance_rank,
    is_small_sample
from {{ ref('nps_topic_impact') }}
where grain = '{{ var("report_period_grain") }}'
