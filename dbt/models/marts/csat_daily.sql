-- CSAT (% in the top two boxes) per day, source, channel and scale, with the full distribution.
with responses as (

    select submitted_date as day, source, channel, rating_scale_min, rating_scale_max, rating_value, is_satisfied
    from {{ ref('fct_feedback') }}
    where rating_type = 'csat' and rating_value is not null

),

distribution as (

    select day, source, channel, rating_scale_min, rating_scale_max,
           jsonb_object_agg(cast(rating_value as text), n order by rating_value) as distribution
    from (
        select day, source, channel, rating_scale_min, rating_scale_max, rating_value, count(*) as n
        from responses group by 1, 2, 3, 4, 5, 6
    ) per_value
    group by 1, 2, 3, 4, 5

),

counted as (

    select day, source, channel, rating_scale_min, rating_scale_max,
           count(*) as responses,
           count(*) filter (where is_satisfied) as satisfied,
           round(avg(rating_value), 2) as csat_mean
    from responses
    group by 1, 2, 3, 4, 5

)

select
    c.day, c.source, c.channel, c.rating_scale_min, c.rating_scale_max,
    c.responses, c.satisfied,
    {{ pct('c.satisfied', 'c.responses') }} as csat_pct,
    c.csat_mean,
    d.distribution,
    {{ is_small_sample('c.responses') }} as is_small_sample
from counted c
join distribution d using (day, source, channel, rating_scale_min, rating_scale_max)
