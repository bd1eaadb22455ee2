-- stg_assignments: one row per customer_id × manager_id × start_date (an ownership spell);
-- a later export can close an open spell; typed. When a later load repeats a key,
-- the newest load wins (the raw layer keeps every version).
with source as (
    select * from raw_assignments where row_status = 'loaded'
),

typed as (
    select
        trim(customer_id)       as customer_id,
        trim(manager_id)        as manager_id,
        parse_date(start_date)  as start_date,
        parse_date(end_date)    as end_date,
        clean_text(reason)      as reason,
        load_id,
        line
    from source
),

-- Only keys given more than once need choosing. Grouping a 64-bit hash of the key
-- (not the key text) finds the candidates cheaply; the window then compares the
-- real key null-safely (partition by), so a hash collision changes nothing.
keyed as (
    select *, hash(customer_id, manager_id, start_date) as key_hash from typed
),

repeated_hashes as (
    select key_hash from keyed group by key_hash having count(*) > 1
),

newest_of_repeated as (
    select *
    from keyed semi join repeated_hashes using (key_hash)
    qualify row_number() over (partition by customer_id, manager_id, start_date order by load_id desc, line desc) = 1
),

final as (
    select * exclude (line, key_hash) from keyed anti join repeated_hashes using (key_hash)
    union all
    select * exclude (line, key_hash) from newest_of_repeated
)

select * from final
