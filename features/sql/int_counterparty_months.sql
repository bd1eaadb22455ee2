-- int_counterparty_months: one row per manager_id × month × outside counterparty that two or
-- more households of the manager's book paid in the month or the ($shared_counterparty_months - 1)
-- before (shared), and one row per manager_id × month, counterparty NULL, standing for all the
-- counterparties that only one household paid (households: the most of them, 1). Payments are
-- int_outflows'; money to the customer's own account elsewhere goes to nobody else and is left
-- out; a family paying its family account is one household. bank_customers: how many customers
-- bank-wide paid the counterparty in the same months (own accounts included). exclusive: shared,
-- and its households are at least half of its paying customers bank-wide — a counterparty paid
-- mostly by one manager's customers (a shell company, a private account) is what diversion looks
-- like, a popular one is not. A shared row carries what the evidence shows: the customers,
-- payments and dates in the window, and the payee's name and account as last paid.
-- feat_outflows aggregates these rows (the most households, of any and of exclusive
-- counterparties) and the report's counterparty evidence shows the shared ones. (The single-
-- household payees are one row each manager-month: they are ~97 % of the pairs and storing them
-- one by one doubled the model's cost.)
-- The months from $since on (the month-incremental pre-hook keeps the earlier ones).
with months as (
    select * from {{ ref('int_months') }} where month >= {{ p('since') }}::date
),

outflows as (
    select *
    from {{ ref('int_outflows') }}
    -- the first month's window starts this many months before it
    where transfer_at >= {{ p('since') }}::date - {{ months_interval(p('shared_counterparty_months') ~ '::integer - 1') }}
),

-- each outflow in the window of every month it counts in (narrow: it is read three times)
windowed as (
    select mo.month, o.manager_id, o.counterparty, o.customer_id, o.household_id, o.own_account,
           o.transfer_id
    from months mo
    join outflows o
      on o.month > mo.month - {{ months_interval(p('shared_counterparty_months') ~ '::integer') }}
     and o.month <= mo.month
),

book_payees as (
    select manager_id, month, counterparty, count(distinct household_id) as households
    from windowed
    where not own_account
    group by all
),

reach as (
    select month, counterparty, count(distinct customer_id) as bank_customers
    from windowed
    group by all
),

shared_payments as (
    -- the window's month, not the transfer's (o.month): named columns, no o.* (Spark refuses
    -- two columns called month)
    select w.month, o.manager_id, o.counterparty, o.customer_id, o.amount, o.transfer_at, o.transfer_id,
           o.counterparty_name, o.counterparty_bank, o.counterparty_account
    from windowed w
    join book_payees b using (manager_id, month, counterparty)
    join outflows o using (transfer_id)
    where b.households >= 2 and not w.own_account
),

details as (
    select
        manager_id, month, counterparty,
        count(distinct customer_id) as customers,
        {{ sorted_distinct_list('customer_id') }} as customer_ids,
        count(*) as transfers,
        sum(amount) as amount,
        min(transfer_at)::date as first_transfer,
        max(transfer_at)::date as last_transfer,
        max_by(counterparty_name, {{ sort_key('transfer_at', 'transfer_id') }}) as counterparty_name,
        max_by(counterparty_bank, {{ sort_key('transfer_at', 'transfer_id') }}) as counterparty_bank,
        max_by(counterparty_account, {{ sort_key('transfer_at', 'transfer_id') }}) as counterparty_account
    from shared_payments
    group by manager_id, month, counterparty
),

shared_payees as (
    select
        b.manager_id,
        b.month,
        b.counterparty,
        b.households,
        r.bank_customers,
        true as shared,
        b.households >= 0.5 * r.bank_customers as exclusive,
        d.customers, d.customer_ids, d.transfers, d.amount, d.first_transfer, d.last_transfer,
        d.counterparty_name, d.counterparty_bank, d.counterparty_account
    from book_payees b
    join reach r using (month, counterparty)
    join details d using (manager_id, month, counterparty)
    where b.households >= 2
),

single_household as (
    select manager_id, month, max(households) as households, false as shared, false as exclusive
    from book_payees
    where households < 2
    group by all
),

-- the single-household rows take shared_payees' columns, NULL where they have no value
-- (a join that matches nothing gives every column its type on both engines)
single_household_rows as (
    select
        h.manager_id, h.month, s.counterparty, h.households, s.bank_customers, h.shared, h.exclusive,
        s.customers, s.customer_ids, s.transfers, s.amount, s.first_transfer, s.last_transfer,
        s.counterparty_name, s.counterparty_bank, s.counterparty_account
    from single_household h
    left join shared_payees s on false
),

final as (
    select * from shared_payees
    union all
    select * from single_household_rows
)

select * from final
