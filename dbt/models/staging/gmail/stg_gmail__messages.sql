-- Gmail: every stored message of every support inbox, customer mail, company replies and
-- excluded mail (auto-replies, bounces, bulk) alike, with its role. The connector parsed the
-- MIME message (payload.parsed); the message as received is payload.message.
with

source as (

    select * from {{ source('raw', 'gmail') }}

),

renamed as (

    select
        -- ids and lineage
        {{ feedback_id('source', 'account', 'source_record_id') }} as message_key,
        source,
        account,
        source_record_id,
        payload_hash,
        run_id,
        extracted_at,
        source_updated_at,
        nullif(payload->'message'->>'threadId', '') as thread_id,
        nullif(payload->'parsed'->>'message_id', '') as message_id_header,
        nullif(payload->'parsed'->>'in_reply_to', '') as in_reply_to_message_id,

        -- role: feedback, company_reply or excluded (with the reason)
        coalesce(nullif(payload->'parsed'->>'role', ''), 'feedback') as message_role,
        nullif(payload->'parsed'->>'exclusion_reason', '') as exclusion_reason,

        -- timestamps: internalDate (epoch ms, as a string) is when Gmail accepted the mail
        case
            when payload->'message'->>'internalDate' ~ '^[0-9]{1,15}$'
                then to_timestamp((payload->'message'->>'internalDate')::bigint / 1000.0)
        end as received_at,
        payload->'message'->>'internalDate' as received_at_raw,
        nullif(payload->'parsed'->>'date_header', '') as date_header,

        -- people
        nullif(lower(trim(payload->'parsed'->>'from_email')), '') as from_email,
        nullif(payload->'parsed'->>'from_name', '') as from_name,

        -- content
        nullif(payload->'parsed'->>'subject', '') as subject,
        nullif(payload->'parsed'->>'text', '') as body_text,
        case
            when lower(payload->'parsed'->>'content_language') ~ '^[a-z]{2}([-_].*)?$'
                then left(lower(payload->'parsed'->>'content_language'), 2)
        end as language_declared,
        nullif(payload->'parsed'->>'body_format', '') as body_format,
        nullif(payload->'parsed'->>'charset', '') as charset,
        coalesce(payload->'message'->'labelIds', '[]'::jsonb) as label_ids,
        coalesce(payload->'parsed'->'to', '[]'::jsonb) as to_emails,
        coalesce(payload->'parsed'->'cc', '[]'::jsonb) as cc_emails

    from source

)

select * from renamed
