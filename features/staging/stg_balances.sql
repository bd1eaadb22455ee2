-- stg_balances: one row per customer_id × month (month-end AUM, CNY); newest load wins.
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

final as (
    select * exclude (line)
    from typed
    qualify row_number() over (partition by customer_id, month order by load_id desc, line desc) = 1
)

select * from final
