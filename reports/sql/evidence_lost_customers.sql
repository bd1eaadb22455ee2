-- evidence_lost_customers: one row per customer lost from a reported manager's book in the
-- evidence window ($window_start..$window_end): their age then, how and when, the balance before, the last
-- logged contact before the loss, and where most of the money went.
with managers as (
    select * from report_managers
),

losses as (
    select * from int_customer_losses
    where lost_on between $window_start::date and $window_end::date
),

owned as (
    -- the manager who owned the customer on the day it was lost
    select a.manager_id, l.*
    from losses l
    join stg_assignments a
      on a.customer_id = l.customer_id
     and a.start_date <= l.lost_on
     and (a.end_date is null or a.end_date >= l.lost_on)
    where a.manager_id in (select manager_id from managers)
),

last_contact as (
    select o.customer_id, max(k.contact_at) as last_contact_at
    from owned o
    join stg_contacts k on k.customer_id = o.customer_id and k.contact_at::date <= o.lost_on
    group by all
),

main_outflow as (
    select
        o.customer_id,
        arg_max(t.counterparty_bank, (t.amount, t.transfer_at, t.transfer_id)) as counterparty_bank,
        arg_max(t.counterparty_name, (t.amount, t.transfer_at, t.transfer_id)) as counterparty_name,
        arg_max(t.counterparty_account, (t.amount, t.transfer_at, t.transfer_id)) as counterparty_account,
        sum(t.amount) as moved_out
    from owned o
    join stg_transfers t
      on t.customer_id = o.customer_id and t.direction = 'out'
     and t.transfer_at::date between o.lost_on - 31 and o.lost_on + 31
    group by all
),

final as (
    select
        o.manager_id,
        o.customer_id,
        c.customer_name,
        age_on(c.birth_date, o.lost_on) as age,
        o.lost_on,
        o.how,
        o.prev_aum::double as balance_before,
        lc.last_contact_at::date as last_contact,
        date_diff('day', lc.last_contact_at::date, o.lost_on) as days_since_contact,
        mo.counterparty_bank,
        mo.counterparty_name,
        mo.counterparty_account,
        mo.moved_out::double as moved_out
    from owned o
    left join stg_customers c using (customer_id)
    left join last_contact lc using (customer_id)
    left join main_outflow mo using (customer_id)
)

select * from final order by manager_id, lost_on desc, customer_id
