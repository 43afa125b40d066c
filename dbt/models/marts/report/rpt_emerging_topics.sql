-- Emerging topics in the report's words: new, or how many times their usual weekly volume.
select
    topic_id,
    topic_label,
    first_day,
    as_of_day,
    is_new,
    is_spiking,
    responses_last_7d,
    baseline_weekly,
    round(responses_last_7d / greatest(baseline_weekly, 1), 1) as growth_ratio
from {{ ref('emerging_topics') }}
