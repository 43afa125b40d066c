-- Google Forms: one row per response. The payload is {"response", "form", "mapping"}: the
-- response as listed, the form's question titles/kinds, and which question is the rating
-- and which the open text (from cfm.yml, written by the connector).
with

source as (

    select * from {{ source('raw', 'google_forms') }}

),

parsed as (

    select
        *,
        payload->'response' as response,
        payload->'form' as form,
        payload->'mapping' as mapping
    from source

),

picked as (

    select
        *,
        mapping->'rating'->>'type' as rating_kind,
        mapping->'rating'->>'question_id' as rating_question_id,
        jsonb_path_query_first(
            response->'answers'->(mapping->'rating'->>'question_id'), '$.textAnswers.answers[0].value'
        ) #>> '{}' as rating_text,
        array_to_string(array(
            select jsonb_array_elements_text(jsonb_path_query_array(
                response->'answers'->(mapping->>'text_question_id'), '$.textAnswers.answers[*].value'
            ))
        ), E'\n') as open_text
    from parsed

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

        -- when and where (createTime is the first submission; edits move lastSubmittedTime)
        {{ safe_timestamptz("coalesce(response->>'createTime', response->>'lastSubmittedTime')") }} as submitted_at,
        coalesce(response->>'createTime', response->>'lastSubmittedTime') as submitted_at_raw,
        'survey' as channel,

        -- who (only when the form collects emails)
        nullif(lower(trim(response->>'respondentEmail')), '') as customer_email,
        cast(null as text) as customer_external_id,

        -- what they said
        cast(null as text) as language_declared,
        nullif(open_text, '') as text_raw,

        -- ratings
        nullif(lower(rating_kind), '') as rating_type,
        {{ safe_numeric('rating_text') }} as rating_value,
        nullif(trim(rating_text), '') as rating_value_raw,
        coalesce(
            {{ safe_numeric("mapping->'rating'->>'scale_min'") }},
            {{ default_scale_min("nullif(lower(rating_kind), '')") }}
        ) as rating_scale_min,
        coalesce(
            {{ safe_numeric("mapping->'rating'->>'scale_max'") }},
            {{ default_scale_max("nullif(lower(rating_kind), '')") }}
        ) as rating_scale_max,

        -- context
        account as survey_id,
        rating_question_id as question_id,
        cast(null as text) as thread_id,
        jsonb_strip_nulls(jsonb_build_object(
            'form_title', form->>'title',
            'form_revision_id', form->>'revisionId',
            'last_submitted_at', response->>'lastSubmittedTime',
            'total_score', response->'totalScore',
            'text_question_id', mapping->>'text_question_id'
        )) as attributes

    from picked

)

select * from renamed
