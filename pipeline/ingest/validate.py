"""Row checks of the contract, as SQL built from core.contract.

Only the contract's own column names and fixed messages go into the SQL text;
nothing a CRM file says (headers, values) is ever formatted into SQL.
The parse macros are the ones staging uses (core/sql/parse_macros.sql), so a
row that passes here types exactly the same way in stg_<table>.
"""

from __future__ import annotations

from core import contract as k
from core.contract import Column, Table, header_lookup, normalise_header

ENUM_PARSERS = [
    (k.TIERS, "parse_tier"), (k.SEGMENTS, "parse_segment"), (k.CHANNELS, "parse_channel"),
    (k.DIRECTIONS, "parse_direction"), (k.PRODUCT_TYPES, "parse_product_type"),
    (k.DEAL_STATUSES, "parse_deal_status"), (k.FIELDS, "parse_field"),
    (k.RELATIONS, "parse_relation"),
]
KIND_PARSERS = {
    k.DATE: ("parse_date", "not a date (expected YYYY-MM-DD, YYYY/MM/DD or YYYYMMDD)"),
    k.TIMESTAMP: ("parse_timestamp", "not a date-time (expected YYYY-MM-DD HH:MM[:SS])"),
    k.MONTH: ("parse_month", "not a month (expected YYYY-MM)"),
    k.MONEY: ("parse_money", "not an amount (expected 1234.5 or \"1,234.50\")"),
    k.NUMBER: ("parse_number", "not a number"),
}


def enum_parser(col: Column) -> str:
    for values, macro in ENUM_PARSERS:
        if col.values == values:
            return macro
    raise KeyError(f"no parse macro for enumeration of {col.name}")


