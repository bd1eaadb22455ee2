"""Inline SVG charts, drawn by hand: no JavaScript, no fonts or files to fetch, text kept as
text (searchable, translatable). Inputs are numbers and our own labels; every label is
escaped anyway."""

from __future__ import annotations

from html import escape

from markupsafe import Markup

W, H = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 12, 12, 36


def _svg(body: list[str], title: str, width: int = W, height: int = H) -> Markup:
    # inline SVG inside HTML5 needs no xmlns (and the report holds no URL at all)
    head = (f'<svg role="img" viewBox="0 0 {width} {height}" '
            f'width="{width}" height="{height}" class="chart"><title>{escape(title)}</title>')
    return Markup(head + "".join(body) + "</svg>")


def score_histogram(scores: list[float], threshold: float | None, title: str, x_label: str,
                    y_label: str, threshold_label: str, bins: int = 20) -> Markup:
    """Managers per risk-score bin (0-100), the alert threshold as a red line."""
    counts = [0] * bins
    for s in scores:
        counts[min(bins - 1, max(0, int(s / (100 / bins))))] += 1
    top = max(counts) or 1
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM
    bw = pw / bins
    body = [f'<line x1="{LEFT}" y1="{TOP + ph}" x2="{LEFT + pw}" y2="{TOP + ph}" stroke="#555"/>']
    for i, c in enumerate(counts):
        h = ph * c / top
        body.append(f'<rect x="{LEFT + i * bw + 1:.1f}" y="{TOP + ph - h:.1f}" width="{bw - 2:.1f}" '
                    f'height="{h:.1f}" fill="#5b7fa6"><title>{i * 100 // bins}-{(i + 1) * 100 // bins}: '
                    f'{c}</title></rect>')
    for v in range(0, 101, 20):
        x = LEFT + pw * v / 100
        body.append(f'<text x="{x:.1f}" y="{TOP + ph + 14}" font-size="11" text-anchor="middle">{v}</text>')
    body.append(f'<text x="{LEFT - 6}" y="{TOP + 10}" font-size="11" text-anchor="end">{top}</text>')
    body.append(f'<text x="{LEFT - 6}" y="{TOP + ph}" font-size="11" text-anchor="end">0</text>')
    body.append(f'<text x="{LEFT + pw / 2:.1f}" y="{H - 4}" font-size="12" text-anchor="middle">'
                f'{escape(x_label)}</text>')
    body.append(f'<text x="12" y="{TOP + ph / 2:.1f}" font-size="12" text-anchor="middle" '
                f'transform="rotate(-90 12 {TOP + ph / 2:.1f})">{escape(y_label)}</text>')
    if threshold is not None:
        x = LEFT + pw * threshold / 100
        body.append(f'<line x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + ph}" stroke="#c0392b" '
                    'stroke-width="2" stroke-dasharray="4 3"/>')
        # the label sits on a white box so the bars never hide it
        text = f"{threshold_label} {threshold:.1f}"
        width = sum(11 if ord(ch) > 0x2E80 else 6.5 for ch in text)  # CJK glyphs are about square
        label = escape(text)
        body.append(f'<rect x="{x - 8 - width:.1f}" y="{TOP + 2}" width="{width + 4:.1f}" '
                    'height="14" fill="#fff" opacity="0.9"/>')
        body.append(f'<text x="{x - 6:.1f}" y="{TOP + 13}" font-size="11" fill="#c0392b" '
                    f'text-anchor="end">{label}</text>')
    return _svg(body, title)


