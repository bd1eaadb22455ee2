{{ config(materialized='table') }}
-- int_reassignments: one row per assignment spell that ended in a reassignment away from the
-- manager: the customer stayed with the bank (not lost on or before the day the spell ended)
-- and another manager took the customer over within 7 days of that day (new_manager: the
-- takeover nearest to it). Watched for $reassign_loss_days days: the move counts in
-- reassign_loss_rate's denominator in every month whose last day falls in those days
-- (watch_from_month..watch_to_month), and the customer's loss counts in its numerator in the
-- month of the loss (loss_month) when the loss came within $reassign_loss_days days of the move
-- and in a watched month. feat_attrition aggregates these rows and the report's
-- reassigned-lost evidence shows those with a loss_month: one definition of a move and of a
-- loss after it. Rebuilt whole (features/build.py): a move's row changes with later losses.
with spells as (
    select * from {{ source('warehouse', 'stg_assignments') }}
),

losses as (
    select * from {{ ref('int_customer_losses') }}
),

ended as (
    select s.manager_id, s.customer_id, s.start_date, s.end_date as moved_on, s.reason as move_reason
    from spells s
    left join losses l using (customer_id)
    where s.end_date is not null
      and (l.lost_on is null or l.lost_on > s.end_date)
),

-- the manager who took over: a spell of another manager starting within 7 days of the move
taken_over as (
    select
        e.manager_id, e.customer_id, e.start_date,
        min_by(n.manager_id, {{ sort_key('abs(' ~ days_between('e.moved_on', 'n.start_date') ~ ')', 'n.start_date', 'n.manager_id') }})
            as new_manager
    from ended e
    join spells n
      on n.customer_id = e.customer_id
     and n.manager_id <> e.manager_id
     and n.start_date between e.moved_on - 7 and e.moved_on + 7
    group by all
),

watched as (
    select
        e.*,
        t.new_manager,
        date_trunc('month', e.moved_on)::date as watch_from_month,
        -- the last month whose last day comes before moved_on + $reassign_loss_days
        (date_trunc('month', e.moved_on + {{ p('reassign_loss_days') }}::integer) - interval 1 month)::date
            as watch_to_month,
        l.lost_on,
        l.how,
        l.prev_aum
    from ended e
    join taken_over t using (manager_id, customer_id, start_date)
    left join losses l using (customer_id)
),

final as (
    select
        manager_id,
        date_trunc('month', moved_on)::date as month,
        customer_id,
        moved_on,
        move_reason,
        new_manager,
        watch_from_month,
        watch_to_month,
        lost_on,
        how,
        prev_aum,
        case when lost_on <= moved_on + {{ p('reassign_loss_days') }}::integer
                  and date_trunc('month', lost_on) <= watch_to_month
             then date_trunc('month', lost_on)::date end as loss_month
    from watched
)

select * from final
