-- Gmail: one feedback row per customer e-mail (message_role = 'feedback'). Company replies
-- are in stg_gmail__replies; auto-replies, bounces and bulk mail stay in stg_gmail__messages
-- with their exclusion_reason. E-mail carries no rating: rating columns are null.
with

messages as (

    select * from {{ ref('stg_gmail__messages') }}
    where message_role = 'feedback'

),

renamed as (

    select
        -- ids and lineage
        message_key as feedback_id,
        source,
        account,
        source_record_id,
        payload_hash,
        run_id,
        extracted_at,
        source_updated_at,

        -- when and where
        received_at as submitted_at,
        received_at_raw as submitted_at_raw,
        'email'::text as channel,

        -- who (pseudonymised downstream; never leaves staging in clear)
        from_email as customer_email,
        cast(null as text) as customer_external_id,

        -- what they said: the body without quoted history or signature; the subject when the body is empty
        language_declared,
        coalesce(body_text, subject) as text_raw,

        -- ratings: none in e-mail
        cast(null as text) as rating_type,
        cast(null as numeric) as rating_value,
        cast(null as text) as rating_value_raw,
        cast(null as numeric) as rating_scale_min,
        cast(null as numeric) as rating_scale_max,

        -- context
        cast(null as text) as survey_id,
        cast(null as text) as question_id,
        thread_id,
        jsonb_build_object(
            'subject', subject,
            'from_name', from_name,
            'message_id', message_id_header,
            'in_reply_to', in_reply_to_message_id,
            'date_header', date_header,
            'label_ids', label_ids,
            'to', to_emails,
            'cc', cc_emails,
            'body_format', body_format,
            'charset', charset
        ) as attributes

    from messages

)

select * from renamed
