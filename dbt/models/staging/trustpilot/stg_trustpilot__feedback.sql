-- Trustpilot: one row per service review; payload is the review object as received.
-- The rating is the star count (1-5); the text is the title and the body; the company
-- reply and the review's edit time stay in attributes.
with

source as (

    select * from {{ source('raw', 'trustpilot') }}

),

renamed as (

    select
        -- ids and lineage
        {{ feedback_id('source', 'account', 'source_record_id') }} as feedback_id,
        source,
        account,
        source_record_id,
        payload_hash,
        run_id,
        extracted_at,
        source_updated_at,

        -- when and where
        {{ safe_timestamptz("payload->>'createdAt'") }} as submitted_at,
        payload->>'createdAt' as submitted_at_raw,
        'review' as channel,

        -- who (referralEmail only comes from the private endpoint; pseudonymised downstream)
        nullif(lower(trim(payload->>'referralEmail')), '') as customer_email,
        nullif(trim(payload->'consumer'->>'id'), '') as customer_external_id,

        -- what they said
        nullif(split_part(lower(trim(payload->>'language')), '-', 1), '') as language_declared,
        nullif(concat_ws(
            E'\n\n', nullif(trim(payload->>'title'), ''), nullif(trim(payload->>'text'), '')
        ), '') as text_raw,

        -- ratings
        'star' as rating_type,
        {{ safe_numeric("payload->>'stars'") }} as rating_value,
        nullif(trim(payload->>'stars'), '') as rating_value_raw,
        {{ default_scale_min("'star'") }} as rating_scale_min,
        {{ default_scale_max("'star'") }} as rating_scale_max,

        -- context
        cast(null as text) as survey_id,
        cast(null as text) as question_id,
        cast(null as text) as thread_id,
        jsonb_strip_nulls(jsonb_build_object(
            'title', payload->>'title',
            'business_unit_id', account,
            'review_updated_at', {{ safe_timestamptz("payload->>'updatedAt'") }},
            'experienced_at', {{ safe_timestamptz("payload->>'experiencedAt'") }},
            'company_reply_text', payload->'companyReply'->>'text',
            'company_reply_at', {{ safe_timestamptz("payload->'companyReply'->>'createdAt'") }},
            'company_reply_updated_at', {{ safe_timestamptz("payload->'companyReply'->>'updatedAt'") }},
            'location', nullif(payload->'location', 'null'::jsonb),
            'reference_id', payload->>'referenceId',
            'review_source', payload->>'source',
            'tags', nullif(payload->'tags', '[]'::jsonb),
            'is_verified', payload->'isVerified'
        )) as attributes

    from source

)

select * from renamed
