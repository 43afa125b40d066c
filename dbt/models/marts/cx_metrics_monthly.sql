-- Headline metrics per calendar month, all sources together: what the leadership report shows.
with fb as (

    select date_trunc('month', submitted_date)::date as month, *
    from {{ ref('int_feedback_enriched') }}

),

nps as (

    select month,
           count(*) as responses,
           count(*) filter (where nps_group = 'promoter') as promoters,
           count(*) filter (where nps_group = 'detractor') as detractors
    from fb where rating_type = 'nps' and rating_value is not null group by 1

),

csat as (

    select month, count(*) as responses, count(*) filter (where is_satisfied) as satisfied
    from fb where rating_type = 'csat' and rating_value is not null group by 1

),

ces as (

    select month, count(*) as responses,
           avg({{ ces_ease_score('rating_value', 'rating_scale_min', 'rating_scale_max', 'ces_higher_is_easier') }}) as ease,
           count(*) filter (where {{ ces_is_easy('rating_value', 'rating_scale_min', 'rating_scale_max', 'ces_higher_is_easier') }}) as easy
    from fb where rating_type = 'ces' and rating_value is not null group by 1

),

months as (

    select distinct month from fb

)

select
    m.month,
    coalesce(n.responses, 0) as nps_responses,
    {{ nps('n.promoters', 'n.detractors', 'n.responses') }} as nps,
    {{ nps_interval('n.promoters', 'n.detractors', 'n.responses', 'low') }} as nps_ci_low,
    {{ nps_interval('n.promoters', 'n.detractors', 'n.responses', 'high') }} as nps_ci_high,
    coalesce(c.responses, 0) as csat_responses,
    {{ pct('c.satisfied', 'c.responses') }} as csat_pct,
    coalesce(e.responses, 0) as ces_responses,
    {{ pct('e.easy', 'e.responses') }} as ces_pct_easy,
    round(cast(e.ease as numeric), 1) as ces_ease_mean,
    (select count(*) from fb f where f.month = m.month) as feedback_items,
    (select count(*) from fb f where f.month = m.month and f.sentiment_label = 'negative') as negative_items
from months m
left join nps n using (month)
left join csat c using (month)
left join ces e using (month)
