-- feat_manager_month: one row per manager_id × month employed: peer-group keys, book size,
-- every catalogue feature, and for each feature <name>_peer_z and <name>_self_z
-- (see feat_feature_scores for how groups, zero spread and short history are handled).
-- The months from var since on (the month-incremental pre-hook keeps the
-- earlier months).
with wide as (
    select * from {{ ref('int_feature_values') }} where month >= {{ p('since') }}::date
),

-- PIVOT reads the table directly (it cannot pivot a CTE inside create-table-as)
z as (
    pivot (select manager_id, month, feature, peer_z, self_z from {{ ref('feat_feature_scores') }}
           where month >= {{ p('since') }}::date)
    -- the columns are the catalogue's, not the months' values: a build with no month to
    -- redo still has every column (the names sorted, as a PIVOT of the values orders them)
    on feature in ({% for name in var('feature_names') | sort %}'{{ name }}'{{ ", " if not loop.last }}{% endfor %})
    using first(peer_z) as peer_z, first(self_z) as self_z
    group by manager_id, month
),

final as (
    select wide.*, z.* exclude (manager_id, month)
    from wide
    left join z using (manager_id, month)
)

select * from final
