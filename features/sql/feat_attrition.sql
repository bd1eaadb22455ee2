-- feat_attrition: one row per manager_id × month (employed months): book size and the
-- attrition features of families 1, 4 (going dark), 7 (exit, reassignment) and the elderly
-- customers among the lost (8). Counts the rows of int_book_month (lost: losses from the book,
-- with int_customer_losses' flags) and int_reassignments (moves watched, losses after them).
-- The months from $since on (the month-incremental pre-hook keeps the earlier ones).
with manager_months as (
    select * from {{ ref('int_manager_month') }} where month >= {{ p('since') }}::date
),

book as (
    select * from {{ ref('int_book_month') }} where month >= {{ p('since') }}::date
),

losses as (
    select * from {{ ref('int_customer_losses') }}
),

reassignments as (
    select * from {{ ref('int_reassignments') }}
),

book_stats as (
    select
        manager_id,
        month,
        count(*) as book_size,
        sum(start_aum) as book_aum
    from book
    group by all
),

-- losses from the book: elderly customers, and customers who went dark before they left
loss_stats as (
    select
        b.manager_id,
        b.month,
        count(*) as lost_customers,
        count(*) filter (where l.elderly) as elderly_lost,
        count(*) filter (where l.went_dark) as dark_lost,
        sum(b.start_aum) as lost_aum
    from book b
    join losses l using (customer_id)
    where b.lost
    group by all
),

-- customers reassigned away in the months the move is watched, and those lost after it
reassign_stats as (
    select
        mm.manager_id,
        mm.month,
        count(*) as moved_recently,
        count(*) filter (where r.loss_month = mm.month) as lost_after_move
    from manager_months mm
    join reassignments r
      on r.manager_id = mm.manager_id
     and mm.month between r.watch_from_month and r.watch_to_month
    group by all
),

-- churn in the window before an exit: the book held at the window's start, lost before the exit
exit_windows as (
    select manager_id, exit_date, exit_date - {{ p('exit_window_days') }}::integer as window_start
    from {{ source('warehouse', 'stg_managers') }}
    where exit_date is not null
),

exit_stats as (
    select
        e.manager_id,
        count(distinct s.customer_id) as exit_book,
        count(distinct s.customer_id) filter (
            where l.lost_on between e.window_start and e.exit_date) as exit_lost
    from exit_windows e
    join {{ source('warehouse', 'stg_assignments') }} s
      on s.manager_id = e.manager_id
     and s.start_date <= e.window_start
     and (s.end_date is null or s.end_date > e.window_start)
    left join losses l
      on l.customer_id = s.customer_id
    where l.lost_on is null or l.lost_on >= e.window_start
    group by all
),

final as (
    select
        mm.manager_id,
        mm.month,
        coalesce(bs.book_size, 0) as book_size,
        coalesce(bs.book_aum, 0) as book_aum,
        coalesce(ls.lost_customers, 0) as lost_customers,
        coalesce(ls.lost_aum, 0) as lost_aum,
        coalesce(ls.elderly_lost, 0) as elderly_lost_customers,
        coalesce(ls.lost_customers, 0) / nullif(bs.book_size, 0) as churn_rate,
        {{ ratio('coalesce(ls.lost_aum, 0)', 'nullif(bs.book_aum, 0)') }} as churned_aum_share,
        coalesce(ls.dark_lost, 0) as dark_lost_customers,
        coalesce(rs.moved_recently, 0) as reassigned_away,
        coalesce(rs.lost_after_move, 0) as lost_after_reassignment,
        rs.lost_after_move / nullif(rs.moved_recently, 0) as reassign_loss_rate,
        -- shown in the months that overlap the window before the exit
        case when mm.exit_date is not null
              and mm.month_end >= mm.exit_date - {{ p('exit_window_days') }}::integer
             then coalesce(es.exit_lost, 0) / nullif(es.exit_book, 0) end as exit_window_churn_rate
    from manager_months mm
    left join book_stats bs using (manager_id, month)
    left join loss_stats ls using (manager_id, month)
    left join reassign_stats rs using (manager_id, month)
    left join exit_stats es using (manager_id)
)

select * from final
