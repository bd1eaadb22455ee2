{{ config(materialized='table') }}
-- int_phone_edits: one row per customer phone edit made by a manager (not by the system),
-- with whose number the new value is. Suspicious (it defeats the bank's call-backs): the
-- manager's own number, another staff member's, a relative the manager declared
-- (related_parties), or a number held by customers of another household. A number held
-- only within the customer's own household (spouses and parents share a phone) is not.
-- feat_edits counts these rows and the report's phone-edit evidence shows them.
with edits as (
    select
        f.changed_by as manager_id,
        date_trunc('month', f.changed_at)::date as month,
        f.customer_id,
        f.changed_at,
        f.old_value,
        f.new_value
    from {{ source('warehouse', 'stg_field_changes') }} f
    where f.field = 'phone' and f.changed_by <> 'system' and f.new_value is not null
),

households as (
    select * from {{ ref('int_households') }}
),

customer_numbers as (
    select * from {{ ref('int_customer_numbers') }}
),

-- which households (other than the edited customer's) hold the new number
holders as (
    select
        e.manager_id, e.customer_id, e.changed_at, e.new_value,
        count(distinct n.customer_id) as holders,
        count(distinct hn.household_id) filter (where hn.household_id is distinct from he.household_id)
            as other_households
    from edits e
    join customer_numbers n on n.number = e.new_value and n.customer_id <> e.customer_id
    left join households he on he.customer_id = e.customer_id
    left join households hn on hn.customer_id = n.customer_id
    group by all
),

flagged as (
    select
        e.*,
        e.new_value = own.phone as to_own,
        e.new_value in (select phone from {{ source('warehouse', 'stg_managers') }} where phone is not null)
            and e.new_value is distinct from own.phone as to_staff,
        e.new_value in (select phone from {{ source('warehouse', 'stg_related_parties') }} r
                        where r.manager_id = e.manager_id and r.phone is not null) as to_relative,
        coalesce(h.holders, 0) as holders,
        coalesce(h.other_households, 0) as other_households
    from edits e
    left join {{ source('warehouse', 'stg_managers') }} own on own.manager_id = e.manager_id
    left join holders h
      on h.manager_id = e.manager_id and h.customer_id = e.customer_id
     and h.changed_at = e.changed_at and h.new_value = e.new_value
),

final as (
    select
        *,
        case
            when to_own then 'own'
            when to_relative then 'relative'
            when to_staff then 'staff'
            when other_households > 0 then 'customer'
            when holders > 0 then 'household'
        end as shared_with,
        to_own or to_relative or to_staff or other_households > 0 as suspicious
    from flagged
)

select * from final
