-- evidence_reassigned_lost: one row per customer reassigned away from a reported manager and
-- lost within $reassign_loss_days days of the move, with the loss in the evidence window.
with managers as (
    select * from report_managers
),

moved_away as (
    select a.manager_id, a.customer_id, a.end_date as moved_on, a.reason
    from stg_assignments a
    where a.end_date is not null
      and a.manager_id in (select manager_id from managers)
),

final as (
    select
        m.manager_id,
        m.customer_id,
        c.customer_name,
        m.moved_on,
        m.reason as move_reason,
        nxt.manager_id as new_manager,
        l.lost_on,
        l.how,
        l.prev_aum::double as balance_before
    from moved_away m
    join int_customer_losses l
      on l.customer_id = m.customer_id
     and l.lost_on > m.moved_on and l.lost_on <= m.moved_on + $reassign_loss_days::integer
     and l.lost_on between $window_start::date and $window_end::date
    left join stg_assignments nxt
      on nxt.customer_id = m.customer_id and nxt.start_date = m.moved_on
     and nxt.manager_id <> m.manager_id
    left join stg_customers c on c.customer_id = m.customer_id
)

select * from final order by manager_id, lost_on desc, customer_id, moved_on desc, new_manager
