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

-- Only keys given more than once need choosing; a group-by finds them without
-- sorting the whole table. Keys match null-safely (an empty new_value is a value).
repeated_keys as (
    select transfer_id from typed group by all having count(*) > 1
),

newest_of_repeated as (
    select *
    from typed semi join repeated_keys r on typed.transfer_id is not distinct from r.transfer_id
    qualify row_number() over (partition by transfer_id order by load_id desc, line desc) = 1
),

final as (
    select * exclude (line) from typed anti join repeated_keys r on typed.transfer_id is not distinct from r.transfer_id
    union all
    select * exclude (line) from newest_of_repeated
)

select * from final
