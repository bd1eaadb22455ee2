-- Bookkeeping tables of the warehouse. Raw tables (one per contract table) are
-- created from the contract by core.warehouse.ensure_schema.

-- one row per ingest run (a bundle loaded once)
create table if not exists load_runs (
  load_id integer primary key,
  bundle varchar not null,
  started_at timestamp not null,
  finished_at timestamp,
  status varchar not null,           -- running | ok | error
  missing_tables varchar[]
);

-- one row per file seen in a bundle
create table if not exists loads (
  load_id integer not null,
  file varchar not null,             -- path inside the bundle
  table_name varchar,                -- null when the file matches no table
  format varchar,
  encoding varchar,
  sha256 varchar,
  bytes bigint,
  rows bigint not null,              -- records in the file, header excluded
  loaded bigint not null,
  quarantined bigint not null,
  duplicates bigint not null,        -- exact duplicate rows loaded once
  status varchar not null,           -- loaded | rejected | skipped | ignored
  message varchar
);

-- every rejected row, with where it was and why
create table if not exists quarantine (
  load_id integer not null,
  table_name varchar not null,
  file varchar not null,
  line bigint not null,              -- record number as a spreadsheet shows it; header = 1
  column_name varchar,
  reason varchar not null,
  value varchar,                     -- the offending cell as it was written
  record varchar                     -- the whole record as it was written
);
