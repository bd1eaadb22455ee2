-- int_customer_chains: one row per customer × money event: the diversion trail on one
-- customer, link by link (DESIGN.md family 10). Real diversion is mostly this, done
-- quietly to a few customers at a time; no link proves anything alone, and every link has
-- innocent look-alikes, so a feature counts customers whose links line up.
--   money event: a leaked maturity (int_matured_deals), or an outflow of at least
--     $chain_outflow_share of the customer's previous month-end assets (and at least
--     $churn_min_balance) that is not explained (int_outflows: own account, household,
--     popular payee);
--   off_system: in the $dark_days days before it, no logged contact at all (silence), or a
--     contact off hours, or one logged late (int_contact_events: off_hours, late_logged);
--   destination: money of the customer went, within $maturity_window_days days of the event,
--     to a suspicious payee (int_outflows: a declared relative's, or one that customers of
--     two or more households in the book pay). A payee merely new to the customer and rare
--     in the bank is no link: most private payees are (measured on the tuning banks: with
--     it, a third of innocent senior books had a 3-link chain);
--   lost: the customer was lost (int_customer_losses) from 30 days before the event to
--     $reassign_loss_days days after it.
-- links = 1 + the three flags: 4 is a complete chain, 3 a chain with one link missing
-- (is_chain: at least 3). Off hours and late logging are int_contact_events' flags.
-- feat_chains aggregates these rows and the report's chain evidence filters them.
-- The months from $since on (the month-incremental pre-hook keeps the earlier ones).
with outflows as (
    select * from {{ ref('int_outflows') }}
),

balances as (
    select customer_id, month, aum from {{ source('warehouse', 'stg_balances') }}
),

matured as (
    select
        customer_id, manager_id, maturity_date as event_on, 'maturity' as event,
        moved_out - reinvested as amount
    from {{ ref('int_matured_deals') }}
    where leaked and month >= {{ p('since') }}::date
),

large_outflows as (
    select
        o.customer_id, o.manager_id, o.transfer_at::date as event_on, 'outflow' as event, o.amount
    from outflows o
    left join balances b on b.customer_id = o.customer_id and b.month = o.month - interval 1 month
    where not o.explained
      and o.amount >= {{ p('churn_min_balance') }}
      and o.amount >= {{ p('chain_outflow_share') }} * b.aum  -- no month-end balance: no measure, no event
),

-- one money event per customer and day (a maturity and its outflow are one event)
events as (
    select customer_id, event_on,
           max_by(manager_id, amount) as manager_id,
           min(event) as event,  -- 'maturity' before 'outflow'
           max(amount) as amount
    from (select * from matured union all select * from large_outflows) as money_events
    group by all
),

contacts as (
    select * from {{ ref('int_contact_events') }}
),

contact_signs as (
    select
        e.customer_id, e.event_on,
        count(k.contact_id) as contacts,
        count(k.contact_id) filter (where k.off_hours) as offhours_contacts,
        count(k.contact_id) filter (where k.late_logged) as late_logged
    from events e
    left join contacts k
      on k.customer_id = e.customer_id
     and k.contact_at::date between e.event_on - {{ p('dark_days') }}::integer and e.event_on
    group by all
),

-- the last logged contact up to the event (the evidence shows how long the silence was)
last_contacts as (
    select e.customer_id, e.event_on, max(k.contact_at)::date as last_contact
    from events e
    join contacts k on k.customer_id = e.customer_id and k.contact_at::date <= e.event_on
    group by all
),

destinations as (
    select
        e.customer_id, e.event_on,
        bool_or(o.to_relative) as to_relative,
        max_by(o.counterparty, o.amount) as counterparty
    from events e
    join outflows o
      on o.customer_id = e.customer_id
     and o.transfer_at::date between e.event_on and e.event_on + {{ p('maturity_window_days') }}::integer
    where o.suspicious_payee
    group by all
),

losses as (
    select e.customer_id, e.event_on, l.lost_on
    from events e
    join {{ ref('int_customer_losses') }} l
      on l.customer_id = e.customer_id
     and l.lost_on between e.event_on - 30 and e.event_on + {{ p('reassign_loss_days') }}::integer
),

linked as (
    select
        e.manager_id,
        date_trunc('month', e.event_on)::date as month,
        e.customer_id,
        e.event_on,
        e.event,
        e.amount,
        s.contacts = 0 as silent,
        s.offhours_contacts > 0 as offhours,
        s.late_logged > 0 as late_logged,
        s.contacts = 0 or s.offhours_contacts > 0 or s.late_logged > 0 as off_system,
        d.customer_id is not null as destination,
        coalesce(d.to_relative, false) as to_relative,
        d.counterparty,
        l.lost_on,
        lc.last_contact
    from events e
    join contact_signs s using (customer_id, event_on)
    left join last_contacts lc using (customer_id, event_on)
    left join destinations d using (customer_id, event_on)
    left join losses l using (customer_id, event_on)
),

counted as (
    select *, 1 + off_system::integer + destination::integer + (lost_on is not null)::integer as links
    from linked
    where month >= {{ p('since') }}::date
),

final as (
    -- a chain: at least 3 of the 4 links (what the chain features count and the report shows)
    select *, links >= 3 as is_chain
    from counted
)

select * from final
