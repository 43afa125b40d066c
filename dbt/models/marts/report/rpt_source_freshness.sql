-- Freshness per source: the last successful sync and the newest feedback, against the source's
-- expected cadence (var source_cadence_hours, hours; per source, else its default).
{%- set cadence = var('source_cadence_hours') %}
with

syncs as (
    select source, max(updated_at) as last_synced_at, count(*) as accounts
    from {{ source('ops', 'sync_state') }}
    group by source
),

feedback as (
    select source, max(submitted_at) as last_feedback_at, count(*) as feedback_items
    from {{ ref('fct_feedback') }}
    group by source
),

sources as (
    select source from syncs union select source from feedback
),

joined as (
    select
        s.source,
        y.accounts,
        y.last_synced_at,
        f.last_feedback_at,
        coalesce(f.feedback_items, 0) as feedback_items,
        case
            when false then null
            {%- for name, hours in cadence.items() if name != 'default' %}
            when s.source = '{{ name }}' then {{ hours }}
            {%- endfor %}
            else {{ cadence.get('default', 26) }}
        end as expected_cadence_hours,
        current_timestamp as as_of
    from sources s
    left join syncs y using (source)
    left join feedback f using (source)
)

select
    source,
    accounts,
    last_synced_at,
    last_feedback_at,
    feedback_items,
    cast(expected_cadence_hours as integer) as expected_cadence_hours,
    round(cast(extract(epoch from as_of - last_synced_at) / 3600.0 as numeric), 1) as hours_since_sync,
    last_synced_at is null
        or extract(epoch from as_of - last_synced_at) / 3600.0 > expected_cadence_hours as is_stale,
    as_of
from joined
