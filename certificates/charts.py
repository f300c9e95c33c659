"""Bar charts for the staff overview, drawn as SVG on the server.

Written here rather than taken from a chart library: the pages allow no script and no inline style
(CSP ``script-src 'self'``, ``style-src 'self'``), and three bar charts need only rectangles and
text. Colours are SVG presentation attributes (not CSS, so the CSP allows them). Each chart is an
image with a title (``role="img"``, ``<title>``); its numbers are in a table beside it, which is
what a screen reader reads.
"""

from dataclasses import dataclass

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

# Okabe–Ito colours: told apart with the common colour-vision deficiencies, each ≥ 3:1 on white.
COLOURS = ("#0072B2", "#B35900", "#007A5A", "#CC3311", "#6A3D9A")
TEXT = "#333333"
GRID = "#CCCCCC"


@dataclass(frozen=True)
class Series:
    label: str
    values: list[int]
    colour: str


def nice_max(value: int) -> int:
    """The axis top: 1, 2 or 5 times a power of ten, at least ``value`` (and at least 1)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return max(step * factor, 1)
        step *= 10


def _svg(*, width: int, height: int, title_id: str, title: str, body: SafeString) -> SafeString:
    return format_html(
        '<svg class="ops-chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        'aria-labelledby="{id}" xmlns="http://www.w3.org/2000/svg">'
        '<title id="{id}">{title}</title>{body}</svg>',
        w=width, h=height, id=title_id, title=title, body=body,
    )


def column_chart(*, title_id: str, title: str, labels: list[str], series: list[Series],
                 label_every: int = 1, width: int = 720, height: int = 240) -> SafeString:
    """Columns, one per label, the series stacked bottom-up; the y axis at 0, half and top."""
    left, right, top, bottom = 48, 8, 12, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    peak = nice_max(max(totals, default=0))
    slot = plot_w / max(len(labels), 1)
    bar = max(slot * 0.7, 1)
    parts = []
    for fraction in (0, 0.5, 1):
        y = top + plot_h * (1 - fraction)
        parts.append(format_html(
            '<line x1="{}" x2="{}" y1="{y}" y2="{y}" stroke="{}" stroke-width="1"/>'
            '<text x="{}" y="{ty}" text-anchor="end" font-size="11" fill="{}">{}</text>',
            left, width - right, GRID, left - 6, TEXT, _number(round(peak * fraction)),
            y=_f(y), ty=_f(y + 4),
        ))
    for i, label in enumerate(labels):
        x = left + slot * i + (slot - bar) / 2
        base = top + plot_h
        for each in series:
            value = each.values[i]
            if value <= 0:
                continue
            h = plot_h * value / peak
            base -= h
            parts.append(format_html(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>',
                _f(x), _f(base), _f(bar), _f(h), each.colour,
            ))
        if i % label_every == 0:
            parts.append(format_html(
                '<text x="{}" y="{}" text-anchor="middle" font-size="11" fill="{}">{}</text>',
                _f(x + bar / 2), height - bottom + 16, TEXT, label,
            ))
    return _svg(width=width, height=height, title_id=title_id, title=title,
                body=format_html_join("", "{}", ((part,) for part in parts)))


def bar_chart(*, title_id: str, title: str, rows: list[tuple[str, int]], colour: str = COLOURS[0],
              width: int = 720, row_height: int = 24) -> SafeString:
    """Horizontal bars, one per (label, value), the value written after the bar."""
    left, right, top = 150, 80, 4
    plot_w = width - left - right
    peak = nice_max(max((value for _label, value in rows), default=0))
    height = top * 2 + row_height * len(rows)
    parts = []
    for i, (label, value) in enumerate(rows):
        y = top + row_height * i
        w = plot_w * value / peak
        parts.append(format_html(
            '<text x="{}" y="{}" text-anchor="end" font-size="12" fill="{}">{}</text>'
            '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"/>'
            '<text x="{}" y="{}" font-size="12" fill="{}">{}</text>',
            left - 8, _f(y + row_height * 0.65), TEXT, label,
            left, y + 3, _f(w), row_height - 6, colour,
            _f(left + w + 6), _f(y + row_height * 0.65), TEXT, _number(value),
        ))
    return _svg(width=width, height=height, title_id=title_id, title=title,
                body=format_html_join("", "{}", ((part,) for part in parts)))


def _f(value: float) -> str:
    """A coordinate as SVG wants it (format_html escapes its arguments, so no format specs)."""
    return f"{value:.1f}"


def _number(value: int) -> str:
    return f"{value:,}"
