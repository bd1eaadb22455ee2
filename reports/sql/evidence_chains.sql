-- evidence_chains: the rows of int_customer_chains the chain features count, for the reported
-- managers and the months of the evidence window: one row per customer × money event that is
-- a chain (is_chain) or whose money went to a relative the manager declared (to_relative:
-- counted with any number of links): the customer's trail as one row with its dates.
with managers as (
    select * from report_managers
),

chains as (
    select *
    from int_customer_chains
    where (is_chain or to_relative)
      and month between $window_start::date and $window_end::date
      and manager_id in (select manager_id from managers)
),

-- the payee's name and account as last paid (display only: the chain row has its key)
payees as (
    select distinct on (counterparty) counterparty, counterparty_name, counterparty_bank, counterparty_account
    from int_outflows
    where counterparty in (select counterparty from chains)
    order by counterparty, transfer_at desc, transfer_id desc
),

final as (
    select
        c.manager_id,
        c.customer_id,
        cu.customer_name,
        c.last_contact,
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
)

select * from final order by manager_id, links desc, event_on desc, customer_id
