-- Qualtrics: one row per exported response. The connector stores `{response, survey, mapping}`:
-- the export's response object as received, the answered questions of the survey definition, and its
-- reading of the rating (with the decoded NPS group), text and customer (plugins/cfm/sources/qualtrics.py).
with

source as (

    select * from {{ source('raw', 'qualtrics') }}

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
        {{ safe_timestamptz("coalesce(payload->'response'->'values'->>'recordedDate', payload->'response'->'values'->>'endDate')") }} as submitted_at,
        coalesce(payload->'response'->'values'->>'recordedDate', payload->'response'->'values'->>'endDate') as submitted_at_raw,
        'survey' as channel,

        {{ columns_from_mapping() }},

        -- context
        account as survey_id,
        nullif(payload->'mapping'->>'rating_question_id', '') as question_id,
        cast(null as text) as thread_id,
        jsonb_strip_nulls(jsonb_build_object(
            'survey_name', payload->'survey'->>'name',
            'nps_group', payload->'mapping'->>'nps_group',
            'finished', payload->'mapping'->'finished',
            'distribution_channel', payload->'response'->'values'->>'distributionChannel',
            'response_status', payload->'response'->'values'->'status',
            'progress', payload->'response'->'values'->'progress',
            'duration_seconds', payload->'response'->'values'->'duration'
        )) as attributes

    from source

)

select * from renamed
