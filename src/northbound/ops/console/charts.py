"""Small server-drawn charts: inline SVG, no JavaScript, readable by screen readers.

Each chart is a polyline of one value a minute over 30 minutes, scaled to its own maximum,
with a text alternative that states the latest value and the peak (the numbers an operator
acts on; the line only shows the trend).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH, HEIGHT, PAD = 300, 80, 4


@dataclass
class Chart:
    ident: str
    title: str
    description: str
    svg: Markup


def _points(values: Sequence[float | None], top: float) -> str:
    step = (WIDTH - 2 * PAD) / max(1, len(values) - 1)
    coords = []
    for index, value in enumerate(values):
        if value is None:
            continue
        y = HEIGHT - PAD - (value / top) * (HEIGHT - 2 * PAD) if top > 0 else HEIGHT - PAD
        coords.append(f"{PAD + index * step:.1f},{y:.1f}")
    return " ".join(coords)


def line_chart(
    ident: str, title: str, values: Sequence[float | None], unit: str, description: str
) -> Chart:
    """An SVG line for ``values`` (None: no data that minute) with its text alternative."""
    known = [v for v in values if v is not None]
    top = max(known, default=0.0)
    svg = Markup(
        '<svg class="chart" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        'aria-labelledby="{i}-title {i}-desc" focusable="false">'
        '<title id="{i}-title">{t}</title><desc id="{i}-desc">{d}</desc>'
        '<rect x="0" y="0" width="{w}" height="{h}" fill="#f8f8f8" stroke="#6f6f6f"/>'
        '<polyline fill="none" stroke="#1d4f91" stroke-width="2" points="{p}"/></svg>'
    ).format(w=WIDTH, h=HEIGHT, i=ident, t=title, d=description, p=_points(values, top))
    return Chart(ident, str(escape(title)), description, svg)


def describe(values: Sequence[float | None], unit: str, latest_label: str, peak_label: str) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return ""
    return f"{latest_label} {known[-1]:,.2f} {unit}; {peak_label} {max(known):,.2f} {unit}"
