-- Star ratings (reviews) per day, source, channel and declared scale (1-5 unless the source
-- declares another): mean stars and % in the top two stars of the scale (4-5 on 1-5).
select
    submitted_date as day, source, channel,
    cast(rating_scale_min as numeric(8,2)) as rating_scale_min,
    cast(rating_scale_max as numeric(8,2)) as rating_scale_max,
    count(*) as responses,
    round(avg(rating_value), 2) as star_mean,
    count(*) filter (where rating_value >= rating_scale_max - 1) as positive,
    {{ pct('count(*) filter (where rating_value >= rating_scale_max - 1)', 'count(*)') }} as pct_4_5,
    {{ is_small_sample('count(*)') }} as is_small_sample
from {{ ref('fct_feedback') }}
where rating_type = 'star' and rating_value is not null
group by 1, 2, 3, 4, 5
