-- Net Promoter Score per day, source and channel, with n and a 95% adjusted-Wald interval.
with responses as (

    select submitted_date as day, source, channel, nps_group
    from {{ ref('fct_feedback') }}
    where rating_type = 'nps' and rating_value is not null

),

counted as (

    select
        day, source, channel,
        count(*) as responses,
        count(*) filter (where nps_group = 'promoter') as promoters,
        count(*) filter (where nps_group = 'passive') as passives,
        count(*) filter (where nps_group = 'detractor') as detractors
    from responses
    group by 1, 2, 3

)

select
    day, source, channel, responses, promoters, passives, detractors,
    {{ nps('promoters', 'detractors', 'responses') }} as nps,
    {{ nps_interval('promoters', 'detractors', 'responses', 'low') }} as nps_ci_low,
    {{ nps_interval('promoters', 'detractors', 'responses', 'high') }} as nps_ci_high,
    {{ is_small_sample('responses') }} as is_small_sample
from counted
