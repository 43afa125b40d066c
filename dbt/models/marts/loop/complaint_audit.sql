-- Complaint handling audit by department and owner: cases with no owner, open cases stale beyond
-- their resolution SLA, reopened cases, compensation paid, and repeat complainers (customers with
-- more than one case overall).
with

cases as (

    select * from {{ ref('fct_cases') }}

),

repeaters as (

    select customer_key
    from cases
    where customer_key is not null
    group by customer_key
    having count(*) > 1

)

select
    c.department,
    coalesce(c.owner, '(none)') as owner,
    count(*) as cases,
    count(*) filter (where c.status = 'open') as open_cases,
    count(*) filter (where c.owner is null) as without_owner,
    count(*) filter (where c.status = 'open' and c.is_resolution_breached) as stale_beyond_sla,
    count(*) filter (where c.reopened_count > 0) as reopened,
    coalesce(sum(c.compensation_amount), 0) as compensation_total,
    count(distinct c.customer_key) filter (where r.customer_key is not null) as repeat_complainers,
    count(*) filter (where r.customer_key is not null) as repeat_complainer_cases
from cases c
left join repeaters r using (customer_key)
group by c.department, coalesce(c.owner, '(none)')
