-- evidence_counterparties: one row per reported manager × outside counterparty that received
-- outflows from two or more of the manager's customers in the evidence window, with how many
-- customers bank-wide paid it.
with managers as (
    select * from report_managers
),

outflows as (
    select
        a.manager_id,
        t.customer_id,
        t.amount,
        t.transfer_at,
        t.transfer_id,
        t.counterparty_name,
        t.counterparty_bank,
        t.counterparty_account,
        counterparty_key(t.counterparty_account, t.counterparty_bank, t.counterparty_name) as counterparty
    from stg_transfers t
    join stg_assignments a
      on a.customer_id = t.customer_id
     and a.start_date <= t.transfer_at::date
     and (a.end_date is null or a.end_date > t.transfer_at::date)
    where t.direction = 'out'
      and t.transfer_at::date between $window_start::date and $window_end::date
      and a.manager_id in (select manager_id from managers)
),

-- how many customers bank-wide paid each counterparty in the window: few others = exclusive
reach as (
    select
        counterparty_key(counterparty_account, counterparty_bank, counterparty_name) as counterparty,
        count(distinct customer_id) as bank_customers
    from stg_transfers
    where direction = 'out' and transfer_at::date between $window_start::date and $window_end::date
    group by all
),

grouped as (
    select
        manager_id,
        counterparty,
        arg_max(counterparty_name, (transfer_at, transfer_id)) as counterparty_name,
        arg_max(counterparty_bank, (transfer_at, transfer_id)) as counterparty_bank,
        arg_max(counterparty_account, (transfer_at, transfer_id)) as counterparty_account,
        count(distinct customer_id) as customers,
        list(distinct customer_id order by customer_id) as customer_ids,
        count(*) as transfers,
        sum(amount)::double as amount,
        min(transfer_at)::date as first_transfer,
        max(transfer_at)::date as last_transfer
    from outflows
    group by manager_id, counterparty
    having count(distinct customer_id) >= 2
),

final as (
    select grouped.* exclude (counterparty), reach.bank_customers
    from grouped
    join reach using (counterparty)
)

select * from final order by manager_id, customers desc, amount desc, counterparty_account, counterparty_name
