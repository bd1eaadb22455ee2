-- stg_customers: one row per customer_id; typed. When a later load repeats a key,
-- the newest load wins (the raw layer keeps every version).
-- $since_load = 0 builds from every load; the id of a load newer than any in stg_ gives
-- that load's rows only, which build_staging upserts (features/staging/__init__.py).
with source as (
    select * from raw_customers where row_status = 'loaded' and load_id >= $since_load
),

-- the key columns alone, typed as below: enough to find keys given more than once
-- (not materialized: read twice from raw, never buffered as a whole)
source_keys as not materialized (
    select
        trim(customer_id) as customer_id,
        load_id,
        source_file,
        line
    from raw_customers
    where row_status = 'loaded' and load_id >= $since_load
),

typed as (
    select
        trim(customer_id)          as customer_id,
        clean_text(customer_name)  as customer_name,
        clean_text(phone)          as phone,
        parse_date(birth_date)     as birth_date,
        parse_segment(segment)     as segment,
        parse_date(opened_at)      as opened_at,
        parse_date(closed_at)      as closed_at,
        clean_text(address)        as address,   -- v1.1, optional
        clean_text(id_hash)        as id_hash,   -- v1.1, optional
        load_id,
        source_file,
        line
    from source
),

-- Only keys given more than once need choosing. Grouping a 64-bit hash of the key
-- columns finds the candidates without carrying whole rows; the window then
-- compares the real key null-safely (partition by), so a hash collision changes
-- nothing. Every other row streams straight through (anti join on a small set).
-- Ingest leaves at most one loaded row per key within a load (comparing the key
-- as typed here), so a key can only repeat across loads: with one load, skip.
key_hashes as not materialized (
    select *, hash(customer_id) as key_hash from source_keys
),

repeated_hashes as (
    select key_hash from key_hashes
    where (select count(distinct load_id) from raw_customers where row_status = 'loaded' and load_id >= $since_load) > 1
    group by key_hash having count(*) > 1
),

superseded as (
    select load_id, source_file, line
    from key_hashes semi join repeated_hashes using (key_hash)
    qualify row_number() over (partition by customer_id order by load_id desc, line desc) > 1
),

final as (
    select * exclude (source_file, line)
    from typed anti join superseded using (load_id, source_file, line)
)

select * from final
