-- Google Business Profile reviews: one row per review (its current version), per location.
with

source as (

    select * from {{ source('raw', 'google_business') }}

),

parsed as (

    select
        *,
        payload->>'comment' as comment,
        case upper(payload->>'starRating')
            when 'ONE' then 1 when 'TWO' then 2 when 'THREE' then 3 when 'FOUR' then 4 when 'FIVE' then 5
        end as stars
    from source

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

        -- when (createTime is the first posting; edits move updateTime)
        {{ safe_timestamptz("payload->>'createTime'") }} as submitted_at,
        payload->>'createTime' as submitted_at_raw,
        'review' as channel,

        -- who: no customer id or email (the reviewer display name is not kept here)
        cast(null as text) as customer_email,
        cast(null as text) as customer_external_id,

        -- what they said: Google-translated comments carry both texts; keep the original
        cast(null as text) as language_declared,
        nullif(btrim(case
            when comment like '%(Original)%' then split_part(comment, '(Original)', 2)
            when comment like '%(Translated by Google)%' then split_part(comment, '(Translated by Google)', 1)
            else comment
        end, E' \n\r\t'), '') as text_raw,

        -- ratings: enum ONE..FIVE -> 1..5 stars
        'star' as rating_type,
        cast(stars as numeric) as rating_value,
        nullif(payload->>'starRating', '') as rating_value_raw,
        {{ default_scale_min("'star'") }} as rating_scale_min,
        {{ default_scale_max("'star'") }} as rating_scale_max,

        -- context
        cast(null as text) as survey_id,
        cast(null as text) as question_id,
        cast(null as text) as thread_id,
        jsonb_strip_nulls(jsonb_build_object(
            'location', account,
            'review_name', payload->>'name',
            'updated_at', payload->>'updateTime',
            'reviewer_is_anonymous', payload->'reviewer'->'isAnonymous',
            'comment_as_received', case when comment like '%(Translated by Google)%' then comment end,
            'reply_text', payload->'reviewReply'->>'comment',
            'reply_updated_at', payload->'reviewReply'->>'updateTime',
            'media_count', jsonb_array_length(case
                when jsonb_typeof(payload->'reviewMediaItems') = 'array' then payload->'reviewMediaItems' end)
        )) as attributes

    from parsed

)

select * from renamed
