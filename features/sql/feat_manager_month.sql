-- feat_manager_month: one row per manager_id × month employed: peer-group keys, book size,
-- every catalogue feature, and for each feature <name>_peer_z and <name>_self_z
-- (see feat_feature_scores for how groups, zero spread and short history are handled).
-- The months from the variable feature_since on (features/build.py sets it and keeps the
-- earlier months).
with wide as (
    select * from {{ ref('int_feature_values') }} where month >= {{ p('since') }}::date
),

-- a pivot of feat_feature_scores on the catalogue's features (one row per manager, month and
-- feature, so max() is that row's value), in the features' name order
z as (
    select
        manager_id,
        month
        {%- for name in var('feature_names') | sort %},
        max(case when feature = {{ sql_literal(name) }} then peer_z end) as {{ name }}_peer_z,
        max(case when feature = {{ sql_literal(name) }} then self_z end) as {{ name }}_self_z
        {%- endfor %}
    from {{ ref('feat_feature_scores') }}
    where month >= {{ p('since') }}::date
    group by manager_id, month
),

final as (
    select
        wide.*
        {%- for name in var('feature_names') | sort %},
        z.{{ name }}_peer_z,
        z.{{ name }}_self_z
        {%- endfor %}
    from wide
    left join z on z.manager_id = wide.manager_id and z.month = wide.month
)

select * from final
