-- feat_edits: one row per manager_id × month with phone edits by that manager: all edits,
-- and edits to a number that is the manager's own, another staff member's, or another
-- customer's (current or set by another edit) — which defeats the bank's call-backs.
with edits as (
    select
        f.*,
        date_trunc('month', f.changed_at)::date as month
    from stg_field_changes f
    where f.field = 'phone' and f.changed_by <> 'system'
),

staff_numbers as (
    select distinct phone as number from stg_managers where phone is not null
),

customer_numbers as (
    select * from int_customer_numbers
),

flagged as (
    select
        e.changed_by as manager_id,
        e.month,
        e.new_value in (select number from staff_numbers)
            or exists (select 1 from customer_numbers n
                       where n.number = e.new_value and n.customer_id <> e.customer_id) as to_shared
    from edits e
),

final as (
    select
        manager_id,
        month,
        count(*) as phone_edits_by_manager,
        count(*) filter (where to_shared) as phone_edits_to_shared_number
    from flagged
    group by all
)

select * from final
