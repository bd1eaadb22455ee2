"""Rendering an AuditReport to self-contained HTML: index.html, method.html and one page per
flagged manager under managers/. Autoescaping is on for every template: CRM free text
(notes, complaint text, names) is untrusted and must render as text, never as markup."""

from __future__ import annotations

from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined

from core.files import write_bytes_atomic
from reports.build import AuditReport

_env = Environment(loader=PackageLoader("reports", "templates"), autoescape=True,
                   undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)


def render_report(report: AuditReport, out_dir: Path) -> Path:
    """Write the report's pages into out_dir (normally a run's staging folder); returns index.html."""
    common = {"report": report, "t": report.t}
    write_bytes_atomic(out_dir / "index.html", _env.get_template("index.html.j2").render(root="", **common).encode())
    write_bytes_atomic(out_dir / "method.html", _env.get_template("method.html.j2").render(root="", **common).encode())
    manager_page = _env.get_template("manager.html.j2")
    for page in report.pages:
        write_bytes_atomic(out_dir / page.case.page, manager_page.render(root="../", page=page, **common).encode())
    return out_dir / "index.html"
