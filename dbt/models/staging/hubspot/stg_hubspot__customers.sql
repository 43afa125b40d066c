-- HubSpot contacts with their primary company's attributes: one row per contact (archived ones flagged deleted).
{%- set contact_fields = ['email', 'customer_id', 'plan', 'region', 'tier', 'country', 'createdate', 'lastmodifieddate',
                          'hubspot_owner_id', 'associatedcompanyid', 'hs_lifetime_value', 'hs_object_id'] %}
with

contacts as (

    select *, payload->'properties' as props
    from {{ source('raw', 'hubspot') }}
    where account = 'contacts'

),

companies as (

    select source_record_id as company_id, source_updated_at as company_updated_at, payload->'properties' as props
    from {{ source('raw', 'hubspot') }}
    where account = 'companies' and coalesce(payload->>'archived', 'false') <> 'true'

),

renamed as (

    select
        -- ids and lineage
        c.source,
        c.account,
        c.source_record_id,
        c.payload_hash,
        c.run_id,
        c.extracted_at,

        -- who (pseudonymised by the enrich stage; never leaves staging in clear)
        nullif(lower(trim(c.props->>'email')), '') as customer_email,
        nullif(trim(c.props->>'customer_id'), '') as customer_external_id,

        -- attributes: the contact's own value, else its company's
        coalesce(nullif(c.props->>'plan', ''), nullif(co.props->>'plan', '')) as plan,
        coalesce(nullif(c.props->>'region', ''), nullif(co.props->>'region', ''),
                 nullif(c.props->>'country', ''), nullif(co.props->>'country', '')) as region,
        coalesce(nullif(c.props->>'tier', ''), nullif(co.props->>'tier', '')) as tier,
        cast({{ safe_timestamptz("c.props->>'createdate'") }} as date) as signup_date,
        coalesce({{ safe_numeric("c.props->>'hs_lifetime_value'") }}, {{ safe_numeric("co.props->>'total_revenue'") }})
            as lifetime_value,
        coalesce(nullif(c.props->>'hubspot_owner_id', ''), nullif(co.props->>'hubspot_owner_id', '')) as account_owner,
        (c.props - array[{{ "'" ~ contact_fields | join("', '") ~ "'" }}])
            || jsonb_build_object('hubspot_contact_id', c.source_record_id, 'hubspot_company_id', co.company_id,
                                  'company_name', co.props->>'name', 'company_domain', co.props->>'domain') as attributes,

        -- a change to the company is a new version of its contacts' attributes
        greatest(c.source_updated_at, co.company_updated_at) as updated_at,
        coalesce(c.payload->>'archived', 'false') = 'true' as is_deleted

    from contacts c
    left join companies co on co.company_id = c.props->>'associatedcompanyid'

)

select * from renamed
