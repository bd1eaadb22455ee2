-- card_feature_drift: one row per scored feature ($features) × month (the audit month $as_of
-- and the month before) × bin, for the population stability index of the model card
-- (models/model_card.py computes the index from these counts).
-- Bins are cut at the previous month's deciles (quantile_disc: observed values), made
-- distinct, plus 0: a feature where most managers are at 0 has its deciles on 0, and the
-- point mass at 0 is then a bin of its own, (-inf, 0]; every bin is right-closed, bin i
-- holding the values above i edges. NULL values (a table missing, a share without events)
-- fall in no bin: they are counted apart (`missing`). A feature with no value the month
-- before has no edges: its values all count in bin 0 and the card reports no previous month.
-- `bins`: how many bins the edges make (the card's chance level of the index needs it).
with months as (
    select feature, month = $as_of::date as is_current, value
    from feat_feature_scores
    where month in ($as_of::date, $as_of::date - interval 1 month)
      and list_contains($features::varchar[], feature)
),

edges as (
    select
        feature,
        list_sort(list_distinct(list_append(
            quantile_disc(value, [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9]), 0.0::double))) as edges
    from months
    where not is_current and value is not null
    group by feature
),

binned as (
    select
        m.feature,
        m.is_current,
        m.value is null as missing,
        coalesce(len(e.edges), 0) + 1 as bins,
        case when m.value is null then null
             else coalesce(len(list_filter(e.edges, lambda x: x < m.value)), 0) end as bin
    from months m
    left join edges e using (feature)
),

final as (
    select feature, is_current, missing, bin, any_value(bins) as bins, count(*) as managers
    from binned
    group by all
)

select * from final order by feature, is_current, missing, bin
