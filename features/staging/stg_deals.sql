-- stg_deals: one row per deal_id (a deal's status moves on between exports); typed. When a later load repeats a key,
-- the newest load wins (the raw layer keeps every version).
with source as (
    select * from raw_deals where row_status = 'loaded'
),

typed as (
    select
        trim(deal_id)                    as deal_id,
        trim(customer_id)                as customer_id,
        trim(manager_id)                 as manager_id,
        clean_text(product_code)         as product_code,
        parse_product_type(product_type) as product_type,
        parse_money(amount)              as amount,
        parse_timestamp(created_at)      as created_at,
        parse_timestamp(closed_at)       as closed_at,
        parse_deal_status(status)        as status,
        lower(clean_text(stage))         as stage,
        parse_date(maturity_date)        as maturity_date,
        clean_text(recording_id)         as recording_id,
        clean_text(lost_reason)          as lost_reason,
        load_id,
        line
    from source
),

-- Only keys given more than once need choosing. Grouping a 64-bit hash of the key
-- (not the key text) finds the candidates cheaply; the window then compares the
-- real key null-safely (partition by), so a hash collision changes nothing.
keyed as (
    select *, hash(deal_id) as key_hash from typed
),

repeated_hashes as (
    select key_hash from keyed group by key_hash having count(*) > 1
),

newest_of_repeated as (
    select *
    from keyed semi join repeated_hashes using (key_hash)
    qualify row_number() over (partition by deal_id order by load_id desc, line desc) = 1
),

final as (
    select * exclude (line, key_hash) from keyed anti join repeated_hashes using (key_hash)
    union all
    select * exclude (line, key_hash) from newest_of_repeated
)

select * from final
