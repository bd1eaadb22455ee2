"""Writing one table's rows of a bundle: straight into raw_<table>, then settling.

Each file is inserted once, straight from its reader's query into raw_<table>,
with a provisional row_status: 'quarantined' when a value breaks the contract
(one cheap boolean per row), else 'loaded'. Only the few rows that need more
are looked at again:
- bad rows: their error list and the quarantine entry (read back from raw);
- rows whose key occurs more than once among this bundle's loaded rows: exact
  duplicates become 'duplicate', versions with different content 'quarantined'
  (an UPDATE of that small subset).
No text copy of a whole table is made; the bundle's transaction is the caller's.
"""

from __future__ import annotations

import duckdb

from core.contract import Table
from pipeline.ingest import readers as r
from pipeline.ingest.validate import bad_row_sql, errors_sql, key_label_sql, key_sql


def insert_file(con: duckdb.DuckDBPyConnection, table: Table, load_id: int, name: str,
                parsed: r.Parsed, mapping: dict[str, int], extras: list[int]) -> list[r.ParserReject]:
    """Insert one file's rows into raw_<table>; quarantine its bad rows. Returns parser rejects."""
    selected = ", ".join(
        f"f{mapping[c]} as {c}" if c in mapping else f"null::varchar as {c}" for c in table.column_names)
    params: dict = {**parsed.params, "load_id": load_id, "file": name}
    if extras:
        pairs = []
        for i, pos in enumerate(extras):
            params[f"x{i}"] = parsed.header[pos - 1]
            pairs.append(f"$x{i}, f{pos}")
        extra_sql = f"json_object({', '.join(pairs)})"
    else:
        extra_sql = "null::json"
    cols = ", ".join(table.column_names)
    con.execute(
        f"""insert into raw_{table.name} (load_id, source_file, line, {cols}, extra, row_status)
        select $load_id, $file, line, {cols}, extra,
               case when {bad_row_sql(table)} then 'quarantined' else 'loaded' end
        from (select line, {selected}, {extra_sql} as extra from ({parsed.query}))""",
        params)
    rejects = parsed.rejects
    if parsed.rejects_after_read:  # CSV: the records the parser skipped are known only now
        rejects = r.csv_rejects(con, parsed)
        if rejects:
            _renumber(con, table, load_id, name, r.line_shifts(rejects))
    _quarantine_bad_rows(con, table, load_id, name, mapping, extras, len(parsed.header))
    return rejects


def _renumber(con, table: Table, load_id: int, name: str, shifts: list[tuple[int, int]]) -> None:
    """Give the file's rows their true record numbers, skipping the records the parser rejected."""
    con.execute("create or replace temp table _shifts (start bigint, shift bigint)")
    con.executemany("insert into _shifts values (?, ?)", shifts)
    con.execute(
        f"""update raw_{table.name} set line = moved.new_line
        from (select x.line as old_line, x.line + coalesce(s.shift, 0) as new_line
              from (select line from raw_{table.name} where load_id = $load_id and source_file = $file) x
              asof left join _shifts s on x.line >= s.start) moved
        where raw_{table.name}.load_id = $load_id and raw_{table.name}.source_file = $file
          and raw_{table.name}.line = moved.old_line""",
        {"load_id": load_id, "file": name})
    con.execute("drop table _shifts")


def _quarantine_bad_rows(con, table: Table, load_id: int, name: str, mapping: dict[str, int],
                         extras: list[int], n_fields: int) -> None:
    # The record as written: every field in file order; extra columns come back
    # from the json object in order ($.* keeps order and repeated names).
    by_pos = {pos: f"coalesce({c}, '')" for c, pos in mapping.items()}
    by_pos.update({pos: f"coalesce((extra->>'$.*')[{i + 1}], '')" for i, pos in enumerate(extras)})
    record_sql = "concat_ws(',', " + ", ".join(by_pos[p] for p in range(1, n_fields + 1)) + ")"
    value_of = "case errors[1].col " + " ".join(f"when '{c}' then {c}" for c in table.column_names) + " end"
    con.execute(
        f"""insert into quarantine
        select $load_id, $table, source_file, line, errors[1].col,
               array_to_string(list_transform(errors, lambda e: e.col || ': ' || e.reason), '; '),
               {value_of}, {record_sql}
        from (select *, {errors_sql(table)} as errors from raw_{table.name}
              where load_id = $load_id and source_file = $file and row_status = 'quarantined')
        order by line""",
        {"load_id": load_id, "table": table.name, "file": name})


def settle_repeated_keys(con: duckdb.DuckDBPyConnection, table: Table, load_id: int,
                         files: list[str]) -> None:
    """Among this bundle's loaded rows, resolve keys given more than once.

    An exact copy of an earlier row (file order, then line) is a 'duplicate';
    a key with more than one distinct content is a conflict: every version is
    quarantined. Keys are compared as staging will see them (key_sql).
    """
    raw = f"raw_{table.name}"
    params = {"load_id": load_id}
    # Pass 1 groups only a 64-bit hash of the key (small, fast); pass 2 re-checks
    # the real keys of the few candidate rows, so hash collisions cost nothing.
    con.execute(
        f"""create or replace temp table _repeated as
        with candidate_hashes as (
            select hash({key_sql(table)}) as h from {raw}
            where load_id = $load_id and row_status = 'loaded'
            group by h having count(*) > 1
        ),
        candidates as (
            select source_file, line, {', '.join(table.column_names)}, {key_sql(table)} as k
            from {raw}
            where load_id = $load_id and row_status = 'loaded'
              and hash({key_sql(table)}) in (select h from candidate_hashes)
        ),
        repeated_keys as (
            select k from candidates group by k having count(*) > 1
        )
        select * from candidates semi join repeated_keys using (k)""", params)
    if con.execute("select count(*) from _repeated").fetchall()[0][0] == 0:
        con.execute("drop table _repeated")
        return
    cols = ", ".join(table.column_names)
    con.execute(
        f"""create or replace temp table _resolved as
        with ranked as (
            select *, row_number() over (
                partition by {cols} order by list_position($files, source_file), line) as dup_rank
            from _repeated
        ),
        counted as (
            select *, count(*) filter (where dup_rank = 1) over (partition by k) as versions
            from ranked
        )
        select *, case when dup_rank > 1 then 'duplicate' when versions > 1 then 'quarantined'
                       else 'loaded' end as new_status
        from counted""", {"files": files})
    con.execute(
        f"""update {raw} set row_status = s.new_status
        from _resolved s
        where {raw}.load_id = $load_id and {raw}.source_file = s.source_file and {raw}.line = s.line
          and s.new_status <> 'loaded'""", params)
    key0 = table.key[0]
    con.execute(
        f"""insert into quarantine
        select $load_id, $table, source_file, line, '{key0}',
               'duplicate key (' || {key_label_sql(table)} || ') with different content: '
               || versions || ' versions in this bundle, none loaded',
               {key0}, concat_ws(',', {', '.join(f"coalesce({c}, '')" for c in table.column_names)})
        from _resolved where new_status = 'quarantined'
        order by list_position($files, source_file), line""",
        {**params, "table": table.name, "files": files})
    con.execute("drop table _resolved; drop table _repeated")


def status_counts(con: duckdb.DuckDBPyConnection, table: Table, load_id: int) -> dict[tuple[str, str], int]:
    """(file, row_status) -> rows of this load in raw_<table>."""
    return {
        (f, s): n for f, s, n in con.execute(
            f"select source_file, row_status, count(*) from raw_{table.name} where load_id = ? group by all",
            [load_id]).fetchall()
    }
