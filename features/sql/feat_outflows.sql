-- feat_outflows: one row per manager_id × month with outflows or maturities: counterparty
-- concentration (family 2: int_counterparty_months), maturity leakage (3: int_matured_deals),
-- the elderly share of outflows (int_outflows) and the elderly customers' leaked maturities (8).
-- An outflow belongs to the manager who owned the customer on the day it left.
-- The months from $since on (the month-incremental pre-hook keeps the earlier ones).
with outflows as (
    select * from {{ ref('int_outflows') }} where month >= {{ p('since') }}::date
),

payees as (
    select * from {{ ref('int_counterparty_months') }} where month >= {{ p('since') }}::date
),

shared_stats as (
    select
        manager_id,
        month,
        max(households) as shared_counterparty_customers,
        coalesce(max(households) filter (where exclusive), 0) as exclusive_counterparty_customers
    from payees
    group by all
),

elderly_stats as (
    select
        manager_id,
        month,
        {{ ratio('sum(amount) filter (where elderly)', 'nullif(sum(amount), 0)') }} as elderly_outflow_share,
        count(*) as outflows
    from outflows
    group by all
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
        count(*) filter (where leaked and elderly) as elderly_leaked_deals
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
