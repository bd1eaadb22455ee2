-- int_outflows: one row per outgoing transfer, with the manager who owned the customer that
-- day and where the money went. Explained (not diversion): the customer's own account
-- elsewhere (the counterparty bears the customer's name), a member of the customer's
-- household (by name), or a popular payee (insurers, brokerages, developers, hospitals: paid
-- by customers of $popular_min_managers or more managers). Pointing at diversion
-- (suspicious_payee): an account or name the manager declared as a relative's
-- (related_parties), or a payee that customers of two or more households in the same book
-- pay (one family paying its family account is one household). Counted over the transfer's
-- month and $shared_counterparty_months - 1 months either side. elderly: the customer was
-- $elderly_age or more that day. feat_outflows, int_counterparty_months, int_customer_chains and
-- the outflow evidence read these rows.
-- The months from $since on (the month-incremental pre-hook keeps the earlier ones).
with transfers as (
    select *
    from {{ source('warehouse', 'stg_transfers') }}
    where direction = 'out'
      and transfer_at >= {{ p('since') }}::date - {{ months_interval(p('shared_counterparty_months') ~ '::integer - 1') }}
),

owned as (
    select
        t.transfer_id, t.customer_id, s.manager_id, t.transfer_at, t.amount,
        date_trunc('month', t.transfer_at)::date as month,
        t.counterparty_name, t.counterparty_account, t.counterparty_bank,
        {{ counterparty_key('t.counterparty_account', 't.counterparty_bank', 't.counterparty_name') }} as counterparty,
        h.household_id
    from transfers t
    join {{ source('warehouse', 'stg_assignments') }} s
      on s.customer_id = t.customer_id
     and s.start_date <= t.transfer_at::date
     and (s.end_date is null or s.end_date > t.transfer_at::date)
    left join {{ ref('int_households') }} h on h.customer_id = t.customer_id
),

-- names of each household's members: a payment to one of them is family
household_names as (
    select distinct h.household_id, c.customer_name
    from {{ ref('int_households') }} h
    join {{ source('warehouse', 'stg_customers') }} c using (customer_id)
    where c.customer_name is not null
),

relative_accounts as (
    select distinct manager_id, account from {{ source('warehouse', 'stg_related_parties') }} where account is not null
),

relative_names as (
    select distinct manager_id, party_name from {{ source('warehouse', 'stg_related_parties') }} where party_name is not null
),

payee_months as (
    select distinct counterparty, month from owned
),

payee_managers as (
    select distinct counterparty, month, manager_id from owned
),

-- bank-wide reach of each payee around each month (distinct rows joined on the payee:
-- a list per payee-month unnested in the join cost half the feature build)
reach as (
    select p.counterparty, p.month, count(distinct q.manager_id) as bank_managers
    from payee_months p
    join payee_managers q
      on q.counterparty = p.counterparty
     and q.month between p.month - {{ months_interval(p('shared_counterparty_months') ~ '::integer - 1') }}
                     and p.month + {{ months_interval(p('shared_counterparty_months') ~ '::integer - 1') }}
    group by all
),

-- households of the same book paying the payee around each month
book_share as (
    select o.counterparty, o.manager_id, o.month,
           count(distinct x.household_id) as book_households
    from (select distinct counterparty, manager_id, month from owned) o
    join (select distinct counterparty, manager_id, month, household_id from owned) x
      on x.counterparty = o.counterparty
     and x.manager_id = o.manager_id
     and x.month between o.month - {{ months_interval(p('shared_counterparty_months') ~ '::integer - 1') }}
                     and o.month + {{ months_interval(p('shared_counterparty_months') ~ '::integer - 1') }}
    group by all
),

flagged as (
    select
        o.*,
        {{ age_on('c.birth_date', 'o.transfer_at::date') }} as age,
        {{ age_on('c.birth_date', 'o.transfer_at::date') }} >= {{ p('elderly_age') }}::integer as elderly,
        coalesce(o.counterparty_name = c.customer_name, false) as own_account,
        hn.household_id is not null as to_household,
        ra.manager_id is not null or rn.manager_id is not null as to_relative,
        r.bank_managers,
        b.book_households
    from owned o
    left join {{ source('warehouse', 'stg_customers') }} c on c.customer_id = o.customer_id
    -- on, not using: Spark puts using-columns first in o.*
    left join reach r on r.counterparty = o.counterparty and r.month = o.month
    left join book_share b on b.counterparty = o.counterparty and b.manager_id = o.manager_id and b.month = o.month
    -- plain joins on small distinct sets, not a correlated exists per transfer
    left join household_names hn on hn.household_id = o.household_id and hn.customer_name = o.counterparty_name
    left join relative_accounts ra on ra.manager_id = o.manager_id and ra.account = o.counterparty_account
    left join relative_names rn on rn.manager_id = o.manager_id and rn.party_name = o.counterparty_name
),

explained as (
    select *, own_account or to_household or bank_managers >= {{ p('popular_min_managers') }}::integer as explained
    from flagged
    where month >= {{ p('since') }}::date
),

final as (
    select *, to_relative or (not explained and book_households >= 2) as suspicious_payee
    from explained
)

select * from final
