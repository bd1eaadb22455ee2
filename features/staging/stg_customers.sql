-- stg_customers: one row per customer_id, typed; the newest load wins for a repeated key.
with source as (
    select * from raw_customers where row_status = 'loaded'
),

newest as (
    select *
    from source
    qualify row_number() over (partition by trim(customer_id) order by load_id desc, line desc) = 1
),

final as (
    select
        trim(customer_id)          as customer_id,
        clean_text(customer_name)  as customer_name,
        clean_text(phone)          as phone,
        parse_date(birth_date)     as birth_date,
        parse_segment(segment)     as segment,
        parse_date(opened_at)      as opened_at,
        parse_date(closed_at)      as closed_at,
        load_id
    from newest
)

select * from final
