-- Customer file drops: one row per customer (keyed by customer_id, else email); see the README.
with

source as (

    select * from {{ source('raw', 'customer_drop') }}

),

renamed as (

    select
        -- ids and lineage
        source,
        account,
        source_record_id,
        payload_hash,
        run_id,
        extracted_at,

        -- who (pseudonymised by the enrich stage; never leaves staging in clear)
        nullif(lower(trim(coalesce(payload->>'email', payload->>'customer_email'))), '') as customer_email,
        nullif(trim(payload->>'customer_id'), '') as customer_external_id,

        -- attributes
        nullif(trim(payload->>'plan'), '') as plan,
        nullif(trim(payload->>'region'), '') as region,
        nullif(trim(payload->>'tier'), '') as tier,
        cast({{ safe_timestamptz("left(payload->>'signup_date', 10)") }} as date) as signup_date,
        {{ safe_numeric("payload->>'lifetime_value'") }} as lifetime_value,
        nullif(trim(payload->>'account_owner'), '') as account_owner,
        payload - array[
            'customer_id', 'email', 'customer_email', 'plan', 'region', 'tier', 'signup_date',
            'lifetime_value', 'account_owner', 'updated_at', '_file'
        ] as attributes,

        -- when the attributes took effect: the file's updated_at, else when this version was loaded
        coalesce(source_updated_at, extracted_at) as updated_at,
        false as is_deleted

    from source

)

select * from renamed
