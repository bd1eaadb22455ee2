-- stg_balances: one row per customer_id × month (month-end AUM, CNY); typed. When a later load repeats a key,
-- the newest load wins (the raw layer keeps every version).
with source as (
    select * from raw_balances where row_status = 'loaded'
),

typed as (
    select
        trim(customer_id)   as customer_id,
        parse_month(month)  as month,
        parse_money(aum)    as aum,
        load_id,
        line
    from source
),

-- Only keys given more than once need choosing; a group-by finds them without
-- sorting the whole table. Keys match null-safely (an empty new_value is a value).
repeated_keys as (
    select customer_id, month from typed group by all having count(*) > 1
),

newest_of_repeated as (
    select *
    from typed semi join repeated_keys r on typed.customer_id is not distinct from r.customer_id
       and typed.month is not distinct from r.month
    qualify row_number() over (partition by customer_id, month order by load_id desc, line desc) = 1
),

final as (
    select * exclude (line) from typed anti join repeated_keys r on typed.customer_id is not distinct from r.customer_id
       and typed.month is not distinct from r.month
    union all
    select * exclude (line) from newest_of_repeated
)

select * from final
