{{ config(materialized='table') }}
-- feat_edits: one row per manager_id × month with phone edits by that manager: all edits,
-- and the suspicious ones (int_phone_edits: to the manager's own number, a declared
-- relative's, another staff member's, or one held by another household's customers — a
-- household member's number is not), which defeat the bank's call-backs.
with edits as (
    select * from {{ ref('int_phone_edits') }}
),

final as (
    select
        manager_id,
        month,
        count(*) as phone_edits_by_manager,
        count(*) filter (where suspicious) as phone_edits_to_shared_number
    from edits
    group by all
)

select * from final
