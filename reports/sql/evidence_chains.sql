-- evidence_chains: one row per customer × money event of a reported manager in the evidence
-- window whose trail has at least 3 of its 4 links, or whose money went to a relative the
-- manager declared (int_customer_chains, the rows the chain features count: relative payees
-- count with any number of links): the customer's trail as one row with its dates.
with managers as (
    select * from report_managers
),

chains as (
    select *
    from int_customer_chains
    where (links >= 3 or to_relative)
      and event_on between $window_start::date and $window_end::date
      and manager_id in (select manager_id from managers)
),

payees as (
    select distinct on (counterparty) counterparty, counterparty_name, counterparty_bank, counterparty_account
    from int_outflows
    where counterparty in (select counterparty from chains)
    order by counterparty, transfer_at desc, transfer_id desc
),

last_contacts as (
    select c.customer_id, c.event_on, max(k.contact_at)::date as last_contact
    from chains c
    join stg_contacts k on k.customer_id = c.customer_id and k.contact_at::date <= c.event_on
    group by all
),

final as (
    select
        c.manager_id,
        c.customer_id,
        cu.customer_name,
        l.last_contact,
        case when c.silent then 'silent' when c.offhours then 'offhours'
             when c.late_logged then 'late_logged' end as off_system,
        c.event,
        c.event_on,
        c.amount,
        p.counterparty_bank,
        p.counterparty_name,
        p.counterparty_account,
        c.to_relative,
        c.lost_on,
        c.links
    from chains c
    left join stg_customers cu using (customer_id)
    left join payees p using (counterparty)
    left join last_contacts l using (customer_id, event_on)
)

select * from final order by manager_id, links desc, event_on desc, customer_id
