-- stg_transfers: one row per transfer_id; typed. When a later load repeats a key,
-- the newest load wins (the raw layer keeps every version).
with source as (
    select * from raw_transfers where row_status = 'loaded'
),

typed as (
    select
        trim(transfer_id)                as transfer_id,
        trim(customer_id)                as customer_id,
        parse_timestamp(transfer_at)     as transfer_at,
        parse_money(amount)              as amount,
        parse_direction(direction)       as direction,
        clean_text(counterparty_name)    as counterparty_name,
        clean_text(counterparty_account) as counterparty_account,
        clean_text(counterparty_bank)    as counterparty_bank,
        load_id,
        line
    from source
),

-- Only keys given more than once need choosing. Grouping a 64-bit hash of the key
-- (not the key text) finds the candidates cheaply; the window then compares the
-- real key null-safely (partition by), so a hash collision changes nothing.
keyed as (
    select *, hash(transfer_id) as key_hash from typed
),

repeated_hashes as (
    select key_hash from keyed group by key_hash having count(*) > 1
),

newest_of_repeated as (
    select *
    from keyed semi join repeated_hashes using (key_hash)
    qualify row_number() over (partition by transfer_id order by load_id desc, line desc) = 1
),

final as (
    select * exclude (line, key_hash) from keyed anti join repeated_hashes using (key_hash)
    union all
    select * exclude (line, key_hash) from newest_of_repeated
)

select * from final
