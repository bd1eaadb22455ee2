-- feat_attrition: one row per manager_id × month (employed months): book size and the
-- attrition features of families 1, 4 (going dark), 7 (exit, reassignment) and the elderly
-- customers among the lost (8).
-- The months from $since on (features/build.py keeps the earlier ones).
with manager_months as (
    select * from {{ ref('int_manager_month') }} where month >= {{ p('since') }}::date
),

book as (
    select * from {{ ref('int_book_month') }} where month >= {{ p('since') }}::date
),

losses as (
    select * from {{ ref('int_customer_loss') }}
),

lost_from_book as (
    select
        b.manager_id, b.month, b.customer_id, b.start_aum, l.lost_on,
        {{ age_on('c.birth_date', 'l.lost_on') }} as age
    from book b
    join losses l
      on l.customer_id = b.customer_id
     and l.lost_on between b.month and last_day(b.month)
    left join {{ source('warehouse', 'stg_customers') }} c on c.customer_id = b.customer_id
),

-- a lost customer "went dark" when nobody logged a contact in the days before the loss
dark as (
    select x.manager_id, x.month, x.customer_id
    from lost_from_book x
    where not exists (
        select 1 from {{ source('warehouse', 'stg_contacts') }} k
        where k.customer_id = x.customer_id
          and k.contact_at::date between x.lost_on - {{ p('dark_days') }}::integer and x.lost_on
    )
),

book_stats as (
    select
        b.manager_id,
        b.month,
        count(*) as book_size,
        sum(b.start_aum) as book_aum
    from book b
    group by all
),

loss_stats as (
    select
        manager_id,
        month,
        count(*) as lost_customers,
        count(*) filter (where age >= {{ p('elderly_age') }}::integer) as elderly_lost,
        sum(start_aum) as lost_aum
    from lost_from_book
    group by all
),

dark_stats as (
    select manager_id, month, count(*) as dark_lost
    from dark
    group by all
),

-- reassigned away: the manager's spell ended while the customer stayed with the bank
reassigned_away as (
    select s.manager_id, s.customer_id, s.end_date as moved_on
    from {{ source('warehouse', 'stg_assignments') }} s
    left join losses l using (customer_id)
    where s.end_date is not null
      and (l.lost_on is null or l.lost_on > s.end_date)
      and exists (select 1 from {{ source('warehouse', 'stg_assignments') }} n
                  where n.customer_id = s.customer_id and n.manager_id <> s.manager_id
                    and n.start_date between s.end_date - 7 and s.end_date + 7)
),

reassign_stats as (
    select
        mm.manager_id,
        mm.month,
        count(*) filter (where r.moved_on > mm.month_end - {{ p('reassign_loss_days') }}::integer) as moved_recently,
        count(*) filter (where l.lost_on between mm.month and mm.month_end
                           and l.lost_on <= r.moved_on + {{ p('reassign_loss_days') }}::integer) as lost_after_move
    from manager_months mm
    join reassigned_away r
      on r.manager_id = mm.manager_id
     and r.moved_on <= mm.month_end
     and r.moved_on > mm.month_end - {{ p('reassign_loss_days') }}::integer
    left join losses l on l.customer_id = r.customer_id
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
        coalesce(ds.dark_lost, 0) as dark_lost_customers,
        rs.lost_after_move / nullif(rs.moved_recently, 0) as reassign_loss_rate,
        -- shown in the months that overlap the window before the exit
        case when mm.exit_date is not null
              and mm.month_end >= mm.exit_date - {{ p('exit_window_days') }}::integer
             then coalesce(es.exit_lost, 0) / nullif(es.exit_book, 0) end as exit_window_churn_rate
    from manager_months mm
    left join book_stats bs using (manager_id, month)
    left join loss_stats ls using (manager_id, month)
    left join dark_stats ds using (manager_id, month)
    left join reassign_stats rs using (manager_id, month)
    left join exit_stats es using (manager_id)
)

select * from final
