-- Star ratings (reviews, 1-5) per day, source and channel: mean and % 4-5.
select
    submitted_date as day, source, channel,
    count(*) as responses,
    round(avg(rating_value), 2) as star_mean,
    count(*) filter (where rating_value >= 4) as positive,
    {{ pct('count(*) filter (where rating_value >= 4)', 'count(*)') }} as pct_4_5,
    {{ is_small_sample('count(*)') }} as is_small_sample
from {{ ref('fct_feedback') }}
where rating_type = 'star' and rating_value is not null
group by 1, 2, 3