def raw_score_distribution(raw: list[float], cases: list[float], threshold: float | None, title: str,
                           x_label: str, y_label: str, threshold_label: str, case_label: str,
                           bins: int = 40) -> Markup:
    """The detector's own score (before it becomes a percentile) of every manager, on a log
    scale both ways: the bulk of the managers on the left, the cases as red marks under the
    axis, the alert line at the lowest case's raw score, so an analyst sees how far the
    cases stand out. Scores at or below the lowest tick fall in the first bin."""
    import math

    positive = [v for v in raw if v is not None and v > 0 and math.isfinite(v)]
    if not positive:
        return _svg([], title)
    hi_exp = math.ceil(math.log10(max(positive)))
    lo_exp = min(hi_exp - 1, math.floor(math.log10(sorted(positive)[len(positive) // 100])))  # 1st percentile
    lo, span = float(lo_exp), float(hi_exp - lo_exp)
    pw, ph = W - LEFT - RIGHT, H - TOP - BOTTOM - 10  # room under the axis for the case marks

    def x_of(v: float) -> float:
        e = math.log10(v) if v > 0 else lo
        return LEFT + pw * min(1.0, max(0.0, (e - lo) / span))

    counts = [0] * bins
    for v in raw:
        if v is None or not math.isfinite(v):
            continue
        counts[min(bins - 1, int((x_of(v) - LEFT) / pw * bins))] += 1
    top = math.log10(1 + max(counts))
    bw = pw / bins
    body = [f'<line x1="{LEFT}" y1="{TOP + ph}" x2="{LEFT + pw}" y2="{TOP + ph}" stroke="#555"/>']
    for n in (1, 10, 100, 1000, 10000, 100000):  # grid first, the bars over it
        if math.log10(1 + n) > top:
            break
        y = TOP + ph - ph * math.log10(1 + n) / top
        body.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{n:,}</text>')
        body.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + pw}" y2="{y:.1f}" stroke="#eee"/>')
    for i, c in enumerate(counts):
        if not c:
            continue
        h = ph * math.log10(1 + c) / top
        a, b = 10 ** (lo + span * i / bins), 10 ** (lo + span * (i + 1) / bins)
        body.append(f'<rect x="{LEFT + i * bw + 0.5:.1f}" y="{TOP + ph - h:.1f}" width="{bw - 1:.1f}" '
                    f'height="{h:.1f}" fill="#5b7fa6"><title>{a:.3g}–{b:.3g}: {c}</title></rect>')
    for e in range(lo_exp, hi_exp + 1):
        x = LEFT + pw * (e - lo) / span
        body.append(f'<line x1="{x:.1f}" y1="{TOP + ph}" x2="{x:.1f}" y2="{TOP + ph + 4}" stroke="#555"/>')
        body.append(f'<text x="{x:.1f}" y="{TOP + ph + 24}" font-size="11" text-anchor="middle" '
                    f'class="tick">{10.0 ** e:g}</text>')
    for v in cases:
        if v is None or not math.isfinite(v):
            continue
        x = x_of(v)
        body.append(f'<line class="case" x1="{x:.1f}" y1="{TOP + ph + 2}" x2="{x:.1f}" y2="{TOP + ph + 10}" '
                    f'stroke="#c0392b" stroke-width="2"><title>{escape(case_label)} {v:.3g}</title></line>')
    body.append(f'<text x="{LEFT + pw / 2:.1f}" y="{H - 2}" font-size="12" text-anchor="middle">'
                f'{escape(x_label)}</text>')
    body.append(f'<text x="12" y="{TOP + ph / 2:.1f}" font-size="12" text-anchor="middle" '
                f'transform="rotate(-90 12 {TOP + ph / 2:.1f})">{escape(y_label)}</text>')
    if threshold is not None and math.isfinite(threshold):
        x = x_of(threshold)
        body.append(f'<line class="threshold" x1="{x:.1f}" y1="{TOP}" x2="{x:.1f}" y2="{TOP + ph}" '
                    'stroke="#c0392b" stroke-width="2" stroke-dasharray="4 3"/>')
        text = f"{threshold_label} {threshold:.3g}"
        width = sum(11 if ord(ch) > 0x2E80 else 6.5 for ch in text)
        anchor_right = x - 8 - width > LEFT
        tx = x - 6 if anchor_right else x + 6
        body.append(f'<rect x="{(x - 8 - width) if anchor_right else (x + 4):.1f}" y="{TOP + 2}" '
                    f'width="{width + 4:.1f}" height="14" fill="#fff" opacity="0.9"/>')
        body.append(f'<text x="{tx:.1f}" y="{TOP + 13}" font-size="11" fill="#c0392b" '
                    f'text-anchor="{"end" if anchor_right else "start"}">{escape(text)}</text>')
    return _svg(body, title)


def score_history(points: list[tuple[str, float, bool]], title: str, y_label: str) -> Markup:
    """Risk score per scored month (label, score, flagged); flagged months drawn in red."""
    w, h, top = 540, 190, TOP + 14  # room above 100 for the value labels
    pw, ph = w - LEFT - RIGHT - 24, h - top - BOTTOM  # and right of the last month's label
    n = len(points)
    step = pw / max(n - 1, 1)
    xy = [(LEFT + (i * step if n > 1 else pw / 2), top + ph * (1 - s / 100)) for i, (_, s, _) in enumerate(points)]
    body = [f'<line x1="{LEFT}" y1="{top + ph}" x2="{LEFT + pw}" y2="{top + ph}" stroke="#555"/>']
    for v in (0, 50, 100):
        y = top + ph * (1 - v / 100)
        body.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{v}</text>')
        body.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + pw}" y2="{y:.1f}" stroke="#ddd"/>')
    if n > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
        body.append(f'<polyline points="{path}" fill="none" stroke="#5b7fa6" stroke-width="2"/>')
    for (label, s, flagged), (x, y) in zip(points, xy, strict=True):
        colour = "#c0392b" if flagged else "#5b7fa6"
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}"><title>{escape(label)}: '
                    f'{s:.1f}</title></circle>')
        body.append(f'<text x="{x:.1f}" y="{top + ph + 14}" font-size="11" text-anchor="middle">'
                    f'{escape(label)}</text>')
        body.append(f'<text x="{x:.1f}" y="{y - 8:.1f}" font-size="11" text-anchor="middle">{s:.0f}</text>')
    body.append(f'<text x="12" y="{top + ph / 2:.1f}" font-size="12" text-anchor="middle" '
                f'transform="rotate(-90 12 {top + ph / 2:.1f})">{escape(y_label)}</text>')
    return _svg(body, title, w, h)
