-- evidence_phone_edits: one row per customer phone edit made by a reported manager in the
-- evidence window, with whose number the new value is (the manager's own, another staff
-- member's, another customer's).
with managers as (
    select * from report_managers
),

edits as (
    select f.*
    from stg_field_changes f
    where f.field = 'phone'
      and f.changed_at::date between $window_start::date and $window_end::date
      and f.changed_by in (select manager_id from managers)
),

customer_numbers as (
    select * from int_customer_numbers
),

final as (
    select
        e.changed_by as manager_id,
        e.customer_id,
        c.customer_name,
        e.changed_at,
        e.old_value,
        e.new_value,
        case
            when e.new_value = own.phone then 'own'
            when exists (select 1 from stg_managers s where s.phone = e.new_value) then 'staff'
            when exists (select 1 from customer_numbers n
                         where n.number = e.new_value and n.customer_id <> e.customer_id) then 'customer'
        end as shared_with
    from edits e
    left join stg_customers c on c.customer_id = e.customer_id
    left join stg_managers own on own.manager_id = e.changed_by
)

select * from final order by manager_id, changed_at desc, customer_id
