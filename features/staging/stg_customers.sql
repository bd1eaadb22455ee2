-- stg_customers: one row per customer_id; typed. When a later load repeats a key,
-- the newest load wins (the raw layer keeps every version).
with source as (
    select * from raw_customers where row_status = 'loaded'
),

typed as (
    select
        trim(customer_id)          as customer_id,
        clean_text(customer_name)  as customer_name,
        clean_text(phone)          as phone,
        parse_date(birth_date)     as birth_date,
        parse_segment(segment)     as segment,
        parse_date(opened_at)      as opened_at,
        parse_date(closed_at)      as closed_at,
        load_id,
        line
    from source
),

-- Only keys given more than once need choosing; a group-by finds them without
-- sorting the whole table. Keys match null-safely (an empty new_value is a value).
repeated_keys as (
    select customer_id from typed group by all having count(*) > 1
),

newest_of_repeated as (
    select *
    from typed semi join repeated_keys r on typed.customer_id is not distinct from r.customer_id
    qualify row_number() over (partition by customer_id order by load_id desc, line desc) = 1
),

final as (
    select * exclude (line) from typed anti join repeated_keys r on typed.customer_id is not distinct from r.customer_id
    union all
    select * exclude (line) from newest_of_repeated
)

select * from final
