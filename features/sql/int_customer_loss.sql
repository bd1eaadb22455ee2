{{ config(materialized='table') }}
-- int_customer_loss: one row per lost customer_id (the first loss): the account was closed,
-- or month-end AUM fell below $churn_aum_ratio of the previous month-end from at least
-- $churn_min_balance. prev_aum is the month-end balance before the loss.
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
        coalesce(max_by(t.transfer_at, (t.amount, t.transfer_at, t.transfer_id))::date, last_day(d.month)) as lost_on,
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

ranked as (
    select *, row_number() over (partition by customer_id order by lost_on, how) as loss_number
    from (select * from drained_on union all select * from closed) as losses
),

final as (
    select customer_id, lost_on, how, prev_aum from ranked where loss_number = 1
)

select * from final
