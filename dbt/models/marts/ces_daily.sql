-- Customer Effort Score per day, source, channel and scale. ces_mean is on the survey's own
-- scale; ces_ease_mean (0-100, 100 = easiest) and pct_easy are comparable across scales and
-- directions (method: linear rescaling; "easy" = above the scale midpoint on the easy side).
with responses as (

    select
        submitted_date as day, source, channel, rating_scale_min, rating_scale_max, ces_higher_is_easier,
        rating_value,
        {{ ces_ease_score('rating_value', 'rating_scale_min', 'rating_scale_max', 'ces_higher_is_easier') }} as ease_score,
        {{ ces_is_easy('rating_value', 'rating_scale_min', 'rating_scale_max', 'ces_higher_is_easier') }} as is_easy
    from {{ ref('int_feedback_enriched') }}
    where rating_type = 'ces' and rating_value is not null

)

select
    day, source, channel, rating_scale_min, rating_scale_max,
    case when ces_higher_is_easier then 'higher_is_easier' else 'lower_is_easier' end as scale_direction,
    count(*) as responses,
    round(avg(rating_value), 2) as ces_mean,
    round(avg(ease_score), 1) as ces_ease_mean,
    count(*) filter (where is_easy) as easy,
    {{ pct('count(*) filter (where is_easy)', 'count(*)') }} as pct_easy,
    'linear rescale to 0-100 (100 = easiest); easy = above scale midpoint' as method,
    {{ is_small_sample('count(*)') }} as is_small_sample
from responses
group by 1, 2, 3, 4, 5, 6
