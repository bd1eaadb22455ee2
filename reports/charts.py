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
