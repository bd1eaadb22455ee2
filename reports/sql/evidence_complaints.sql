-- evidence_complaints: one row per complaint naming a reported manager in the evidence window.
with managers as (
    select * from report_managers
),

final as (
    select
        k.manager_id,
        k.complaint_id,
        k.customer_id,
        c.customer_name,
        k.received_at::date as received_on,
        k.category,
        k.text
    from stg_complaints k
    left join stg_customers c using (customer_id)
    where k.manager_id in (select manager_id from managers)
      and k.received_at::date between $window_start::date and $window_end::date
)

select * from final order by manager_id, received_on desc, complaint_id
