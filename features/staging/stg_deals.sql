-- stg_deals: one row per deal_id, typed; the newest load wins (a deal's status moves on).
with source as (
    select * from raw_deals where row_status = 'loaded'
),

newest as (
    select *
    from source
    qualify row_number() over (partition by trim(deal_id) order by load_id desc, line desc) = 1
),

final as (
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
        load_id
    from newest
)

select * from final
