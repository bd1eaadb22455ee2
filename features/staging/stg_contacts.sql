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

-- Only keys given more than once need choosing. Grouping a 64-bit hash of the key
-- (not the key text) finds the candidates cheaply; the window then compares the
-- real key null-safely (partition by), so a hash collision changes nothing.
keyed as (
    select *, hash(contact_id) as key_hash from typed
),

repeated_hashes as (
    select key_hash from keyed group by key_hash having count(*) > 1
),

newest_of_repeated as (
    select *
    from keyed semi join repeated_hashes using (key_hash)
    qualify row_number() over (partition by contact_id order by load_id desc, line desc) = 1
),

final as (
    select * exclude (line, key_hash) from keyed anti join repeated_hashes using (key_hash)
    union all
    select * exclude (line, key_hash) from newest_of_repeated
)

select * from final
