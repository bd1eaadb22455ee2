-- evidence_elderly_outflows: one row per outflow in the evidence window from a customer aged
-- $elderly_age or more who was in a reported manager's book on the day the money left
-- (int_outflows, the rows feat_outflows' elderly share adds up).
with managers as (
    select * from report_managers
),

outflows as (
    select o.*, c.customer_name
    from int_outflows o
    join stg_customers c using (customer_id)
    where o.transfer_at::date between $window_start::date and $window_end::date
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
    where age >= $elderly_age::integer
)

select * from final order by manager_id, transfer_on desc, transfer_id
