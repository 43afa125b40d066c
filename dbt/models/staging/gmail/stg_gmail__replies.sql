-- Gmail: the company's own replies (sent from a company address or domain, or labelled SENT),
-- one row per reply, linked to the customer message it answers, for first-response times.
with

messages as (

    select * from {{ ref('stg_gmail__messages') }}

),

replies as (

    select * from messages
    where message_role = 'company_reply'

),

linked as (

    select
        -- ids
        replies.message_key as reply_id,
        replies.source,
        replies.account,
        replies.source_record_id,
        replies.thread_id,
        replies.message_id_header,
        replies.in_reply_to_message_id,

        -- the latest customer message in the thread received before this reply
        answered.message_key as feedback_id,
        answered.received_at as feedback_submitted_at,

        -- timestamps
        replies.received_at as replied_at,
        replies.received_at - answered.received_at as response_time,
        row_number() over (
            partition by replies.account, replies.thread_id
            order by replies.received_at, replies.source_record_id
        ) = 1 as is_first_reply_in_thread,

        -- who answered
        replies.from_email as replied_by_email,
        replies.run_id,
        replies.extracted_at

    from replies
    left join lateral (
        select m.message_key, m.received_at
        from messages as m
        where m.message_role = 'feedback'
          and m.account = replies.account
          and m.thread_id = replies.thread_id
          and m.received_at <= replies.received_at
        order by m.received_at desc, m.source_record_id desc
        limit 1
    ) as answered on true

)

select * from linked
