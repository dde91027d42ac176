"""Charts as inline SVG, drawn on the server: no script, no remote file, and no style attribute
(the page policy's style-src 'self' refuses them), only presentation attributes.

Each chart is an image to assistive technology (role="img", named by its <title> and
described by its <desc>, which states the figures in words); the page shows the same numbers
in a table. Colours keep at least 3:1 against the white card for the marks and 4.5:1 for
text (WCAG 2.1 1.4.11 and 1.4.3)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

BAR = "#1f4fc4"  # 6.9:1 on white
LINE = "#a4400b"  # 6.0:1 on white; drawn over a white halo where it crosses the bars
INK = "#1d2330"  # 15:1
MUTED = "#4f5766"  # 7.3:1
GRID = "#c9ced8"  # decorative: the numbers are labelled
WIDTH = 720
FONT = Markup('font-family="system-ui, sans-serif" font-size="12"')
_RECT = Markup('<rect class="chart-bar" x="{x}" y="{y}" width="{w}" height="{h}" fill="{fill}"/>')
LABEL_CHARS = 24  # longer labels are cut in the picture; the table has them whole


@dataclass(frozen=True)
class Column:
    label: str  # the bucket, as the axis and the table name it
    count: int
    average: float | None  # None: no review, no point on the line


def _num(value: float) -> str:
    """Coordinates with two decimals at most, no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50... that is at least `value` (an axis' top)."""
    step = 1
    while True:
        for factor in (1, 2, 5):
            if step * factor >= value:
                return step * factor
        step *= 10


def _short(label: str) -> str:
    return label if len(label) <= LABEL_CHARS else label[: LABEL_CHARS - 1] + "…"


def _open(chart_id: str, title: str, summary: str, height: int) -> list[Markup]:
    return [
        Markup(
            '<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {w} {h}" '
            'role="img" aria-labelledby="{id}-title {id}-desc" {font}>'
        ).format(w=WIDTH, h=height, id=chart_id, font=FONT),
        Markup('<title id="{id}-title">{title}</title>').format(id=chart_id, title=title),
        Markup('<desc id="{id}-desc">{summary}</desc>').format(id=chart_id, summary=summary),
    ]


def _text(x: float, y: float, text: str, *, anchor: str = "start", fill: str = INK) -> Markup:
    return Markup(
        '<text x="{x}" y="{y}" text-anchor="{anchor}" fill="{fill}">{text}</text>'
    ).format(x=_num(x), y=_num(y), anchor=anchor, fill=fill, text=text)


def columns_with_line(
    chart_id: str, title: str, summary: str, columns: Sequence[Column], line_top: float = 5
) -> Markup:
    """Bars of counts on the left axis and a line of averages (0..line_top) on the right one;
    the line breaks where a bucket has no average."""
    left, right, top, bottom, height = 48, 40, 12, 36, 260
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    ceiling = nice_ceiling(max((c.count for c in columns), default=0) or 1)
    parts = _open(chart_id, title, summary, height)
    for fraction in (0, 0.5, 1):
        y = top + plot_h * (1 - fraction)
        parts.append(
            Markup('<line x1="{x1}" x2="{x2}" y1="{y}" y2="{y}" stroke="{grid}" />').format(
                x1=left, x2=left + plot_w, y=_num(y), grid=GRID
            )
        )
        count_tick = ceiling * fraction
        if count_tick == int(count_tick):  # counts are whole: no tick at 2.5 reviews
            parts.append(_text(left - 6, y + 4, _num(count_tick), anchor="end", fill=MUTED))
        parts.append(_text(left + plot_w + 6, y + 4, _num(line_top * fraction), fill=LINE))
    slot = plot_w / max(len(columns), 1)
    points: list[tuple[float, float] | None] = []
    for index, column in enumerate(columns):
        bar_h = plot_h * column.count / ceiling
        x = left + slot * index + slot * 0.15
        if column.count:
            parts.append(
                _RECT.format(
                    x=_num(x),
                    y=_num(top + plot_h - bar_h),
                    w=_num(slot * 0.7),
                    h=_num(bar_h),
                    fill=BAR,
                )
            )
        if column.average is None:
            points.append(None)
        else:
            y = top + plot_h * (1 - min(column.average, line_top) / line_top)
            points.append((left + slot * (index + 0.5), y))
    parts += _line(points)
    last = len(columns) - 1
    for index in sorted({0, last // 2, last} if columns else set()):  # first, middle, last
        if index == 0:
            x, anchor = float(left), "start"
        elif index == last:
            x, anchor = float(left + plot_w), "end"
        else:
            x, anchor = left + slot * (index + 0.5), "middle"
        parts.append(_text(x, height - bottom + 18, columns[index].label, anchor=anchor))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def _line(points: Sequence[tuple[float, float] | None]) -> list[Markup]:
    """The averages' path (a new segment after each gap), a white halo under it, a dot on
    each point (a lone point is a dot)."""
    path: list[str] = []
    pen_down = False
    for point in points:
        if point is None:
            pen_down = False
            continue
        path.append(f"{'L' if pen_down else 'M'}{_num(point[0])} {_num(point[1])}")
        pen_down = True
    if not path:
        return []
    d = " ".join(path)
    dot = Markup(
        '<circle class="chart-point" cx="{x}" cy="{y}" r="3.5" fill="{fill}" stroke="#fff" '
        'stroke-width="1.5"/>'
    )
    return [
        Markup(
            '<path d="{d}" fill="none" stroke="#fff" stroke-width="6" stroke-linejoin="round"/>'
        ).format(d=d),
        Markup(
            '<path class="chart-line" d="{d}" fill="none" stroke="{line}" stroke-width="3" '
            'stroke-linejoin="round"/>'
        ).format(d=d, line=LINE),
        *(dot.format(x=_num(p[0]), y=_num(p[1]), fill=LINE) for p in points if p is not None),
    ]


def bar_list(chart_id: str, title: str, summary: str, rows: Sequence[tuple[str, int]]) -> Markup:
    """Horizontal bars, one per labelled value, longest = the largest value."""
    label_w, value_w, row_h, pad = 180, 70, 28, 6
    height = pad * 2 + row_h * max(len(rows), 1)
    bar_room = WIDTH - label_w - value_w
    largest = max((value for _, value in rows), default=0)
    parts = _open(chart_id, title, summary, height)
    for index, (label, value) in enumerate(rows):
        y = pad + row_h * index
        width = bar_room * value / largest if largest else 0
        parts.append(_text(0, y + 18, _short(label)))
        if width:
            parts.append(_RECT.format(x=label_w, y=y + 5, w=_num(width), h=row_h - 10, fill=BAR))
        parts.append(_text(label_w + width + 6, y + 18, f"{value:,}"))
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)
