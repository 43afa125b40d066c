-- App Store Connect: one row per customer review; payload is
-- {"review": <customerReviews resource>, "response": <customerReviewResponses resource or null>}.
-- createdDate carries the reviewer's local offset (e.g. -07:00); the cast normalises it to UTC.
-- Apple sends no language, so language_declared is null (detected downstream).
with

source as (

    select * from {{ source('raw', 'app_store') }}

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
        {{ safe_timestamptz("payload->'review'->'attributes'->>'createdDate'") }} as submitted_at,
        payload->'review'->'attributes'->>'createdDate' as submitted_at_raw,
        'review' as channel,

        -- who: Apple exposes only a nickname, kept in attributes
        cast(null as text) as customer_email,
        cast(null as text) as customer_external_id,

        -- what they said
        cast(null as text) as language_declared,
        nullif(concat_ws(
            E'\n\n',
            nullif(trim(payload->'review'->'attributes'->>'title'), ''),
            nullif(trim(payload->'review'->'attributes'->>'body'), '')
        ), '') as text_raw,

        -- ratings
        'star' as rating_type,
        {{ safe_numeric("payload->'review'->'attributes'->>'rating'") }} as rating_value,
        nullif(trim(payload->'review'->'attributes'->>'rating'), '') as rating_value_raw,
        {{ default_scale_min("'star'") }} as rating_scale_min,
        {{ default_scale_max("'star'") }} as rating_scale_max,

        -- context
        cast(null as text) as survey_id,
        cast(null as text) as question_id,
        cast(null as text) as thread_id,
        jsonb_strip_nulls(jsonb_build_object(
            'app_id', account,
            'title', payload->'review'->'attributes'->>'title',
            'reviewer_nickname', payload->'review'->'attributes'->>'reviewerNickname',
            'territory', payload->'review'->'attributes'->>'territory',
            'response_id', payload->'response'->>'id',
            'response_body', payload->'response'->'attributes'->>'responseBody',
            'response_state', payload->'response'->'attributes'->>'state',
            'response_modified_at',
            {{ safe_timestamptz("payload->'response'->'attributes'->>'lastModifiedDate'") }}
        )) as attributes

    from source

)

select * from renamed
