-- training_labels: one row per manager × labelled month before the audit month ($as_of),
-- within $months months: the analysts' decision in force on a case (confirmed = 1,
-- dismissed = 0; a suppression is no verdict) at the month the analyst looked at the
-- manager — a flagged case's last flagged month before the audit month, or a
-- below-the-line sample's month. The learned model trains on the manager's profile of that
-- month (what was decided), not on this month's (a confirmed diverter may have stopped).
-- Decisions on the audit month's own cases wait for the next month: a rerun of a month
-- after its cases were decided ranks as the first run did.
with verdicts as (
    select case_id, manager_id, disposition
    from dispositions_in_force
    where disposition in ('confirmed', 'dismissed')
),

looked_at as (
    select case_id, manager_id, max(month) as month
    from looked_at_cases
    where month < $as_of::date
      and month >= $as_of::date - to_months($months::integer)
    group by all
),

labelled as (
    select
        looked_at.manager_id,
        looked_at.month,
        verdicts.case_id,
        verdicts.disposition
    from looked_at
    join verdicts using (case_id)
),

final as (
    -- two decisions on one manager in one month (a flagged case and a sample): confirmed wins
    select
        manager_id,
        month,
        max(case when disposition = 'confirmed' then 1 else 0 end)::integer as y,
        string_agg(case_id, ',' order by case_id) as case_ids
    from labelled
    group by all
)

select * from final order by month, manager_id
