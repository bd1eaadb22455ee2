{{ config(materialized='incremental', incremental_strategy='microbatch', event_time='month',
          batch_size='month', begin='2000-01-01', concurrent_batches=false,
          partition_by=('month' if target.type == 'spark' else none)) }}
{#- dbt-spark builds a microbatch model by overwriting its month partition -#}
-- feat_feature_scores: one row per manager_id × month × feature, with the manager's value,
-- the peer comparison and the comparison with the manager's own past.
--
-- Peer z: robust z = (value - median) / (1.4826 × MAD) within month × branch × tier;
-- when that group has fewer than $peer_min_group managers with a value, within month × tier.
-- Zero MAD (most peers identical, e.g. nobody edits phones): 1.2533 × mean absolute deviation
-- instead. Either way the scale is at least the feature's min_scale from the catalogue
-- ($min_scales, aligned with $feature_names), so one event among silent peers is not an
-- extreme by itself; equal values give z = 0. |z| is capped at 20. Means are rounded (9
-- places) and z-scores too (6): a parallel avg() sums in any order, and the last bits
-- must not differ between two builds (same input = same scores, bit for bit).
-- Self z: the same against the manager's own previous $self_window_months months; NULL with
-- fewer than $self_min_months months of history. A flat own history (zero spread) borrows
-- the peer group's spread, so one complaint after six quiet months is not an outlier by
-- itself; the feature's min_scale applies here too. A NULL value gives NULL z-scores, and so
-- does a share computed from fewer than $min_support events (int_feature_support).
-- Small denominators: a share is compared by what it proves, not its raw value. Its events
-- are topped up with $shrink_prior_events pseudo-events at the peer rate (month × tier, pooled),
-- and the share taken at the Wilson lower bound, $shrink_z standard errors below: two losses
-- in a book of 20 (raw 10%) count about 5%, twenty in a book of 200 about 8%, four unrecorded
-- sales of eight about 33%. Only the suspicious (high) side matters, so the bound is the
-- lower one. A beta-binomial posterior mean with a moment-fitted prior was measured first:
-- where nearly every manager is at 0 (unrecorded sales) its prior weighed hundreds of events
-- and drowned real diverters. Counts are not shrunk. `value` stays the raw share (what the
-- report quotes, beside its support); the z-scores use `estimate`.
with wide as (
    select * from {{ ref('int_feature_values') }}
    where month between {{ batch_month() }}::date - {{ months_interval(p('self_window_months') ~ '::integer') }} and {{ batch_month() }}::date
),

-- the catalogue ($feature_names with their $min_scales), as rows
catalogue as (
    select * from (values
        {%- for name in var('feature_names') %}
        ({{ sql_literal(name) }}, cast({{ var('min_scales')[loop.index0] }} as double)){{ "," if not loop.last }}
        {%- endfor %}
    ) as c (feature, min_scale)
),

support as (
    select * from {{ ref('int_feature_support') }}
    where month between {{ batch_month() }}::date - {{ months_interval(p('self_window_months') ~ '::integer') }} and {{ batch_month() }}::date
),

-- one row per manager-month and catalogue feature (an unpivot that keeps the NULLs)
raw_long as (
    select
        w.manager_id, w.month, w.branch_id, w.tier, f.feature,
        case f.feature
            {%- for name in var('feature_names') %}
            when {{ sql_literal(name) }} then cast(w.{{ name }} as double)
            {%- endfor %}
        end as value,
        sup.support
    from wide w
    cross join catalogue f
    left join support sup on sup.manager_id = w.manager_id and sup.month = w.month and sup.feature = f.feature
),

-- each share's peer rate, per month × tier
priors as (
    select month, tier, feature, sum(value * support) / sum(support) as p
    from raw_long
    where support > 0 and value is not null
    group by all
),

-- the share as evidence: $shrink_prior_events pseudo-events at the peer rate added, then
-- the Wilson lower bound at $shrink_z standard errors (see the header)
smoothed as (
    select
        r.*,
        (r.value * r.support + {{ p('shrink_prior_events') }} * s.p) / (r.support + {{ p('shrink_prior_events') }}) as rate,
        r.support + {{ p('shrink_prior_events') }} as n
    from raw_long r
    left join priors s using (month, tier, feature)
),

{%- set z2 = p('shrink_z') ~ ' * ' ~ p('shrink_z') %}
long as (
    select
        manager_id, month, branch_id, tier, feature, value, support,
        case when support is null or value is null or rate is null then value
             {%- set wilson_lower_bound -%}
                 greatest(
                 (rate + {{ ratio(z2, '(2 * n)') }}
                  - {{ p('shrink_z') }} * sqrt(rate * (1 - rate) / n + {{ ratio(z2, '(4 * n * n)') }}))
                 / (1 + {{ ratio(z2, 'n') }}), 0)
             {%- endset %}
             else {{ rounded(wilson_lower_bound, 9) }}
        end as estimate
    from smoothed
),

this_month as (
    select * from long where month = {{ batch_month() }}::date
),

branch_median as (
    select month, branch_id, tier, feature, count(estimate) as n, median(estimate) as med
    from this_month group by all
),

tier_median as (
    select month, tier, feature, count(estimate) as n, median(estimate) as med
    from this_month group by all
),

peer as (
    select
        l.*,
        b.n >= {{ p('peer_min_group') }}::integer as by_branch,
        abs(l.estimate - b.med) as dev_branch,
        abs(l.estimate - t.med) as dev_tier,
        b.med as branch_med,
        t.med as tier_med
    from this_month l
    join branch_median b using (month, branch_id, tier, feature)
    join tier_median t using (month, tier, feature)
),

branch_spread as (
    select month, branch_id, tier, feature, median(dev_branch) as mad, {{ rounded('avg(dev_branch)', 9) }} as meanad
    from peer group by all
),

tier_spread as (
    select month, tier, feature, median(dev_tier) as mad, {{ rounded('avg(dev_tier)', 9) }} as meanad
    from peer group by all
),

peer_scored as (
    select
        p.manager_id, p.month, p.branch_id, p.tier, p.feature, p.value, p.estimate, p.support,
        case when p.by_branch then 'branch×tier' else 'tier' end as peer_group,
        case when p.by_branch then p.branch_med else p.tier_med end as peer_median,
        greatest(case when p.by_branch
                      then coalesce(nullif(1.4826 * bs.mad, 0), 1.2533 * bs.meanad)
                      else coalesce(nullif(1.4826 * ts.mad, 0), 1.2533 * ts.meanad) end,
                 c.min_scale) as peer_scale,
        c.min_scale
    from peer p
    join branch_spread bs using (month, branch_id, tier, feature)
    join tier_spread ts using (month, tier, feature)
    join catalogue c using (feature)
),

history as (
    select cur.manager_id, cur.month, cur.feature, past.estimate as past_value
    from this_month cur
    join long past
      on past.manager_id = cur.manager_id
     and past.feature = cur.feature
     and past.month < cur.month
     and past.month >= cur.month - {{ months_interval(p('self_window_months') ~ '::integer') }}
     and past.estimate is not null
),

self_median as (
    select manager_id, month, feature, count(*) as n, median(past_value) as med
    from history group by all
),

self_spread as (
    select h.manager_id, h.month, h.feature, s.n, s.med,
           median(abs(h.past_value - s.med)) as mad, {{ rounded('avg(abs(h.past_value - s.med))', 9) }} as meanad
    from history h join self_median s using (manager_id, month, feature)
    group by all
),

joined as (
    select
        p.*,
        coalesce(p.support, {{ p('min_support') }}::integer) >= {{ p('min_support') }}::integer as supported,
        s.n as self_months,
        s.med as self_median,
        greatest(coalesce(nullif(1.4826 * s.mad, 0), nullif(1.2533 * s.meanad, 0), p.peer_scale),
                 p.min_scale) as self_scale
    from peer_scored p
    left join self_spread s using (manager_id, month, feature)
),

final as (
    select
        manager_id, month, branch_id, tier, feature, value, support, estimate,
        peer_group, peer_median,
        case when value is null or not supported then null
             else {{ rounded('greatest(least((estimate - peer_median) / peer_scale, 20), -20)', 6) }} end as peer_z,
        self_median,
        case when value is null or not supported or coalesce(self_months, 0) < {{ p('self_min_months') }}::integer then null
             else {{ rounded('greatest(least((estimate - self_median) / self_scale, 20), -20)', 6) }} end as self_z
    from joined
)

select * from final
