-- Emerging topics in the report's words: new, or how many times their usual weekly volume.
select
    cast(topic_id as bigint) as topic_id,
    cast(topic_label as text) as topic_label,
    first_day,
    as_of_day,
    is_new,
    is_spiking,
    cast(responses_last_7d as bigint) as responses_last_7d,
    cast(baseline_weekly as numeric) as baseline_weekly,
    round(cast(responses_last_7d / greatest(baseline_weekly, 1) as numeric), 1) as growth_ratio
from {{ ref('emerging_topics') }}
