-- Company answers the loop counts as a first response: replies in a Gmail thread (keyed by
-- thread) and owner or developer replies on review sites (keyed by the review's feedback_id).
with

gmail as (

    select
        'gmail' as source,
        account,
        {{ public_id('thread_id') }} as thread_id,  -- as int_feedback_enriched shows it, so they match
        cast(null as text) as feedback_id,
        replied_at
    from {{ ref('stg_gmail__replies') }}

),

-- replies to valid reviews (int_feedback_enriched keeps the reply time): a case opens on valid feedback only
reviews as (

    select
        source,
        account,
        cast(null as text) as thread_id,
        feedback_id,
        company_replied_at as replied_at
    from {{ ref('int_feedback_enriched') }}
    where channel = 'review'

)

select * from gmail
union all
select * from reviews where replied_at is not null
