-- evidence_elderly_outflows: the outflows feat_outflows' elderly share adds up, for the reported
-- managers and the months of the evidence window: one row per outflow of int_outflows flagged
-- elderly (the customer's age that day), owed to the manager who owned the customer that day.
with managers as (
    select * from report_managers
),

outflows as (
    select o.*, c.customer_name
    from int_outflows o
    join stg_customers c using (customer_id)
    where o.elderly
      and o.month between $window_start::date and $window_end::date
      and o.manager_id in (select manager_id from managers)
),

final as (
    select
        manager_id,
        transfer_id,
        customer_id,
        customer_name,
        age,
        transfer_at::date as transfer_on,
        amount::double as amount,
        counterparty_bank,
        counterparty_name,
        counterparty_account
    from outflows
)

select * from final order by manager_id, transfer_on desc, transfer_id
