-- feat_outflows: one row per manager_id × month with outflows or maturities: counterparty
-- concentration (family 2), maturity leakage (3), the elderly share of outflows and the
-- elderly customers' leaked maturities (8).
-- An outflow belongs to the manager who owned the customer on the day it left.
-- The months from $since on (features/build.py keeps the earlier ones).
with months as (
    select * from {{ ref('int_months') }} where month >= {{ p('since') }}::date
),

outflows as (
    select *
    from {{ ref('int_outflows') }}
    -- the first month's shared-counterparty window starts this many months before it
    where transfer_at >= {{ p('since') }}::date - {{ months_interval(p('shared_counterparty_months') ~ '::integer - 1') }}
),

-- households per counterparty over the month and the ($shared_counterparty_months - 1) before:
-- a family paying its family account is one household, and money to the customer's own
-- account elsewhere goes to nobody else (int_outflows)
shared as (
    select mo.month, o.manager_id, o.counterparty, count(distinct o.household_id) as customers
    from months mo
    join outflows o
      on o.month > mo.month - {{ months_interval(p('shared_counterparty_months') ~ '::integer') }}
     and o.month <= mo.month
    where not o.own_account
    group by all
),

-- every paying customer of a counterparty bank-wide over the same window: a counterparty paid
-- mostly by one manager's customers (a shell company, a private account) is what diversion
-- looks like; a popular one paid from all over the bank is not
counterparty_reach as (
    select mo.month, o.counterparty, count(distinct o.customer_id) as all_customers
    from months mo
    join outflows o
      on o.month > mo.month - {{ months_interval(p('shared_counterparty_months') ~ '::integer') }}
     and o.month <= mo.month
    group by all
),

shared_stats as (
    select
        s.manager_id,
        s.month,
        max(s.customers) as shared_counterparty_customers,
        coalesce(max(s.customers) filter (where s.customers >= 2 and s.customers >= 0.5 * r.all_customers), 0)
            as exclusive_counterparty_customers
    from shared s
    join counterparty_reach r using (month, counterparty)
    group by all
),

elderly_stats as (
    select manager_id, month, {{ ratio('elderly_amount', 'nullif(amount, 0)') }} as elderly_outflow_share, outflows
    from (
        select
            manager_id,
            month,
            sum(amount) filter (where age >= {{ p('elderly_age') }}::integer) as elderly_amount,
            sum(amount) as amount,
            count(*) as outflows
        from outflows
        group by all
    ) as sums
),

matured as (
    select * from {{ ref('int_matured_deals') }} where month >= {{ p('since') }}::date
),

leakage as (
    select
        manager_id,
        month,
        count(*) as matured_deals,
        count(*) filter (where leaked) as leaked_deals,
        count(*) filter (where leaked and age >= {{ p('elderly_age') }}::integer) as elderly_leaked_deals
    from matured
    group by all
),

keys as (
    select manager_id, month from shared_stats
    union select manager_id, month from elderly_stats
    union select manager_id, month from leakage
),

final as (
    select
        k.manager_id,
        k.month,
        coalesce(s.shared_counterparty_customers, 0) as shared_counterparty_customers,
        coalesce(s.exclusive_counterparty_customers, 0) as exclusive_counterparty_customers,
        coalesce(l.matured_deals, 0) as matured_deals,
        coalesce(l.leaked_deals, 0) as leaked_deals,
        coalesce(l.elderly_leaked_deals, 0) as elderly_leaked_deals,
        l.leaked_deals / nullif(l.matured_deals, 0) as maturity_leakage_rate,
        e.elderly_outflow_share,
        coalesce(e.outflows, 0) as outflows
    from keys k
    left join shared_stats s using (manager_id, month)
    left join leakage l using (manager_id, month)
    left join elderly_stats e using (manager_id, month)
    where k.month >= {{ p('since') }}::date
)

select * from final
