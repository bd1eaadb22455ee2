-- feat_chains: one row per manager_id × month with evidence chains (int_customer_chains):
-- customers with a chain (is_chain: at least 3 of its 4 links — contact off the system, money
-- out, to a suspicious payee, customer lost), in the month and over the month and the two
-- before; those with all 4; the money that left in chains; and customers who paid a relative
-- the manager declared. A customer counts once per window, with the best chain.
-- The months from $since on (the month-incremental pre-hook keeps the earlier ones).
with months as (
    select * from {{ ref('int_months') }} where month >= {{ p('since') }}::date
),

chains as (
    select * from {{ ref('int_customer_chains') }}
    where month >= {{ p('since') }}::date - interval 2 month
),

windowed as (
    select m.month, c.manager_id, c.customer_id, c.month as event_month, c.links, c.is_chain, c.amount,
           c.to_relative
    from months m
    join chains c on c.month between m.month - interval 2 month and m.month
),

per_customer as (
    select
        manager_id, month, customer_id,
        coalesce(bool_or(is_chain) filter (where event_month = month), false) as chain_1m,
        bool_or(is_chain) as chain_3m,
        max(links) = 4 as complete_3m,
        sum(amount) filter (where is_chain) as chain_amount,
        bool_or(to_relative) as to_relative
    from windowed
    group by all
),

final as (
    select
        manager_id,
        month,
        count(*) filter (where chain_1m) as chain_customers,
        count(*) filter (where chain_3m) as chain_customers_3m,
        count(*) filter (where complete_3m) as complete_chain_customers_3m,
        coalesce(sum(chain_amount), 0) as chain_amount_3m,
        count(*) filter (where to_relative) as relative_payee_customers_3m
    from per_customer
    group by all
)

select * from final
