-- Google Play reviews: one row per review (its current version). comments[] holds the user
-- comment and, when the developer answered, a developerComment; times are {seconds, nanos}.
with

source as (

    select * from {{ source('raw', 'google_play') }}

),

parsed as (

    select
        *,
        jsonb_path_query_first(payload, '$.comments[*].userComment') as user_comment,
        jsonb_path_query_first(payload, '$.comments[*].developerComment') as developer_comment
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

        -- when (Play only gives the last modification time of the review)
        to_timestamp(
            {{ safe_numeric("user_comment->'lastModified'->>'seconds'") }}
            + coalesce({{ safe_numeric("user_comment->'lastModified'->>'nanos'") }}, 0) / 1e9
        ) as submitted_at,
        (user_comment->'lastModified')::text as submitted_at_raw,
        'review' as channel,

        -- who: Play exposes no customer id or email (authorName is a display name, not kept here)
        cast(null as text) as customer_email,
        cast(null as text) as customer_external_id,

        -- what they said: the original text when a translation was requested; title<TAB>body -> two lines
        nullif(lower(split_part(replace(user_comment->>'reviewerLanguage', '-', '_'), '_', 1)), '') as language_declared,
        nullif(replace(coalesce(nullif(user_comment->>'originalText', ''), user_comment->>'text'), E'\t', E'\n'), '') as text_raw,

        -- ratings: 1-5 stars
        'star' as rating_type,
        {{ safe_numeric("user_comment->>'starRating'") }} as rating_value,
        nullif(trim(user_comment->>'starRating'), '') as rating_value_raw,
        {{ default_scale_min("'star'") }} as rating_scale_min,
        {{ default_scale_max("'star'") }} as rating_scale_max,

        -- context
        cast(null as text) as survey_id,
        cast(null as text) as question_id,
        cast(null as text) as thread_id,
        jsonb_strip_nulls(jsonb_build_object(
            'package_name', account,
            'app_version_name', user_comment->>'appVersionName',
            'app_version_code', user_comment->'appVersionCode',
            'android_os_version', user_comment->'androidOsVersion',
            'device', user_comment->>'device',
            'device_metadata', user_comment->'deviceMetadata',
            'thumbs_up_count', user_comment->'thumbsUpCount',
            'thumbs_down_count', user_comment->'thumbsDownCount',
            'translated_text', case when user_comment ? 'originalText' then user_comment->>'text' end,
            'developer_reply_text', developer_comment->>'text',
            'developer_reply_at', to_char(
                to_timestamp({{ safe_numeric("developer_comment->'lastModified'->>'seconds'") }}) at time zone 'UTC',
                'YYYY-MM-DD"T"HH24:MI:SS"Z"'
            )
        )) as attributes

    from parsed

)

select * from renamed
