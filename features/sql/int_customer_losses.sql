{{ config(materialized='table') }}
-- int_customer_losses: one row per lost customer_id (the first loss), in the month of the loss:
-- how (the account was closed, or month-end AUM fell below $churn_aum_ratio of the previous
-- month-end from at least $churn_min_balance) and when (lost_on: the closing day, else the day
-- of the month's largest outflow, else the month end); prev_aum, the month-end balance before
-- the loss; the customer's age then (elderly: $elderly_age or more); the last logged contact up
-- to that day (went_dark: none in the $dark_days days before it); and where the money went
-- (outflows from 31 days before to 31 days after: the largest one's payee, and their sum).
-- A loss counts against the book the customer was in at the start of its month
-- (int_book_month.lost): feat_attrition counts those rows with these flags, and the report's
-- lost-customer evidence shows the same rows.
with balances as (
    select
        customer_id,
        month,
        aum,
        lag(aum) over (partition by customer_id order by month) as prev_aum,
        lag(month) over (partition by customer_id order by month) as prev_month
    from {{ source('warehouse', 'stg_balances') }}
),

drained as (
    select customer_id, month, prev_aum
    from balances
    where prev_month = month - interval 1 month
      and prev_aum >= {{ p('churn_min_balance') }}
      and aum < {{ p('churn_aum_ratio') }} * prev_aum
),

-- the day the money left: the largest outflow of that month, else the month end
drained_on as (
    select
        d.customer_id,
        -- equal amounts: the later transfer (ties must not depend on thread order)
        coalesce(max_by(t.transfer_at, {{ sort_key('t.amount', 't.transfer_at', 't.transfer_id') }})::date, last_day(d.month)) as lost_on,
        'moved out' as how,
        any_value(d.prev_aum) as prev_aum
    from drained d
    left join {{ source('warehouse', 'stg_transfers') }} t
      on t.customer_id = d.customer_id
     and t.direction = 'out'
     and date_trunc('month', t.transfer_at) = d.month
    group by d.customer_id, d.month
),

closed as (
    select
        c.customer_id,
        c.closed_at as lost_on,
        'closed' as how,
        b.aum as prev_aum
    from {{ source('warehouse', 'stg_customers') }} c
    left join {{ source('warehouse', 'stg_balances') }} b
      on b.customer_id = c.customer_id
     and b.month = date_trunc('month', c.closed_at) - interval 1 month
    where c.closed_at is not null
),

ranked_losses as (
    select *, row_number() over (partition by customer_id order by lost_on, how) as loss_number
    from (select * from drained_on union all select * from closed) as losses
),

first_loss as (
    select customer_id, lost_on, how, prev_aum from ranked_losses where loss_number = 1
),

last_contacts as (
    select l.customer_id, max(k.contact_at) as last_contact_at
    from first_loss l
    join {{ source('warehouse', 'stg_contacts') }} k on k.customer_id = l.customer_id and k.contact_at::date <= l.lost_on
    group by all
),

main_outflows as (
    select
        l.customer_id,
        -- equal amounts: the later transfer (ties must not depend on thread order)
        max_by(t.counterparty_bank, {{ sort_key('t.amount', 't.transfer_at', 't.transfer_id') }}) as counterparty_bank,
        max_by(t.counterparty_name, {{ sort_key('t.amount', 't.transfer_at', 't.transfer_id') }}) as counterparty_name,
        max_by(t.counterparty_account, {{ sort_key('t.amount', 't.transfer_at', 't.transfer_id') }}) as counterparty_account,
        sum(t.amount) as moved_out
    from first_loss l
    join {{ source('warehouse', 'stg_transfers') }} t
      on t.customer_id = l.customer_id and t.direction = 'out'
     and t.transfer_at::date between l.lost_on - 31 and l.lost_on + 31
    group by all
),

final as (
    select
        l.customer_id,
        date_trunc('month', l.lost_on)::date as month,
        l.lost_on,
        l.how,
        l.prev_aum,
        {{ age_on('c.birth_date', 'l.lost_on') }} as age,
        {{ age_on('c.birth_date', 'l.lost_on') }} >= {{ p('elderly_age') }}::integer as elderly,
        lc.last_contact_at,
        lc.last_contact_at is null
            or lc.last_contact_at::date < l.lost_on - {{ p('dark_days') }}::integer as went_dark,
        mo.counterparty_bank,
        mo.counterparty_name,
        mo.counterparty_account,
        mo.moved_out
    from first_loss l
    left join {{ source('warehouse', 'stg_customers') }} c using (customer_id)
    left join last_contacts lc using (customer_id)
    left join main_outflows mo using (customer_id)
)

select * from final
