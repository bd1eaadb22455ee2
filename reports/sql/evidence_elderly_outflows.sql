-- evidence_elderly_outflows: one row per outflow in the evidence window from a customer aged
-- $elderly_age or more who was in a reported manager's book on the day the money left.
with managers as (
    select * from report_managers
),

outflows as (
    select
        a.manager_id,
        t.*,
        age_on(c.birth_date, t.transfer_at::date) as age,
        c.customer_name
    from stg_transfers t
    join stg_assignments a
      on a.customer_id = t.customer_id
     and a.start_date <= t.transfer_at::date
     and (a.end_date is null or a.end_date > t.transfer_at::date)
    join stg_customers c on c.customer_id = t.customer_id
    where t.direction = 'out'
      and t.transfer_at::date between $window_start::date and $window_end::date
      and a.manager_id in (select manager_id from managers)
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
