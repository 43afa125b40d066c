-- Topics that are new or growing unusually fast.
--
-- Rule (relative to the latest day with feedback, so re-runs on the same data agree):
--   is_new      the topic's first feedback is within the last 14 days;
--   is_spiking  at least 8 responses in the last 7 days AND at least twice its weekly
--               baseline, the baseline being the average weekly volume over the 28 days
--               before those 7 days (floored at 1 per week so a quiet topic needs 8+).
-- The enrichment stage applies the same rule to ml.topics.is_emerging.
with

daily as (
    select * from {{ ref('topic_daily') }}
),

latest as (
    select max(day) as day from daily
),

per_topic as (
    select
        daily.topic_id,
        max(daily.topic_label) as topic_label,
        min(daily.day) as first_day,
        coalesce(sum(daily.responses) filter (where daily.day > latest.day - 7), 0) as responses_last_7d,
        coalesce(
            sum(daily.responses) filter (where daily.day <= latest.day - 7 and daily.day > latest.day - 35), 0
        ) as responses_prior_28d,
        max(latest.day) as as_of_day
    from daily
    cross join latest
    group by daily.topic_id
),

flagged as (
    select
        topic_id,
        topic_label,
        first_day,
        as_of_day,
        responses_last_7d,
        responses_prior_28d,
        round(responses_prior_28d / 4.0, 1) as baseline_weekly,
        first_day > as_of_day - 14 as is_new,
        responses_last_7d >= 8
            and responses_last_7d >= 2 * greatest(responses_prior_28d / 4.0, 1) as is_spiking
    from per_topic
)

select *
from flagged
where is_new or is_spiking
