-- evidence_lost_customers: the losses feat_attrition counts, for the reported managers and the
-- months of the evidence window: one row per customer lost from a manager's book
-- (int_book_month.lost: in the book at the start of the month of the loss), with
-- int_customer_losses' details — age then, how and when, the balance before, the last logged
-- contact before the loss (went_dark: none in the days the dark feature looks at), and where
-- most of the money went.
with managers as (
    select * from report_managers
),

lost as (
    select *
    from int_book_month
    where lost
      and month between $window_start::date and $window_end::date
      and manager_id in (select manager_id from managers)
),

final as (
    select
        b.manager_id,
        b.customer_id,
        c.customer_name,
        l.age,
        l.lost_on,
        l.how,
        b.start_aum::double as balance_before,  -- what the lost-AUM shares add up
        l.last_contact_at::date as last_contact,
        date_diff('day', l.last_contact_at::date, l.lost_on) as days_since_contact,
        l.went_dark,
        l.elderly,
        l.counterparty_bank,
        l.counterparty_name,
        l.counterparty_account,
        l.moved_out::double as moved_out
    from lost b
    join int_customer_losses l using (customer_id)
    left join stg_customers c using (customer_id)
)

select * from final order by manager_id, lost_on desc, customer_id
