-- stg_transfers: one row per transfer_id, typed; the newest load wins for a repeated key.
with source as (
    select * from raw_transfers where row_status = 'loaded'
),

newest as (
    select *
    from source
    qualify row_number() over (partition by trim(transfer_id) order by load_id desc, line desc) = 1
),

final as (
    select
        trim(transfer_id)               as transfer_id,
        trim(customer_id)               as customer_id,
        parse_timestamp(transfer_at)    as transfer_at,
        parse_money(amount)             as amount,
        parse_direction(direction)      as direction,
        clean_text(counterparty_name)   as counterparty_name,
        clean_text(counterparty_account) as counterparty_account,
        clean_text(counterparty_bank)   as counterparty_bank,
        load_id
    from newest
)

select * from final
