-- stg_related_parties: one row per declared related party (manager_id, relation, party_name,
-- phone, account); typed. Contract v1.1, optional: empty when no bundle held the table.
-- When a later load repeats a key, the newest load wins (the raw layer keeps every version).
-- $since_load = 0 builds from every load; the id of a load newer than any in stg_ gives
-- that load's rows only, which build_staging upserts (features/staging/__init__.py).
with source as (
    select * from raw_related_parties where row_status = 'loaded' and load_id >= $since_load
),

typed as (
    select
        trim(manager_id)           as manager_id,
        clean_text(party_name)     as party_name,
        parse_relation(relation)   as relation,
        clean_text(phone)          as phone,
        clean_text(account)        as account,
        clean_text(id_hash)        as id_hash,
        parse_date(declared_at)    as declared_at,
        load_id,
        line
    from source
),

-- A declaration list is small (a few per member of staff): choose the newest version of
-- each key with a plain window, null-safe on the key's optional parts.
final as (
    select * exclude (line)
    from typed
    qualify row_number() over (
        partition by manager_id, relation, party_name, phone, account
        order by load_id desc, line desc) = 1
)

select * from final
