-- Typeform: one row per form response. The connector stores `{response, form, mapping}`:
-- the response as received, the answered fields of the form definition, and its reading of
-- the rating/text/customer (plugins/cfm/sources/typeform.py, map_response).
with

source as (

    select * from {{ source('raw', 'typeform') }}

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
        {{ safe_timestamptz("payload->'response'->>'submitted_at'") }} as submitted_at,
        payload->'response'->>'submitted_at' as submitted_at_raw,
        'survey' as channel,

        {{ columns_from_mapping() }},

        -- context
        coalesce(payload->'form'->>'id', account) as survey_id,
        nullif(payload->'mapping'->>'rating_question_id', '') as question_id,
        cast(null as text) as thread_id,
        jsonb_strip_nulls(jsonb_build_object(
            'form_title', payload->'form'->>'title',
            'response_type', payload->'response'->>'response_type',
            'landed_at', payload->'response'->>'landed_at',
            'platform', payload->'response'->'metadata'->>'platform',
            'hidden', payload->'response'->'hidden',
            'calculated_score', payload->'response'->'calculated'->'score',
            'variables', payload->'response'->'variables'
        )) as attributes

    from source

)

select * from renamed
