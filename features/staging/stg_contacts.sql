-- stg_contacts: one row per contact_id; typed. When a later load repeats a key,
-- the newest load wins (the raw layer keeps every version).
with source as (
    select * from raw_contacts where row_status = 'loaded'
),

typed as (
    select
        trim(contact_id)             as contact_id,
        trim(manager_id)             as manager_id,
        trim(customer_id)            as customer_id,
        parse_timestamp(contact_at)  as contact_at,
        parse_channel(channel)       as channel,
        parse_number(duration_min)   as duration_min,
        parse_timestamp(logged_at)   as logged_at,
        note,                        -- free text, kept exactly as written
        load_id,
        line
    from source
),

-- Only keys given more than once need choosing; a group-by finds them without
-- sorting the whole table. Keys match null-safely (an empty new_value is a value).
repeated_keys as (
    select contact_id from typed group by all having count(*) > 1
),

newest_of_repeated as (
    select *
    from typed semi join repeated_keys r on typed.contact_id is not distinct from r.contact_id
    qualify row_number() over (partition by contact_id order by load_id desc, line desc) = 1
),

final as (
    select * exclude (line) from typed anti join repeated_keys r on typed.contact_id is not distinct from r.contact_id
    union all
    select * exclude (line) from newest_of_repeated
)

select * from final
