-- SurveyMonkey: one row per survey response. The connector stores `{response, survey, mapping}`:
-- the bulk response as received, the answered questions of /details, and its reading of the
-- rating/text/customer with choice ids turned into text and scores (plugins/cfm/sources/surveymonkey.py).
-- submitted_at is date_created (when the respondent answered); date_modified is source_updated_at.
with

source as (

    select * from {{ source('raw', 'surveymonkey') }}

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
        {{ safe_timestamptz("payload->'response'->>'date_created'") }} as submitted_at,
        payload->'response'->>'date_created' as submitted_at_raw,
        'survey' as channel,

        {{ columns_from_mapping() }},

        -- context
        coalesce(payload->'response'->>'survey_id', account) as survey_id,
        nullif(payload->'mapping'->>'rating_question_id', '') as question_id,
        cast(null as text) as thread_id,
        jsonb_strip_nulls(jsonb_build_object(
            'survey_title', payload->'survey'->>'title',
            'response_status', payload->'response'->>'response_status',
            'collector_id', payload->'response'->>'collector_id',
            'collection_mode', payload->'response'->>'collection_mode',
            'total_time_seconds', payload->'response'->'total_time',
            'date_modified', payload->'response'->>'date_modified',
            'custom_variables', payload->'response'->'custom_variables'
        )) as attributes

    from source

)

select * from renamed
