-- int_outflows: one row per outgoing transfer, with the manager who owned the customer that
-- day and where the money went. Explained (not diversion): the customer's own account
-- elsewhere (the counterparty bears the customer's name), a member of the customer's
-- household (by name), or a popular payee (insurers, brokerages, developers, hospitals: paid
-- by customers of $popular_min_managers or more managers). Pointing at diversion
-- (suspicious_payee): an account or name the manager declared as a relative's
-- (related_parties), or a payee that customers of two or more households in the same book
-- pay (one family paying its family account is one household). Weaker (new_rare_payee): a
-- payee the customer never paid before and at most $rare_payee_customers customers of the
-- bank pay. Counted over the transfer's month and $shared_counterparty_months - 1 months
-- either side. feat_outflows, int_customer_chains and the outflow evidence read these rows.
-- The months from $since on (features/build.py keeps the earlier ones).
with transfers as (
    select *
    from stg_transfers
    where direction = 'out'
      and transfer_at >= $since::date - to_months($shared_counterparty_months::integer - 1)
),

owned as (
    select
        t.transfer_id, t.customer_id, s.manager_id, t.transfer_at, t.amount,
        date_trunc('month', t.transfer_at)::date as month,
        t.counterparty_name, t.counterparty_account, t.counterparty_bank,
        counterparty_key(t.counterparty_account, t.counterparty_bank, t.counterparty_name) as counterparty,
        h.household_id
    from transfers t
    join stg_assignments s
      on s.customer_id = t.customer_id
     and s.start_date <= t.transfer_at::date
     and (s.end_date is null or s.end_date > t.transfer_at::date)
    left join int_households h on h.customer_id = t.customer_id
),

-- names of each household's members: a payment to one of them is family
household_names as (
    select distinct h.household_id, c.customer_name
    from int_households h
    join stg_customers c using (customer_id)
    where c.customer_name is not null
),

relative_accounts as (
    select distinct manager_id, account from stg_related_parties where account is not null
),

relative_names as (
    select distinct manager_id, party_name from stg_related_parties where party_name is not null
),

-- when each customer first paid each payee, over the whole history
first_payments as (
    select
        customer_id,
        counterparty_key(counterparty_account, counterparty_bank, counterparty_name) as paid_to,
        min(transfer_at) as first_paid
    from stg_transfers
    where direction = 'out'
    group by all
),

payee_months as (
    select distinct counterparty, month from owned
),

payee_managers as (
    select distinct counterparty, month, manager_id from owned
),

payee_customers as (
    select distinct counterparty, month, customer_id from owned
),

-- bank-wide reach of each payee around each month (distinct rows joined on the payee:
-- a list per payee-month unnested in the join cost half the feature build)
reach_managers as (
    select p.counterparty, p.month, count(distinct q.manager_id) as bank_managers
    from payee_months p
    join payee_managers q
      on q.counterparty = p.counterparty
     and q.month between p.month - to_months($shared_counterparty_months::integer - 1)
                     and p.month + to_months($shared_counterparty_months::integer - 1)
    group by all
),

reach_customers as (
    select p.counterparty, p.month, count(distinct q.customer_id) as bank_customers
    from payee_months p
    join payee_customers q
      on q.counterparty = p.counterparty
     and q.month between p.month - to_months($shared_counterparty_months::integer - 1)
                     and p.month + to_months($shared_counterparty_months::integer - 1)
    group by all
),

reach as (
    select * from reach_managers join reach_customers using (counterparty, month)
),

-- households of the same book paying the payee around each month
book_share as (
    select o.counterparty, o.manager_id, o.month,
           count(distinct x.household_id) as book_households,
           count(distinct x.customer_id) as book_customers
    from (select distinct counterparty, manager_id, month from owned) o
    join (select distinct counterparty, manager_id, month, household_id, customer_id from owned) x
      on x.counterparty = o.counterparty
     and x.manager_id = o.manager_id
     and x.month between o.month - to_months($shared_counterparty_months::integer - 1)
                     and o.month + to_months($shared_counterparty_months::integer - 1)
    group by all
),

flagged as (
    select
        o.*,
        age_on(c.birth_date, o.transfer_at::date) as age,
        coalesce(o.counterparty_name = c.customer_name, false) as own_account,
        hn.household_id is not null as to_household,
        ra.manager_id is not null or rn.manager_id is not null as to_relative,
        r.bank_managers,
        r.bank_customers,
        b.book_households,
        b.book_customers,
        f.first_paid = o.transfer_at as first_time
    from owned o
    left join stg_customers c on c.customer_id = o.customer_id
    left join first_payments f on f.customer_id = o.customer_id and f.paid_to = o.counterparty
    left join reach r using (counterparty, month)
    left join book_share b using (counterparty, manager_id, month)
    -- plain joins on small distinct sets (a correlated exists per transfer cost most of the model)
    left join household_names hn on hn.household_id = o.household_id and hn.customer_name = o.counterparty_name
    left join relative_accounts ra on ra.manager_id = o.manager_id and ra.account = o.counterparty_account
    left join relative_names rn on rn.manager_id = o.manager_id and rn.party_name = o.counterparty_name
),

final as (
    select
        *,
        own_account or to_household or bank_managers >= $popular_min_managers::integer as explained,
        to_relative
            or (not (own_account or to_household or bank_managers >= $popular_min_managers::integer)
                and book_households >= 2) as suspicious_payee,
        not (own_account or to_household or bank_managers >= $popular_min_managers::integer)
            and first_time and bank_customers <= $rare_payee_customers::integer as new_rare_payee
    from flagged
    where month >= $since::date
)

select * from final
