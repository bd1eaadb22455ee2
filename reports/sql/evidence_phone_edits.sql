-- evidence_phone_edits: one row per customer phone edit made by a reported manager in the
-- evidence window (int_phone_edits, the rows feat_edits counts), with whose number the new
-- value is: the manager's own, a declared relative's, another staff member's, another
-- household's customer's, or only the customer's own household's (not suspicious).
with managers as (
    select * from report_managers
),

edits as (
    select *
    from int_phone_edits
    where changed_at::date between $window_start::date and $window_end::date
      and manager_id in (select manager_id from managers)
),

final as (
    select
        e.manager_id,
        e.customer_id,
        c.customer_name,
        e.changed_at,
        e.old_value,
        e.new_value,
        e.shared_with,
        e.suspicious
    from edits e
    left join stg_customers c on c.customer_id = e.customer_id
)

select * from final order by manager_id, changed_at desc, customer_id
