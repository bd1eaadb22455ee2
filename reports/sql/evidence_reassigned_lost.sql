-- evidence_reassigned_lost: the losses reassign_loss_rate counts, for the reported managers and
-- the months of the evidence window: one row per reassignment away from the manager
-- (int_reassignments) whose customer was lost in a month the move counts in (loss_month).
with managers as (
    select * from report_managers
),

lost_after_move as (
    select *
    from int_reassignments
    where loss_month between $window_start::date and $window_end::date
      and manager_id in (select manager_id from managers)
),

final as (
    select
        r.manager_id,
        r.customer_id,
        c.customer_name,
        r.moved_on,
        r.move_reason,
        r.new_manager,
        r.lost_on,
        r.loss_month,
        r.how,
        r.prev_aum::double as balance_before
    from lost_after_move r
    left join stg_customers c using (customer_id)
)

select * from final order by manager_id, lost_on desc, customer_id, moved_on desc, new_manager
