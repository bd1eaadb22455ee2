"""The audit report and the compliance export on a seeded bank with planted cases: every case
has a page, every reason its evidence, nothing external, untrusted text escaped, personal data
masked unless asked, an Excel-safe CSV with stable case ids — and a real browser reads it."""

from __future__ import annotations

import csv
import datetime as dt
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from core.settings import Settings
from features.build import build_features
from models.cases import assign_cases
from models.scoring import score_month
from pipeline.generator import generate_bundle
from pipeline.loading import ingest_bundle
from reports.build import RunInfo, build_report
from reports.evidence import FEATURE_EVIDENCE, KINDS
from reports.export import COLUMNS, record_cases, select_cases, write_flagged_csv
from reports.i18n import words
from reports.render import render_report

XSS = "<script>alert(1)</script>"
FORMULA_NAME = "=HYPERLINK(\"x\",\"y\")"
HIJACKER = "M000396"  # the planted phone-hijack manager (blatant, to his own number) of seed 4 at 400 managers
SEP, OCT = dt.date(2026, 9, 1), dt.date(2026, 10, 1)
ARTIFACTS = Path(__file__).parent / "artifacts" / "report"


def _plant(bundle: Path) -> str:
    """A script tag in a customer's name and in a late-night contact note of the hijacker, and a
    formula as the hijacker's own name. Returns the customer id."""
    read = {"dtype": str, "keep_default_na": False}
    assignments = pd.read_csv(bundle / "assignments.csv", **read)
    customer = sorted(assignments.loc[assignments["manager_id"] == HIJACKER, "customer_id"])[0]
    customers = pd.read_csv(bundle / "customers.csv", **read)
    customers.loc[customers["customer_id"] == customer, "customer_name"] = XSS
    customers.to_csv(bundle / "customers.csv", index=False)
    managers = pd.read_csv(bundle / "managers.csv", **read)
    managers.loc[managers["manager_id"] == HIJACKER, "manager_name"] = FORMULA_NAME
    managers.to_csv(bundle / "managers.csv", index=False)
    with (bundle / "contacts.csv").open("a", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerow(["KXSS1", HIJACKER, customer, "2026-10-31 23:30:00", "phone", "5",
                                 "2026-11-01 09:00:00", XSS])
    return customer


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    bundle = root / "bundle"
    generate_bundle(bundle, managers=400, months=6, seed=4, fmt="csv")
    _plant(bundle)
    settings = Settings(warehouse=root / "w.duckdb")
    con = duckdb.connect(str(settings.warehouse))
    ingest_bundle(con, bundle)
    build_features(con, OCT, settings)
    outputs = {}
    for month in (SEP, OCT):
        result = score_month(con, month, settings, root / f"scores-{month:%Y%m}")
        assign_cases(con, month, settings)
        run = RunInfo(f"{month:%Y-%m}-{result.model_id[:8]}", "2026-11-02T06:00:00", "test")
        report = build_report(con, month, run, settings)
        out = root / f"run-{month:%Y%m}"
        render_report(report, out)
        write_flagged_csv(report, out / "flagged_cases.csv", xlsx=True)
        record_cases(con, report)
        outputs[month] = (report, out)
    english = build_report(con, OCT, RunInfo("en", "2026-11-02T06:00:00", "test", lang="en", unmask=True),
                           settings)
    render_report(english, root / "run-en-unmasked")
    yield con, outputs, root / "run-en-unmasked", english, bundle
    con.close()


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def test_every_flagged_manager_has_a_page_and_every_reason_its_evidence(audited):
    _, outputs, _, _, _ = audited
    report, out = outputs[OCT]
    flagged = report.figures["cases_flagged"]
    # the flagged cases' pages, then the below-the-line sample's (an analyst decides them alike)
    assert flagged == len(report.cases) == 10 and len(report.pages) == flagged + len(report.sample_cases)
    assert [p.case for p in report.pages] == report.cases + report.sample_cases
    assert HIJACKER in {c.manager_id for c in report.cases}
    for page in report.pages:
        html = (out / page.case.page).read_text(encoding="utf-8")
        # a sample manager may have none: below the line, no single feature need stand out
        assert page.case.reasons or page.case.kind == "sample", f"{page.case.manager_id} has no reasons"
        tables = {e.kind: e for e in page.evidence}
        for reason in page.case.reasons:
            assert reason.evidence in tables and tables[reason.evidence].rows, (page.case.manager_id, reason.feature)
            assert f'id="ev-{reason.evidence}"' in html and f'href="#ev-{reason.evidence}"' in html
    index = (out / "index.html").read_text(encoding="utf-8")
    assert all(f'href="{c.page}"' in index for c in report.cases + report.sample_cases)  # index → page → evidence


def test_the_hijackers_page_shows_the_phone_edits_behind_the_reason(audited):
    _, outputs, _, _, _ = audited
    report, _ = outputs[OCT]
    page = next(p for p in report.pages if p.case.manager_id == HIJACKER)
    assert page.case.reasons[0].feature.startswith("phone_edits")
    edits = next(e for e in page.evidence if e.kind == "phone_edits")
    shared_col = edits.columns.index(words("zh").shared_with)
    assert any(row[shared_col] for row in edits.rows)  # whose number the new one is


def test_no_external_reference_in_any_output(audited):
    _, outputs, unmasked, _, _ = audited
    for folder in (outputs[OCT][1], outputs[SEP][1], unmasked):
        for path in _files(folder):
            if path.suffix in (".html", ".csv"):
                text = path.read_text(encoding="utf-8-sig")
                assert not re.search(r"https?://", text), path
                assert "<script" not in text.replace("&lt;script", ""), path


def test_untrusted_crm_text_renders_as_text(audited):
    _, _, unmasked, english, _ = audited
    page = (unmasked / f"managers/{HIJACKER}.html").read_text(encoding="utf-8")
    assert XSS not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 2  # the note and the customer name


def test_customer_phones_are_masked_unless_unmask(audited):
    _, outputs, unmasked, _, bundle = audited
    customers = pd.read_csv(bundle / "customers.csv", dtype=str, keep_default_na=False)
    edits = pd.read_csv(bundle / "field_changes.csv", dtype=str, keep_default_na=False)
    phones = set(customers["phone"]) | set(edits["old_value"]) | set(edits["new_value"])
    phones = {p for p in phones if len(p) >= 11}
    assert all(p.isdigit() for p in phones)
    lengths = {len(p) for p in phones}

    def shown(text: str) -> set[str]:
        """The phones that stand in the text: all digits, so within a run of digits (one pass
        over the runs instead of a search per phone through ~200 pages)."""
        return {run[i:i + n] for run in re.findall(r"\d{11,}", text) for n in lengths
                for i in range(len(run) - n + 1)} & phones

    masked_text = "".join(p.read_text(encoding="utf-8-sig") for p in _files(outputs[OCT][1])
                          if p.suffix in (".html", ".csv"))
    assert not shown(masked_text)
    assert re.search(r"1\d\d\*{4}\d{4}", masked_text)  # shown as 138****1234
    unmasked_text = (unmasked / f"managers/{HIJACKER}.html").read_text(encoding="utf-8")
    assert shown(unmasked_text)


def test_english_report_uses_english_words_and_catalogue_labels(audited):
    _, _, unmasked, english, _ = audited
    index = (unmasked / "index.html").read_text(encoding="utf-8")
    assert "Flagged cases" in index and "预警案件" not in index
    assert "Customer phone edits by the manager" in index
    assert "NOT masked" in index  # an unmasked report says so on every page


def test_compliance_csv_is_excel_safe_with_fixed_columns(audited):
    _, outputs, _, _, _ = audited
    report, out = outputs[OCT]
    raw = (out / "flagged_cases.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0] == COLUMNS
    assert len(rows) == 1 + len(report.cases) + len(report.sample_cases)
    kinds = [r[COLUMNS.index("kind")] for r in rows[1:]]
    assert kinds == ["alert"] * len(report.cases) + ["sample"] * len(report.sample_cases)
    by_manager = {r[3]: dict(zip(COLUMNS, r, strict=True)) for r in rows[1:]}
    hijacker = by_manager[HIJACKER]
    assert hijacker["manager_name"] == "'" + FORMULA_NAME  # neutralised, still readable
    assert int(hijacker["phone_edits"]) >= 1
    for row in rows[1:]:
        for col, cell in zip(COLUMNS, row, strict=True):
            assert not cell.startswith(("=", "+", "@", "\t", "\r", "\n")), (col, cell)
    assert any("客户" in r[COLUMNS.index("reason_1")] for r in rows[1:])  # Chinese reasons intact


def test_xlsx_twin_keeps_ids_as_text(audited):
    from openpyxl import load_workbook

    _, outputs, _, _, _ = audited
    ws = load_workbook(outputs[OCT][1] / "flagged_cases.xlsx").active
    header = [c.value for c in ws[1]]
    assert header == COLUMNS
    for row in ws.iter_rows(min_row=2):
        cells = dict(zip(header, row, strict=True))
        assert cells["case_id"].data_type == "s" and cells["manager_id"].number_format == "@"
        assert isinstance(cells["risk_score"].value, (int, float))  # numbers stay numbers


def test_case_ids_are_stable_across_consecutive_runs_and_reruns(audited):
    con, outputs, _, _, _ = audited
    sep = {c.manager_id: c.case_id for c in outputs[SEP][0].cases}
    oct_cases = outputs[OCT][0].cases
    carried = [c for c in oct_cases if c.manager_id in sep]
    assert carried, "no manager flagged in both months: the seed no longer tests carry-over"
    for c in carried:
        assert c.case_id == sep[c.manager_id] and c.status == "ongoing" and c.first_flagged_month == "2026-09"
    exported = select_cases(con, OCT, first=SEP, last=OCT)
    alerts = exported[exported["kind"] == "alert"]
    assert len(alerts) == len(outputs[SEP][0].cases) + len(oct_cases)
    assert len(exported) - len(alerts) == len(outputs[SEP][0].sample_cases) + len(outputs[OCT][0].sample_cases)
    ongoing = select_cases(con, OCT, first=OCT, last=OCT, statuses=["ongoing"])
    assert set(ongoing["manager_id"]) == {c.manager_id for c in carried}


def test_rerunning_a_month_gives_identical_files(audited, tmp_path):
    con, outputs, _, _, _ = audited
    report, out = outputs[OCT]
    again = build_report(con, OCT, report.run, Settings(warehouse=Path("unused")))
    render_report(again, tmp_path)
    write_flagged_csv(again, tmp_path / "flagged_cases.csv")
    for name in ("index.html", "method.html", "flagged_cases.csv", f"managers/{HIJACKER}.html"):
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name
    # the method page says which catalogue features are shown but not scored
    assert "仅供参考，不计入评分" in (out / "method.html").read_text(encoding="utf-8")


def test_every_feature_has_evidence_and_every_evidence_column_a_word():
    from features.catalog import FEATURE_NAMES

    assert set(FEATURE_EVIDENCE) == set(FEATURE_NAMES)
    for lang in ("zh", "en"):
        t = words(lang)
        for kind, spec in KINDS.items():
            assert f"ev_{kind}" in t
            assert all(col in t for col, _ in spec.columns), (lang, kind)


def test_a_real_browser_renders_the_index_and_a_manager_page(audited, tmp_path):
    assert shutil.which("chromium"), "Debian's chromium is missing: `make chromium` installs it"
    _, outputs, unmasked, _, _ = audited
    report, out = outputs[OCT]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync"]

    def chromium(*args: str) -> str:
        profile = tmp_path / f"profile-{len(list(tmp_path.iterdir()))}"
        done = subprocess.run(["chromium", *flags, f"--user-data-dir={profile}", *args],
                              capture_output=True, text=True, timeout=120, check=True)
        return done.stdout

    dom = chromium("--dump-dom", (out / "index.html").as_uri())
    assert dom.count('<tr class="case">') == len(report.cases)
    assert "预警案件" in dom and "风险分" in dom and "客户经理修改客户电话次数" in dom
    page = out / report.pages[0].case.page
    page_dom = chromium("--dump-dom", page.as_uri())
    assert 'class="evidence"' in page_dom and "主要原因" in page_dom
    for name, url in [("index-zh.png", (out / "index.html").as_uri()), ("manager-zh.png", page.as_uri()),
                      ("index-en-unmasked.png", (unmasked / "index.html").as_uri())]:
        chromium("--window-size=1400,2200", f"--screenshot={ARTIFACTS / name}", url)
        assert (ARTIFACTS / name).stat().st_size > 20_000


def test_feidan_export_writes_the_chosen_cases_from_the_warehouse(audited, tmp_path):
    con, outputs, _, _, _ = audited
    con.execute("checkpoint")  # the export runs in its own process on a copy of the warehouse
    db = tmp_path / "copy.duckdb"
    shutil.copy(outputs[OCT][1].parent / "w.duckdb", db)
    target = tmp_path / "ongoing.csv"
    done = subprocess.run([str(Path(sys.executable).parent / "feidan"), "export", "--db", str(db),
                           "--from", "2026-09", "--to", "2026-10", "--status", "ongoing", "--out", str(target),
                           "--xlsx"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    rows = list(csv.reader(target.read_text(encoding="utf-8-sig").splitlines()))
    ongoing = [c for c in outputs[OCT][0].cases if c.status == "ongoing"]
    assert rows[0] == COLUMNS and len(rows) == 1 + len(ongoing)
    assert {r[0] for r in rows[1:]} == {c.case_id for c in ongoing}
    assert target.with_suffix(".xlsx").exists()
    bad = subprocess.run([str(Path(sys.executable).parent / "feidan"), "export", "--db", str(db),
                          "--status", "maybe"], capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and "unknown status maybe" in bad.stderr


# measures the rendered evidence tables in the browser: cells that look like a number, an amount,
# a date, a time or an id, whose text runs over more than one line; amounts not right-aligned
_MEASURE = """<script>
const broken = [], left = [];
for (const td of document.querySelectorAll('main table td')) {
  const text = td.textContent.trim();
  if (!/^(-?[\\d,]+(\\.\\d+)?|\\d{4}-\\d\\d(-\\d\\d)?( \\d\\d:\\d\\d)?|[A-Za-z]+\\d+|[\\d*]{4,})$/.test(text)) continue;
  const r = document.createRange(); r.selectNodeContents(td);
  const lines = new Set([...r.getClientRects()].map(x => Math.round(x.top))).size;
  if (lines > 1) broken.push(text);
  if (/^-?[\\d,]+\\.\\d\\d$/.test(text) && getComputedStyle(td).textAlign !== 'right') left.push(text);
}
document.body.setAttribute('data-broken', JSON.stringify(broken));
document.body.setAttribute('data-left', JSON.stringify(left));
</script>"""


def test_evidence_numbers_ids_and_dates_never_break_and_amounts_align_right(audited, tmp_path):
    import html
    import json

    _, outputs, _, _, _ = audited
    report, out = outputs[OCT]
    checked = 0
    for page in report.pages[:4]:
        source = (out / page.case.page).read_text(encoding="utf-8")
        probe = tmp_path / "managers" / Path(page.case.page).name
        probe.parent.mkdir(exist_ok=True)
        probe.write_text(source.replace("</body>", _MEASURE + "</body>"), encoding="utf-8")
        dom = subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                              f"--user-data-dir={tmp_path / 'profile'}", "--window-size=900,2000", "--dump-dom",
                              probe.as_uri()], capture_output=True, text=True, timeout=120, check=True).stdout
        broken = json.loads(html.unescape(re.search(r'data-broken="([^"]*)"', dom).group(1)))
        left = json.loads(html.unescape(re.search(r'data-left="([^"]*)"', dom).group(1)))
        assert not broken, (page.case.manager_id, broken[:10])
        assert not left, (page.case.manager_id, left[:10])
        checked += source.count("<td")
    assert checked > 100


def test_peer_table_shows_the_month_a_reason_quotes_with_the_same_numbers(audited):
    _, outputs, _, _, _ = audited
    report, out = outputs[OCT]
    earlier = 0
    for page in report.pages:
        rows = {(f.label, f.month): f for f in page.features}
        assert all(f.month for f in page.features)
        for r in page.case.reasons:
            if r.month is None:
                continue
            row = rows[(r.label, r.month)]  # the reason's own month is in the table, same numbers
            assert row.is_reason and row.value == r.value and row.peer_median == r.peer_median
            if r.peer_z is not None:
                assert row.peer_z == f"{r.peer_z:+.1f}"
            if any(f.month == "2026-10" for f in page.features):  # not a manager gone before October
                assert (r.label, "2026-10") in rows  # and the audit month beside it
            earlier += r.month != "2026-10"
    assert earlier, "no reason quotes an earlier month: the seed no longer tests the case"
    html = (out / report.pages[0].case.page).read_text(encoding="utf-8")
    assert "审计月 2026-10" in html


def test_the_distribution_is_the_detectors_raw_score_on_a_log_scale_with_cases_and_alert_line(audited):
    con, outputs, _, _, _ = audited
    report, out = outputs[OCT]
    raw = con.execute("select manager_id, raw_score from scores where month = ?", [OCT]).df()
    assert raw["raw_score"].notna().all() and raw["raw_score"].nunique() > 50
    index = (out / "index.html").read_text(encoding="utf-8")
    svg = index[index.index("<svg"):index.index("</svg>")]
    assert "原始分" in svg and "对数" in svg
    ticks = [float(v) for v in re.findall(r'class="tick">([^<]+)<', svg)]
    assert len(ticks) >= 3 and all(abs(b / a - 10) < 1e-9 for a, b in zip(ticks, ticks[1:], strict=False))
    marks = [float(x) for x in re.findall(r'<line class="case" x1="([\d.]+)"', svg)]
    assert len(marks) == len(report.cases)
    line = float(re.search(r'<line class="threshold" x1="([\d.]+)"', svg).group(1))
    assert min(marks) == pytest.approx(line, abs=0.2) and all(x >= line - 0.2 for x in marks)
    heights = {round(float(h)) for h in re.findall(r'<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)"'
                                                   r' fill="#5b7fa6"', svg)}
    assert len(heights) >= 5  # not flat: a percentile would be
    cases = set(c.manager_id for c in report.cases)
    median = raw.loc[~raw["manager_id"].isin(cases), "raw_score"].median()
    assert raw.loc[raw["manager_id"].isin(cases), "raw_score"].min() > 3 * median  # the cases stand out


def _lowercase_english_cells(html: str) -> set[str]:
    """Table cells and notes whose whole text is lowercase English words (a CRM code or an English
    message left untranslated); identifiers shown beside their words are in a span.note."""
    import html as h

    html = re.sub(r'<span class="note">[^<]*</span>', "", html)
    html = re.sub(r'<td class="text">[^<]*</td>', "", html)  # CRM free text is shown as written
    html = html.split('<section id="versions">')[0]  # library names
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", html)
    return {h.unescape(c).strip() for c in cells if re.fullmatch(r"[a-z][a-z_ ,()-]*", h.unescape(c).strip())}


def test_the_chinese_report_has_no_english_codes_and_explains_the_family_numbers(audited):
    from core.contract import TABLES
    from features.catalog import FAMILIES

    _, outputs, _, _, _ = audited
    report, out = outputs[OCT]
    pages = {"index.html": (out / "index.html").read_text(encoding="utf-8"),
             "method.html": (out / "method.html").read_text(encoding="utf-8")}
    for page in report.pages:
        pages[page.case.page] = (out / page.case.page).read_text(encoding="utf-8")
    def identifier(cell: str) -> bool:  # table names (file names of the bundle), the detector's name
        return set(cell.split(", ")) <= set(TABLES) or cell == Settings().detector

    english = {name: {c for c in _lowercase_english_cells(html) if not identifier(c)}
               for name, html in pages.items()}
    assert not {k: v for k, v in english.items() if v}, english
    text = "".join(pages.values())
    assert "ground truth" not in text and "生成数据的标注文件" in text
    assert "高级" in pages["index.html"] or "中级" in pages["index.html"] or "初级" in pages["index.html"]
    legend = "".join(f"{n} {zh}" for n, (zh, _) in FAMILIES.items())
    for name in ["method.html"] + [p.case.page for p in report.pages]:
        notes = re.search(r'<p class="note families">([^<]+)</p>', pages[name])
        assert notes and legend == notes.group(1).replace("类别：", "").replace(" · ", ""), name
    assert "评分窗口（月）" in pages["method.html"]


def test_reason_codes_are_stable_across_languages_and_the_xlsx_keeps_ids_and_months_as_text(audited, tmp_path):
    from openpyxl import load_workbook

    from features.catalog import FEATURE_NAMES
    from reports.export import write_xlsx

    _, outputs, _, english, _ = audited
    report, out = outputs[OCT]
    write_flagged_csv(english, tmp_path / "en.csv")
    zh = {r["case_id"]: r for r in csv.DictReader((out / "flagged_cases.csv").read_text("utf-8-sig").splitlines())}
    en = {r["case_id"]: r for r in csv.DictReader((tmp_path / "en.csv").read_text("utf-8-sig").splitlines())}
    assert zh.keys() == en.keys()
    csv_header = next(csv.reader((out / "flagged_cases.csv").read_text("utf-8-sig").splitlines()))
    for i in (1, 2, 3):  # each reason's feature code next to its words
        assert csv_header.index(f"reason_{i}_code") + 1 == csv_header.index(f"reason_{i}")
    for case in report.cases:
        row = zh[case.case_id]
        codes = [row[f"reason_{i}_code"] for i in (1, 2, 3)]
        assert codes == [r.feature for r in case.reasons] + [""] * (3 - len(case.reasons))
        assert all(c in FEATURE_NAMES for c in codes if c)
        assert codes == [en[case.case_id][f"reason_{i}_code"] for i in (1, 2, 3)]  # same in English
        assert row["reason_1"] != en[case.case_id]["reason_1"]  # while the words change
    ws = load_workbook(out / "flagged_cases.xlsx").active
    header = [c.value for c in ws[1]]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref == f"A1:{ws.cell(1, len(header)).column_letter}{ws.max_row}"
    widths = {h: ws.column_dimensions[ws.cell(1, i + 1).column_letter].width for i, h in enumerate(header)}
    assert widths["case_id"] >= len("FD-202610-M000396") and widths["reason_1"] > widths["rank"]
    for row in ws.iter_rows(min_row=2):
        cells = dict(zip(header, row, strict=True))
        assert cells["as_of_month"].value == "2026-10" and cells["as_of_month"].data_type == "s"
        assert cells["as_of_month"].number_format == "@"
    # ids of digits: leading zeros and all 19 digits survive (typed as text, not numbers)
    frame = pd.DataFrame([{c: "" for c in COLUMNS} | {"case_id": "FD-1", "manager_id": "0012345",
                                                       "branch_id": "6222021234567890123", "risk_score": 99.5,
                                                       "rank": 1, "as_of_month": "2026-10"}])
    ws = load_workbook(write_xlsx(frame, tmp_path / "ids.xlsx")).active
    values = {h.value: c.value for h, c in zip(ws[1], ws[2], strict=True)}
    assert (values["manager_id"], values["branch_id"], values["as_of_month"]) == \
        ("0012345", "6222021234567890123", "2026-10")
    assert values["risk_score"] == 99.5


def test_the_below_the_line_sample_is_listed_exported_and_once_decided_gives_the_miss_rate(audited, tmp_path):
    """The month's sample: its own index section (rank, score, band, a page per manager), `sample`
    rows in the CSV; decided like the oracle replay does (planted managers confirmed, the others
    dismissed), the method page shows the estimate, its interval and k of n decided, quoting the
    settings. The decisions are rolled back: the other tests read the undecided warehouse."""
    from models.sampling import load_sample, sample_size

    con, outputs, _, _, bundle = audited
    report, out = outputs[OCT]
    sample = load_sample(con, OCT)
    flagged = {c.manager_id for c in report.cases}
    scored = con.execute("select count(*) from scores where month = ?", [OCT]).fetchall()[0][0]
    population = scored - len(flagged)  # nobody suppressed in this warehouse
    assert len(sample) == sample_size(population, 0.01, 0.95) and not set(sample["manager_id"]) & flagged
    assert [c.case_id for c in report.sample_cases] == list(sample["case_id"])
    assert all(c.kind == "sample" and c.case_id.startswith("SM-202610-") for c in report.sample_cases)
    index = (out / "index.html").read_text(encoding="utf-8")
    section = index[index.index('<section id="sample">'):]
    section = section[:section.index("</section>")]
    assert section.count('<tr class="sample">') == len(sample)
    assert f"{len(sample)} 名" in section and f"{population} 名" in section and "95%" in section and "1%" in section
    first = report.sample_cases[0]
    assert f'href="{first.page}"' in section and (out / first.page).exists()
    page = (out / first.page).read_text(encoding="utf-8")
    assert "低于预警线抽样" in page and first.case_id in page and "首次预警" not in page
    rows = list(csv.DictReader((out / "flagged_cases.csv").read_text("utf-8-sig").splitlines()))
    sampled_rows = [r for r in rows if r["kind"] == "sample"]
    assert [r["case_id"] for r in sampled_rows] == list(sample["case_id"])
    assert all(r["first_flagged_month"] == "" and r["status"] == "new" for r in sampled_rows)

    method = (out / "method.html").read_text(encoding="utf-8")
    assert "尚无已处置的抽样案件" in method  # drawn, not decided yet
    planted = set(pd.read_csv(bundle / "labels.csv", dtype=str)["manager_id"])
    con.execute("begin transaction")
    try:
        for i, row in enumerate(sample.itertuples(index=False)):
            if i % 10 == 9:
                continue  # a tenth still open
            con.execute("insert into dispositions values (?, ?, ?, null, 'oracle', null, '2026-11-10 09:00:00', "
                        "'oracle.csv', ?)", [row.case_id, row.manager_id,
                                              "confirmed" if row.manager_id in planted else "dismissed", i + 2])
        decided = build_report(con, OCT, report.run, Settings(warehouse=Path("unused"),
                                                              sample_tolerable_miss_rate=0.02))
        render_report(decided, tmp_path)
    finally:
        con.execute("rollback")
    sample["decided"] = [i % 10 != 9 for i in range(len(sample))]
    sample["confirmed"] = sample["decided"] & sample["manager_id"].isin(planted)
    bands = sample.groupby("stratum").agg(size=("stratum_size", "first"), decided=("decided", "sum"),
                                          confirmed=("confirmed", "sum"))
    estimate = float((bands["size"] / bands["size"].sum() * bands["confirmed"] / bands["decided"]).sum())
    html = (tmp_path / "method.html").read_text(encoding="utf-8")
    text = html[html.index('<section id="miss-rate">'):]
    text = text[:text.index("</section>")]
    k = int(sample["decided"].sum())
    assert f"2026-10 的抽样已处置 {k}/{len(sample)} 名（确认 {int(sample['confirmed'].sum())} 名）" in text
    shown = re.search(r"飞单的估计比例为 ([\d.]+)%（95% 区间 ([\d.]+)% – ([\d.]+)%）", text)
    assert shown, text
    low, est, high = float(shown.group(2)), float(shown.group(1)), float(shown.group(3))
    assert est == pytest.approx(100 * estimate, abs=0.006) and low <= est <= high
    assert "可容忍漏报率 2%" in text  # quoted from the settings the report was built with
    assert decided.method["miss_rate"]["status"] == "estimated"
