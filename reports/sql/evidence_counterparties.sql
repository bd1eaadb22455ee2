-- evidence_counterparties: the counterparties behind the concentration features, for the
-- reported managers and the months of the evidence window: one row per manager × outside
-- counterparty that two or more households of the book paid within one feature window
-- (int_counterparty_months.shared), taken at the month it had the most of them (the latest
-- such month on ties) — the households and exclusive flag the features count, with the
-- customers, payments and dates of that window and how many customers bank-wide paid it.
with managers as (
    select * from report_managers
),

shared as (
    select *
    from int_counterparty_months
    where shared
      and month between $window_start::date and $window_end::date
      and manager_id in (select manager_id from managers)
),

final as (
    select
        manager_id,
        counterparty_bank,
        counterparty_name,
        counterparty_account,
        month,
        households,
        exclusive,
        customers,
        bank_customers,
        customer_ids,
        transfers,
        amount::double as amount,
        first_transfer,
        last_transfer
    from shared
    qualify row_number() over (partition by manager_id, counterparty order by households desc, month desc) = 1
)

select * from final
order by manager_id, households desc, amount desc, counterparty_account, counterparty_name, counterparty_bank
