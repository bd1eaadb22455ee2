{{ config(materialized='table') }}
-- int_customer_numbers: one row per customer_id × phone number the customer has or had
-- (the number on file, and every number an edit set). Phone edits to a number another
-- customer holds defeat the bank's call-backs (feat_edits, the report's phone-edit evidence).
with customers as (
    select * from {{ source('warehouse', 'stg_customers') }}
),

edits as (
    select * from {{ source('warehouse', 'stg_field_changes') }} where field = 'phone'
),

final as (
    select customer_id, phone as number from customers where phone is not null
    union
    select customer_id, new_value from edits where new_value is not null
)

select * from final
