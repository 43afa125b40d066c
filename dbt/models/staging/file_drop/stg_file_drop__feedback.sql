-- File drops: one CSV/JSONL row per feedback item; columns documented in the README.
with

source as (

    select * from {{ source('raw', 'file_drop') }}

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
        {{ safe_timestamptz("payload->>'submitted_at'") }} as submitted_at,
        payload->>'submitted_at' as submitted_at_raw,
        coalesce(nullif(lower(trim(payload->>'channel')), ''), 'other') as channel,

        -- who (pseudonymised downstream; never leaves staging in clear)
        nullif(lower(trim(payload->>'customer_email')), '') as customer_email,
        nullif(trim(payload->>'customer_id'), '') as customer_external_id,

        -- what they said
        nullif(lower(trim(payload->>'language')), '') as language_declared,
        nullif(payload->>'text', '') as text_raw,

        -- ratings
        nullif(lower(trim(payload->>'rating_type')), '') as rating_type,
        {{ safe_numeric("payload->>'rating_value'") }} as rating_value,
        nullif(trim(payload->>'rating_value'), '') as rating_value_raw,
        coalesce(
            {{ safe_numeric("payload->>'rating_scale_min'") }},
            {{ default_scale_min("nullif(lower(trim(payload->>'rating_type')), '')") }}
        ) as rating_scale_min,
        coalesce(
            {{ safe_numeric("payload->>'rating_scale_max'") }},
            {{ default_scale_max("nullif(lower(trim(payload->>'rating_type')), '')") }}
        ) as rating_scale_max,

        -- context
        nullif(payload->>'survey_id', '') as survey_id,
        nullif(payload->>'question_id', '') as question_id,
        nullif(payload->>'thread_id', '') as thread_id,
        payload - array[
            'id', 'submitted_at', 'channel', 'customer_email', 'customer_id', 'language', 'text',
            'rating_type', 'rating_value', 'rating_scale_min', 'rating_scale_max',
            'survey_id', 'question_id', 'thread_id'
        ] as attributes

    from source

)

select * from renamed
