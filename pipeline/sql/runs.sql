-- runs: the run ledger, one row per execution of the audit flow (a rerun of a month is a
-- new row with the same run_id). Times are UTC. Append-mostly: a row is inserted when the
-- run starts and updated when it ends; rows left 'running' by a killed run are marked
-- 'abandoned' by the next run (which holds the warehouse, so the other process is gone).
create table if not exists runs (
    execution_id varchar not null,   -- one per execution: the Prefect flow run id
    run_id varchar,                  -- output folder: same data + settings = same id (after scoring)
    started_at timestamp not null,
    finished_at timestamp,
    status varchar not null,         -- running | publishing | published | completed | published_with_errors | failed | abandoned
    failed_step varchar,
    error varchar,
    audit_month date,
    load_id integer,                 -- the load the report's input section shows
    inputs json,                     -- every file of the bundle(s): name, table, sha256, bytes, status
    code_version varchar not null,
    settings json not null,          -- flow parameters and model settings
    row_counts json,                 -- loaded / quarantined per run, staging, features, scores
    cases json,                      -- flagged, new, ongoing, suppressed, case ids
    outputs json,                    -- run folder, report, flagged CSV, scores CSV
    timings json,                    -- seconds per step
    peak_rss_mib json,               -- peak resident memory of the process per step, MiB
    unmask boolean not null
);

-- warehouses whose ledger predates a column
alter table runs add column if not exists load_id integer;
alter table runs add column if not exists timings json;
alter table runs add column if not exists peak_rss_mib json;