def _lit(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class HeaderProblem(ValueError):
    pass


def map_header(table: Table, header: list[str]) -> tuple[dict[str, int], list[int]]:
    """canonical column -> 1-based field position, and positions of extra columns.

    Raises HeaderProblem when a required column is missing or a column is given twice.
    """
    lookup = header_lookup(table)
    mapping: dict[str, int] = {}
    extras: list[int] = []
    for pos, text in enumerate(header, start=1):
        canonical = lookup.get(normalise_header(text))
        if canonical is None:
            extras.append(pos)
        elif canonical in mapping:
            first = header[mapping[canonical] - 1]
            raise HeaderProblem(
                f"column {canonical} is given twice (headers {first!r} and {text!r})")
        else:
            mapping[canonical] = pos
    missing = [c for c in table.required_columns if c.name not in mapping]
    if missing:
        names = ", ".join(f"{c.name} ({c.alias})" for c in missing)
        raise HeaderProblem(f"missing required column{'s' if len(missing) > 1 else ''}: {names}")
    return mapping, extras


# Invisible characters in text. A NUL cuts the text in many programs (C strings, Excel), and in
# an identifier any control character makes a key that prints like another (`M1\x00` is a second
# manager shown as M1). Free text keeps its tabs and line breaks. Typed columns need no check:
# such a value does not parse. RE2 on identifiers, measured on DuckDB 2.0: ~0.09 µs a value.
CONTROL_IN_ID = ("contains a control character (NUL, tab, line break…): "
                 "an identifier that would look like another")
NUL_IN_TEXT = "contains a NUL byte (text is cut there by many programs)"


def is_identifier(table: Table, col: Column) -> bool:
    """Key columns and ids: compared as keys, so never allowed an invisible character."""
    return col.kind == k.TEXT and (col.name in table.key or col.name.endswith("_id"))


def _invisible_check(table: Table, col: Column) -> tuple[str, str] | None:
    if col.kind != k.TEXT:
        return None
    if is_identifier(table, col):
        return f"regexp_matches({col.name}, '[\\x00-\\x1f\\x7f]')", CONTROL_IN_ID
    return f"contains({col.name}, chr(0))", NUL_IN_TEXT


def check_expressions(col: Column, table: Table) -> list[tuple[str, str]]:
    """(condition that marks the value bad, reason) for one column, in check order."""
    c = col.name
    present = f"clean_text({c}) is not null"
    checks = []
    if col.required:
        checks.append((f"clean_text({c}) is null", "missing value in a required column"))
    invisible = _invisible_check(table, col)
    if invisible:
        checks.append(invisible)
    if col.kind in KIND_PARSERS:
        macro, reason = KIND_PARSERS[col.kind]
        checks.append((f"{present} and {macro}({c}) is null", f"{reason}"))
        if col.strictly_positive:
            checks.append((f"{macro}({c}) <= 0", "must be greater than zero"))
        elif col.minimum is not None:
            checks.append((f"{macro}({c}) < {col.minimum}", "must not be negative"))
    elif col.kind == k.ENUM:
        allowed = ", ".join(f"{en}/{zh}" for en, zh in col.values.items())
        checks.append((f"{present} and {enum_parser(col)}({c}) is null",
                       f"unknown value (expected one of {allowed})"))
    return checks


def errors_sql(table: Table) -> str:
    """A SQL expression: list of {col, reason} structs for the row's bad values."""
    items = [
        f"case when {cond} then {{'col': {_lit(col.name)}, 'reason': {_lit(reason)}}} end"
        for col in table.columns
        for cond, reason in check_expressions(col, table)
    ]
    # Build the list only for rows with a problem: almost every row has none.
    any_bad = " or ".join(f"({cond})" for col in table.columns for cond, _ in check_expressions(col, table))
    return (f"case when coalesce({any_bad}, false) "
            f"then list_filter([{', '.join(items)}], lambda e: e is not null) else [] end")


def key_sql(table: Table) -> str:
    """The row's key as staging will see it: dates compare as dates, text trimmed."""
    parts = []
    for name in table.key:
        col = table.column(name)
        if col.kind in KIND_PARSERS:
            parts.append(f"coalesce({KIND_PARSERS[col.kind][0]}({name})::varchar, trim({name}), '')")
        else:
            parts.append(f"coalesce(trim({name}), '')")
    return " || chr(31) || ".join(parts)


def key_label_sql(table: Table) -> str:
    """A readable `customer_id=C1, month=2026-10` for messages."""
    parts = [f"'{c}=' || coalesce(trim({c}), '')" for c in table.key]
    return " || ', ' || ".join(parts)


def bad_row_sql(table: Table) -> str:
    """A SQL boolean: the row has at least one bad value (errors_sql would be non-empty).

    Evaluated on every row, so each value is parsed once: the checks of a column
    are folded into one expression (a blank value parses to NULL, so for a
    required column "missing" and "unparseable" are the same test). Measured on
    DuckDB 2.0: greatest() of the column tests costs half of an OR chain, and
    CASE on the parse beats `present and parse is null`.
    """
    parts = []
    for col in table.columns:
        c = col.name
        present = f"clean_text({c}) is not null"
        if col.kind in KIND_PARSERS:
            parsed = f"{KIND_PARSERS[col.kind][0]}({c})"
            if col.strictly_positive:
                out_of_range = f"{parsed} <= 0"
            elif col.minimum is not None:
                out_of_range = f"{parsed} < {col.minimum}"
            else:
                out_of_range = None
            if col.required:
                parts.append(f"coalesce({out_of_range}, true)" if out_of_range else f"{parsed} is null")
            else:
                parts.append(f"coalesce({out_of_range}, {present})" if out_of_range
                             else f"case when {parsed} is null then {present} else false end")
        elif col.kind == k.ENUM:
            parsed = f"{enum_parser(col)}({c})"
            parts.append(f"{parsed} is null" if col.required
                         else f"case when {parsed} is null then {present} else false end")
        elif col.required:
            parts.append(f"clean_text({c}) is null")
        invisible = _invisible_check(table, col)
        if invisible:
            parts.append(invisible[0])  # NULL for a NULL value: greatest() skips it
    return f"coalesce(greatest({', '.join(parts)}), false)" if parts else "false"
