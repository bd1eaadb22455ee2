-- stg_field_changes: one row per edit (customer × field × editor × time × new value);
-- the CRM audit log has no id of its own, so that tuple is the key; typed. When a later load repeats a key,
-- the newest load wins (the raw layer keeps every version).
with source as (
    select * from raw_field_changes where row_status = 'loaded'
),

typed as (
    select
        trim(customer_id)            as customer_id,
        parse_field(field)           as field,
        clean_text(old_value)        as old_value,
        clean_text(new_value)        as new_value,
        trim(changed_by)             as changed_by,
        parse_timestamp(changed_at)  as changed_at,
        load_id,
        line
    from source
),

-- Only keys given more than once need choosing. Grouping a 64-bit hash of the key
-- (not the key text) finds the candidates cheaply; the window then compares the
-- real key null-safely (partition by), so a hash collision changes nothing.
keyed as (
    select *, hash(customer_id, field, changed_by, changed_at, new_value) as key_hash from typed
),

repeated_hashes as (
    select key_hash from keyed group by key_hash having count(*) > 1
),

newest_of_repeated as (
    select *
    from keyed semi join repeated_hashes using (key_hash)
    qualify row_number() over (partition by customer_id, field, changed_by, changed_at, new_value order by load_id desc, line desc) = 1
),

final as (
    select * exclude (line, key_hash) from keyed anti join repeated_hashes using (key_hash)
    union all
    select * exclude (line, key_hash) from newest_of_repeated
)

select * from final
