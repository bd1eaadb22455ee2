-- stg_contacts: one row per contact_id, typed; the newest load wins for a repeated key.
with source as (
    select * from raw_contacts where row_status = 'loaded'
),

newest as (
    select *
    from source
    qualify row_number() over (partition by trim(contact_id) order by load_id desc, line desc) = 1
),

final as (
    select
        trim(contact_id)             as contact_id,
        trim(manager_id)             as manager_id,
        trim(customer_id)            as customer_id,
        parse_timestamp(contact_at)  as contact_at,
        parse_channel(channel)       as channel,
        parse_number(duration_min)   as duration_min,
        parse_timestamp(logged_at)   as logged_at,
        note,                        -- free text, kept exactly as written
        load_id
    from newest
)

select * from final
