-- Records held back in quarantine, per source and reason, in plain words for the report.
with

open_records as (
    select source, check_name, field, quarantined_at
    from {{ source('quarantine', 'records') }}
    where status = 'open'
),

described as (
    select * from {{ ref('quarantine_check_descriptions') }}
)

select
    o.source,
    o.check_name,
    coalesce(d.plain_reason, 'Failed the check "' || o.check_name || '"') as plain_reason,
    string_agg(distinct o.field, ', ' order by o.field) as fields,
    count(*) as open_records,
    min(o.quarantined_at) as oldest_quarantined_at
from open_records o
left join described d using (check_name)
group by o.source, o.check_name, d.plain_reason
