"""The portfolio's pictures, drawn on the server as SVG.

The same markup goes into the page, the PDF (WeasyPrint) and the tests, so the drawing is
plain text built here: only rect, line, polyline, circle, text, g, title and desc, with
presentation attributes and never a ``style`` (the page runs under a strict
Content-Security-Policy). Each chart also comes with a one-sentence summary and a table,
the two text alternatives of the picture. Pure Python, no Django; the same input always
gives the same bytes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from html import escape
from typing import Any

from assessments.balance.report import CLASSIFICATIONS

WIDTH = 720
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'DejaVu Sans', sans-serif"
TEXT = "#212529"
MUTED = "#495057"
AXIS = "#868e96"
GRID = "#dee2e6"
TRACK = "#f1f3f5"
BOX = "#f8f9fa"
CLASS_COLOURS = {"repeatable": "#0b5394", "common": "#6a329f", "independent": "#38761d"}
# Light tints of the class colours, for the expected ranges.
CLASS_TINTS = {"repeatable": "#cfe2f3", "common": "#d9d2e9", "independent": "#d9ead3"}
TOUCHPOINT_COLOUR = "#c2410c"
OFFERING_COLOUR = "#334155"
STAGE_COLOUR = "#3d5a80"
PRESSURE_BAR = "#b02a37"
SCORE_LINE = "#0b5394"
FLAGS_LINE = "#b02a37"
# (lowest pressure of the step, colour, legend label): pale grey-blue for none, then light
# yellow to dark red.
PRESSURE_STEPS: tuple[tuple[int, str, str], ...] = (
    (0, "#c8d6e5", "0"),
    (1, "#ffffb2", "1"),
    (2, "#fecc5c", "2–3"),
    (4, "#fd8d3c", "4–5"),
    (6, "#f03b20", "6–9"),
    (10, "#bd0026", "10 or more"),
)
JOURNEY_KINDS = ("group", "track", "stage")


@dataclass(frozen=True)
class Chart:
    """A picture and its two text alternatives (a sentence and a table)."""

    svg: str  # one complete <svg> element
    summary: str  # one plain sentence saying what the picture shows
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class TrendPoint:
    """One report in a trend: its label, balance score (None: no score) and open flags."""

    label: str
    score: int | None
    open_flags: int


# --- markup ---------------------------------------------------------------------------------


def _number(value: float) -> str:
    """Coordinates to one decimal place, without a trailing ``.0`` or a ``-0``."""
    text = f"{value:.1f}".removesuffix(".0")
    return "0" if text == "-0" else text


def _attrs(attrs: Mapping[str, object]) -> str:
    parts = []
    for name, value in attrs.items():
        if value is None:
            continue
        if isinstance(value, float):
            shown = _number(value)  # digits, a dot and a sign: nothing to escape
        elif isinstance(value, int):
            shown = str(value)
        else:
            shown = escape(str(value))
        parts.append(f' {name.replace("_", "-")}="{shown}"')
    return "".join(parts)


def _el(tag: str, content: str | None = None, **attrs: object) -> str:
    """One element; ``content`` is markup (already escaped), None for an empty element."""
    if content is None:
        return f"<{tag}{_attrs(attrs)}/>"
    return f"<{tag}{_attrs(attrs)}>{content}</{tag}>"


def _tip(full: str | None) -> str:
    """A <title> child, which browsers show on hover (WeasyPrint does not draw it)."""
    return "" if full is None else f"<title>{escape(full)}</title>"


def _clip(text: str, limit: int | None) -> str:
    if limit is None or len(text) <= limit:
        return text
    return text[: limit - 1].rstrip() + "…"


def _text(
    x: float,
    y: float,
    content: str,
    *,
    size: int = 12,
    anchor: str | None = None,
    weight: str | None = None,
    fill: str = TEXT,
    limit: int | None = None,
    transform: str | None = None,
) -> str:
    """A line of text, cut to ``limit`` characters with "…" (the full text on hover)."""
    shown = _clip(content, limit)
    return _el(
        "text",
        _tip(None if shown == content else content) + escape(shown),
        x=float(x),
        y=float(y),
        font_size=size,
        font_weight=weight,
        text_anchor=anchor,
        fill=fill,
        transform=transform,
    )


def _rect(
    x: float, y: float, w: float, h: float, fill: str, *, tip: str | None = None, **extra: object
) -> str:
    return _el(
        "rect",
        _tip(tip) or None,
        x=float(x),
        y=float(y),
        width=float(max(w, 0)),
        height=float(h),
        fill=fill,
        **extra,
    )


def _line(x1: float, y1: float, x2: float, y2: float, stroke: str, width: float = 1) -> str:
    return _el(
        "line",
        None,
        x1=float(x1),
        y1=float(y1),
        x2=float(x2),
        y2=float(y2),
        stroke=stroke,
        stroke_width=float(width),
    )


def _circle(cx: float, cy: float, r: float, fill: str, **extra: object) -> str:
    return _el("circle", None, cx=float(cx), cy=float(cy), r=float(r), fill=fill, **extra)


def _svg(title: str, summary: str, body: Iterable[str], *, height: float, id_prefix: str) -> str:
    """The complete <svg>: sized, labelled by its own <title> and <desc>."""
    h = math.ceil(height)
    p = escape(id_prefix)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {h}" width="{WIDTH}"'
        f' height="{h}" class="chart" role="img" aria-labelledby="{p}-title {p}-desc"'
        f' font-family="{escape(FONT)}" font-size="12" fill="{TEXT}">'
        f'<title id="{p}-title">{escape(title)}</title>'
        f'<desc id="{p}-desc">{escape(summary)}</desc>' + "".join(body) + "</svg>"
    )


def _chart(
    title: str,
    summary: str,
    body: Iterable[str],
    *,
    height: float,
    id_prefix: str,
    headers: tuple[str, ...],
    rows: Iterable[tuple[str, ...]] = (),
) -> Chart:
    svg = _svg(title, summary, body, height=height, id_prefix=id_prefix)
    return Chart(svg=svg, summary=summary, headers=headers, rows=tuple(rows))


def _message_chart(title: str, summary: str, *, id_prefix: str, headers: tuple[str, ...]) -> Chart:
    """A short picture holding only its summary: nothing to draw yet."""
    body = [_text(16, 30, summary, fill=MUTED, limit=110)]
    return _chart(title, summary, body, height=48, id_prefix=id_prefix, headers=headers)


# --- words and numbers ----------------------------------------------------------------------


def _plural(count: int, word: str) -> str:
    return f"{count} {word if count == 1 else word + 's'}"


def _exact(value: float | int | str) -> Fraction:
    # A stored share or bound is a rounded decimal; repr gives it back as written.
    return Fraction(repr(value)) if isinstance(value, float) else Fraction(value)


def _percent_number(value: Fraction) -> int:
    return math.floor(value * 100 + Fraction(1, 2))  # half up, unlike round()


def _percent(value: Fraction) -> str:
    return f"{_percent_number(value)}%"


def _listed(items: Sequence[str]) -> str:
    """Items joined as a sentence reads them: a; a and b; a, b and c."""
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _title_case(classification: str) -> str:
    return classification.capitalize()


# --- the mix against the expected ranges ----------------------------------------------------


@dataclass(frozen=True)
class _Share:
    """One classification's count and exact share, with its expected range if any."""

    classification: str
    count: int
    total: int
    low: Fraction | None
    high: Fraction | None

    @property
    def share(self) -> Fraction | None:
        return Fraction(self.count, self.total) if self.total else None

    @property
    def against(self) -> str | None:
        """within, below or above the expected range (None: no share or no range)."""
        share = self.share
        if share is None or self.low is None or self.high is None:
            return None
        if share < self.low:
            return "below"
        return "above" if share > self.high else "within"

    @property
    def range_text(self) -> str:
        if self.low is None or self.high is None:
            return "none"
        return f"{_percent_number(self.low)}–{_percent_number(self.high)}%"


def _shares(mix: Mapping[str, Any], ranges: Mapping[str, Any] | None) -> list[_Share]:
    """The three classifications, shares exact from the counts (the stored ones are rounded)."""
    counts = {c: int(mix.get(c, {}).get("count", 0)) for c in CLASSIFICATIONS}
    total = sum(counts.values())
    found = []
    for c in CLASSIFICATIONS:
        bounds = (ranges or {}).get(c)
        found.append(
            _Share(
                classification=c,
                count=counts[c],
                total=total,
                low=_exact(bounds["low"]) if bounds else None,
                high=_exact(bounds["high"]) if bounds else None,
            )
        )
    return found


def _share_track(x: float, y: float, width: float, height: float, share: _Share) -> list[str]:
    """A 0–100 % track: the expected range shaded, the share as a bar ending in a marker."""
    colour = CLASS_COLOURS[share.classification]
    parts = [_rect(x, y, width, height, TRACK, stroke=GRID)]
    if share.low is not None and share.high is not None:
        left, right = x + float(share.low) * width, x + float(share.high) * width
        parts.append(_rect(left, y, right - left, height, CLASS_TINTS[share.classification]))
        parts += [
            _line(left, y, left, y + height, colour),
            _line(right, y, right, y + height, colour),
        ]
    if share.share is not None:
        end = x + float(share.share) * width
        bar = height * 0.45
        parts.append(_rect(x, y + (height - bar) / 2, end - x, bar, colour))
        parts.append(_rect(end - 1.5, y - 3, 3, height + 6, colour))
    return parts


def _share_words(share: _Share) -> str:
    """A share in words, such as 42% (5 of 12 enablers), within the expected range of 40–60%."""
    value = share.share
    if value is None:
        return "no live enablers"
    words = f"{_percent(value)} ({share.count} of {_plural(share.total, 'enabler')})"
    if share.against is not None:
        words += f", {share.against} the expected range of {share.range_text}"
    return words


def mix_chart(
    mix: Mapping[str, Any],
    ranges: Mapping[str, Any] | None,
    *,
    title: str = "Mix of enablers",
    id_prefix: str = "chart",
) -> Chart:
    """The share of each classification on a 0–100 % track against its expected range."""
    shares = _shares(mix, ranges)
    x, width, pitch = 150, 550, 64
    body: list[str] = []
    for i, share in enumerate(shares):
        top = 14 + i * pitch
        colour = CLASS_COLOURS[share.classification]
        body.append(
            _text(
                16, top + 17, _title_case(share.classification), size=13, weight="bold", fill=colour
            )
        )
        body += _share_track(x, top + 4, width, 22, share)
        body.append(_text(x, top + 46, _share_words(share), fill=TEXT))
    axis = 14 + 3 * pitch
    body += _percent_axis(x, width, axis)
    body += _mix_legend(axis + 26, ranged=ranges is not None)
    return _chart(
        title,
        _mix_summary(shares, ranged=ranges is not None),
        body,
        height=axis + 44,
        id_prefix=id_prefix,
        headers=("Classification", "Enablers", "Share", "Expected range", "Against the range"),
        rows=[
            (
                _title_case(s.classification),
                str(s.count),
                "–" if s.share is None else _percent(s.share),
                s.range_text,
                s.against or "–",
            )
            for s in shares
        ],
    )


def _percent_axis(x: float, width: float, y: float) -> list[str]:
    parts = []
    for tick in (0, 25, 50, 75, 100):
        at = x + width * tick / 100
        parts.append(_line(at, y - 6, at, y, AXIS))
        parts.append(_text(at, y + 12, f"{tick}%", size=11, anchor="middle", fill=MUTED))
    return parts


def _mix_legend(y: float, *, ranged: bool) -> list[str]:
    parts = [
        _rect(16, y - 5, 18, 5, MUTED),
        _text(40, y, "share of live enablers", size=11, fill=MUTED),
    ]
    if ranged:
        parts += [
            _rect(200, y - 9, 18, 12, GRID, stroke=AXIS),
            _text(224, y, "expected range for the delivery model", size=11, fill=MUTED),
        ]
    else:
        parts.append(
            _text(200, y, "no expected range: the delivery model is not known", size=11, fill=MUTED)
        )
    return parts


def _mix_summary(shares: Sequence[_Share], *, ranged: bool) -> str:
    if shares[0].total == 0:
        return "No live enablers yet, so there is no mix to show."
    parts = [
        f"{s.classification} {_percent(s.share)} ({s.count})"
        + (f", {s.against} the expected {s.range_text}" if s.against else "")
        for s in shares
        if s.share is not None
    ]
    sentence = f"Of {_plural(shares[0].total, 'live enabler')}: {'; '.join(parts)}"
    if not ranged:
        sentence += "; there is no expected range as the delivery model is not known"
    return sentence + "."


def area_mix_chart(
    mix_by_area: Mapping[str, Any],
    ranges: Mapping[str, Any] | None,
    *,
    limit: int = 12,
    id_prefix: str = "chart",
) -> Chart:
    """Small multiples: a row per business area (largest first), a cell per classification."""
    title = "Mix of enablers by business area"
    headers = ("Business area", "Enablers", "Repeatable", "Common", "Independent")
    if not mix_by_area:
        summary = "No business areas yet, so there is no mix by area to show."
        return _message_chart(title, summary, id_prefix=id_prefix, headers=headers)
    areas = sorted(
        mix_by_area.items(),
        key=lambda item: (-int(item[1].get("total", 0)), item[1]["name"], item[0]),
    )
    drawn, more = areas[:limit], len(areas) - min(limit, len(areas))
    body = _area_header()
    rows = []
    outside = 0
    for i, (_, area) in enumerate(drawn):
        shares = _shares(area, ranges)
        outside += any(s.against in ("below", "above") for s in shares)
        body += _area_row(34 + i * 40, area["name"], shares)
        rows.append((area["name"], str(shares[0].total), *(_cell_words(s) for s in shares)))
    bottom = 34 + len(drawn) * 40 + 8
    body += _area_legend(bottom + 10, more=more, ranged=ranges is not None)
    summary = (
        f"The mix of repeatable, common and independent enablers in "
        f"{_plural(len(drawn), 'business area')}, largest first"
        + (f" ({more} more not drawn)" if more else "")
        + (
            f"; {outside} of them {'has' if outside == 1 else 'have'} a share outside"
            " the expected range"
            if ranges
            else ""
        )
        + "."
    )
    return _chart(
        title,
        summary,
        body,
        height=bottom + 44 + (16 if more else 0),
        id_prefix=id_prefix,
        headers=headers,
        rows=rows,
    )


_AREA_CELLS = (200, 372, 544)
_AREA_TRACK = 104


def _area_header() -> list[str]:
    return [
        _text(x, 20, _title_case(c), size=12, weight="bold", fill=CLASS_COLOURS[c])
        for x, c in zip(_AREA_CELLS, CLASSIFICATIONS, strict=True)
    ]


def _area_row(top: float, name: str, shares: Sequence[_Share]) -> list[str]:
    parts = [
        _text(16, top + 13, name, weight="bold", limit=26),
        _text(16, top + 27, _plural(shares[0].total, "enabler"), size=11, fill=MUTED),
    ]
    for x, share in zip(_AREA_CELLS, shares, strict=True):
        parts += _share_track(x, top + 6, _AREA_TRACK, 16, share)
        value = share.share
        label = "–" if value is None else f"{_percent(value)} ({share.count})"
        label += {"above": " ↑", "below": " ↓"}.get(share.against or "", "")
        bold = "bold" if share.against in ("above", "below") else None
        parts.append(_text(x + _AREA_TRACK + 6, top + 18, label, size=11, weight=bold))
    return parts


def _cell_words(share: _Share) -> str:
    if share.share is None:
        return "–"
    words = f"{_percent(share.share)} ({share.count})"
    return f"{words}, {share.against} {share.range_text}" if share.against else words


def _area_legend(y: float, *, more: int, ranged: bool) -> list[str]:
    lines = ["Each track runs from 0 to 100%; the bar is the share of the area's enablers."]
    lines.append(
        "The shading is the expected range: ↑ above it, ↓ below it."
        if ranged
        else "No expected range: the delivery model is not known."
    )
    if more:
        lines.append(f"+{_plural(more, 'more area')} not drawn")
    return [_text(16, y + 16 * i, line, size=11, fill=MUTED) for i, line in enumerate(lines)]


# --- journeys -------------------------------------------------------------------------------


_JOURNEY_TITLES = {
    "group": "Journeys in clusters",
    "track": "Journeys crossing at shared points",
    "stage": "Journeys as stages",
}
_JOURNEY_HEADERS = {
    "group": ("Cluster", "Journeys", "Shares offerings or touchpoints with"),
    "track": ("Shared point", "Kind", "Journeys passing it", "Along the journey"),
    "stage": ("Stage", "Journeys passing it", "From", "To"),
}


def journey_chart(shapes: Mapping[str, Any], kind: str, *, id_prefix: str = "chart") -> Chart:
    """One of the three journey layouts kept with the report (see ``shapes.journey_shapes``)."""
    if kind not in JOURNEY_KINDS:
        raise ValueError(f"kind must be one of {', '.join(JOURNEY_KINDS)}, not {kind!r}")
    title, headers = _JOURNEY_TITLES[kind], _JOURNEY_HEADERS[kind]
    if not shapes.get("journeys"):
        summary = "No journeys yet, so there is nothing to draw."
        return _message_chart(title, summary, id_prefix=id_prefix, headers=headers)
    if kind == "group":
        return _group_chart(shapes["group"], shapes["journeys"], title, headers, id_prefix)
    if kind == "track":
        return _track_chart(shapes["track"], title, headers, id_prefix)
    return _stage_chart(shapes["stage"], title, headers, id_prefix)


# group: clusters as boxes round an ellipse, so lines between them cross open space.

_BOX_W = 200
_BOX_LINE = 18
Box = tuple[float, float, float, float]  # x, y, width, height


def _box_height(clusters: Sequence[Mapping[str, Any]]) -> float:
    inside = max(len(c["journeys"]) for c in clusters)
    more = any(c["total"] > len(c["journeys"]) for c in clusters)
    return 48 + inside * _BOX_LINE + (16 if more else 0) + 6


def _box_centres(count: int, box_h: float) -> list[tuple[float, float]]:
    """Centres of ``count`` boxes, the first at the upper left, going clockwise."""
    if count == 1:
        return [(WIDTH / 2, box_h / 2)]
    rx = (WIDTH - 40 - _BOX_W) / 2
    angles = [math.radians(90 + 180 / count - i * 360 / count) for i in range(count)]
    # Tall enough that boxes whose columns overlap sit in different rows.
    ry = 0.0
    for i, a in enumerate(angles):
        for b in angles[i + 1 :]:
            dx, dy = abs(math.cos(a) - math.cos(b)) * rx, abs(math.sin(a) - math.sin(b))
            if dx < _BOX_W + 30 and dy > 1e-9:
                ry = max(ry, (box_h + 60) / dy)
    points = [(WIDTH / 2 + rx * math.cos(a), -ry * math.sin(a)) for a in angles]
    top = min(y for _, y in points)
    return [(x, y - top + box_h / 2) for x, y in points]


def _group_chart(
    group: Mapping[str, Any], journeys: int, title: str, headers: tuple[str, ...], id_prefix: str
) -> Chart:
    clusters = group["clusters"]
    links = group["links"]
    box_h = _box_height(clusters)
    centres = [(x, y + 12) for x, y in _box_centres(len(clusters), box_h)]
    most = max((link["pairs"] for link in links), default=1)
    boxes: list[Box] = [(cx - _BOX_W / 2, cy - box_h / 2, _BOX_W, box_h) for cx, cy in centres]
    body: list[str] = []
    for link in links:
        (ax, ay), (bx, by) = centres[link["a"]], centres[link["b"]]
        body.append(_line(ax, ay, bx, by, AXIS, 1.5 + 4.5 * link["pairs"] / most))
    for cluster, (x, y, _, _) in zip(clusters, boxes, strict=True):
        body += _cluster_box(cluster, x, y, box_h)
    # The counts go on top, each where it hides no box or other count if it can.
    taken: list[Box] = list(boxes)
    for link in links:
        body.append(_link_label(centres[link["a"]], centres[link["b"]], link["pairs"], taken))
    bottom = max(y for _, y in centres) + box_h / 2 + 24
    notes = []
    if len(clusters) > 1:
        notes.append(
            "Lines join clusters whose journeys share an offering or touchpoint;"
            " the number is how many pairs of journeys do."
        )
    if group["more_clusters"]:
        notes.append(
            f"+{_plural(group['more_clusters'], 'more cluster')}"
            f" ({_plural(group['more_journeys'], 'journey')}) not drawn"
        )
    body += [_text(16, bottom + 16 * i, note, size=11, fill=MUTED) for i, note in enumerate(notes)]
    return _chart(
        title,
        _group_summary(group, journeys),
        body,
        height=bottom + 16 * len(notes),
        id_prefix=id_prefix,
        headers=headers,
        rows=_group_rows(group),
    )


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]


def _link_label(
    a: tuple[float, float], b: tuple[float, float], pairs: int, taken: list[Box]
) -> str:
    """The number of pairs in a pill on the line, the words on hover; adds it to ``taken``."""
    label = str(pairs)
    w = 7 * len(label) + 14
    spots = []
    for t in (0.5, 0.38, 0.62, 0.28, 0.72):
        x, y = a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t
        spots.append((x - w / 2, y - 9, w, 18.0))
    spot = next((s for s in spots if not any(_overlaps(s, other) for other in taken)), spots[0])
    taken.append(spot)
    x, y = spot[0], spot[1]
    words = f"{_plural(pairs, 'pair')} of journeys share an offering or touchpoint"
    pill = _rect(x, y, w, 18, "#ffffff", stroke=AXIS, rx=9) + _text(
        x + w / 2, y + 13, label, size=11, weight="bold", anchor="middle"
    )
    return f"<g>{_tip(words)}{pill}</g>"


def _cluster_box(cluster: Mapping[str, Any], x: float, y: float, h: float) -> list[str]:
    parts = [
        _rect(x, y, _BOX_W, h, BOX, stroke=AXIS, rx=10),
        _text(x + 12, y + 20, cluster["label"], size=13, weight="bold", limit=25),
        _text(x + 12, y + 36, _plural(cluster["total"], "journey"), size=11, fill=MUTED),
    ]
    line = y + 36
    for journey in cluster["journeys"]:
        line += _BOX_LINE
        parts.append(_circle(x + 17, line - 4, 4, MUTED))
        parts.append(_text(x + 28, line, journey["name"], limit=27))
    hidden = cluster["total"] - len(cluster["journeys"])
    if hidden:
        parts.append(_text(x + 28, line + 16, f"+{hidden} more", size=11, fill=MUTED))
    return parts


def _group_summary(group: Mapping[str, Any], journeys: int) -> str:
    clusters = group["clusters"]
    count = len(clusters) + group["more_clusters"]
    named = [f"{c['label']} ({c['total']})" for c in clusters]
    if group["more_clusters"]:
        named.append(f"{group['more_clusters']} more")
    sentence = f"{_plural(journeys, 'journey')} in {_plural(count, 'cluster')}: {_listed(named)}"
    links = group["links"]
    if links:
        sentence += (
            f"; {_plural(len(links), 'pair')} of clusters have journeys"
            " that share an offering or touchpoint"
        )
    elif len(clusters) > 1:
        sentence += "; no cluster shares an offering or touchpoint with another"
    return sentence + "."


def _group_rows(group: Mapping[str, Any]) -> list[tuple[str, ...]]:
    clusters = group["clusters"]
    partners: list[list[str]] = [[] for _ in clusters]
    for link in group["links"]:
        a, b, pairs = link["a"], link["b"], _plural(link["pairs"], "pair")
        partners[a].append(f"{clusters[b]['label']} ({pairs} of journeys)")
        partners[b].append(f"{clusters[a]['label']} ({pairs} of journeys)")
    return [
        (c["label"], str(c["total"]), ", ".join(p) or "none")
        for c, p in zip(clusters, partners, strict=True)
    ]


# track: lanes crossing at shared points.

_LANE_X0, _LANE_X1 = 200, 600
_LANE_TOP = 120
_LANE_PITCH = 30
_NODE_GAP = 26


def _spread(ideal: Sequence[float], low: float, high: float, gap: float) -> list[float]:
    """Positions as close to ``ideal`` (sorted) as they can be, at least ``gap`` apart."""
    placed: list[float] = []
    for x in ideal:
        placed.append(max(x, low, placed[-1] + gap) if placed else max(x, low))
    for i in range(len(placed) - 1, -1, -1):
        limit = high if i == len(placed) - 1 else placed[i + 1] - gap
        placed[i] = min(placed[i], limit)
    return placed


def _track_chart(
    track: Mapping[str, Any], title: str, headers: tuple[str, ...], id_prefix: str
) -> Chart:
    lanes, nodes = track["lanes"], track["nodes"]
    ys = [_LANE_TOP + i * _LANE_PITCH for i in range(len(lanes))]
    body: list[str] = []
    for lane, y in zip(lanes, ys, strict=True):
        body.append(_line(_LANE_X0 - 12, y, _LANE_X1 + 12, y, GRID, 3))
        body.append(_text(16, y + 4, lane["name"], limit=26))
    span = _LANE_X1 - _LANE_X0
    xs = _spread([_LANE_X0 + n["position"] * span for n in nodes], _LANE_X0, _LANE_X1, _NODE_GAP)
    for node, x in zip(nodes, xs, strict=True):
        body += _track_node(node, x, [ys[i] for i in node["lanes"]])
    if not nodes:
        body.append(
            _text(
                _LANE_X0,
                _LANE_TOP - 30,
                "These journeys do not cross at a shared point.",
                fill=MUTED,
            )
        )
    bottom = (ys[-1] if ys else _LANE_TOP) + 36
    body += _track_legend(bottom, track)
    return _chart(
        title,
        _track_summary(track),
        body,
        height=bottom + 16 + (16 if track["more_journeys"] or track["more_nodes"] else 0),
        id_prefix=id_prefix,
        headers=headers,
        rows=[
            (
                n["name"],
                n["kind"].capitalize(),
                ", ".join(lanes[i]["name"] for i in n["lanes"]),
                _percent(_exact(n["position"])),
            )
            for n in nodes
        ],
    )


def _marker(kind: str, x: float, y: float) -> str:
    if kind == "touchpoint":
        return _circle(x, y, 6, TOUCHPOINT_COLOUR, stroke="#ffffff", stroke_width=1.5)
    return _rect(x - 5.5, y - 5.5, 11, 11, OFFERING_COLOUR, stroke="#ffffff", stroke_width=1.5)


def _track_node(node: Mapping[str, Any], x: float, ys: Sequence[float]) -> list[str]:
    colour = TOUCHPOINT_COLOUR if node["kind"] == "touchpoint" else OFFERING_COLOUR
    top = _LANE_TOP - 14
    label = _text(
        x, top, node["name"], size=11, limit=22, transform=f"rotate(-40 {_number(x)} {top})"
    )
    parts = [label, _line(x, min(ys), x, max(ys), colour, 2)]
    return parts + [_marker(node["kind"], x, y) for y in ys]


def _track_legend(y: float, track: Mapping[str, Any]) -> list[str]:
    parts = [
        _marker("touchpoint", 22, y - 4),
        _text(34, y, "touchpoint", size=11, fill=MUTED),
        _marker("offering", 122, y - 4),
        _text(134, y, "offering (a step's product or service)", size=11, fill=MUTED),
    ]
    more = []
    if track["more_journeys"]:
        more.append(f"+{_plural(track['more_journeys'], 'more journey')}")
    if track["more_nodes"]:
        more.append(f"+{_plural(track['more_nodes'], 'more shared point')}")
    if more:
        parts.append(_text(16, y + 18, " and ".join(more) + " not drawn", size=11, fill=MUTED))
    return parts


def _track_summary(track: Mapping[str, Any]) -> str:
    lanes, nodes = len(track["lanes"]), len(track["nodes"])
    sentence = f"{_plural(lanes, 'journey')} drawn as lanes"
    if nodes:
        sentence += (
            f", crossing at {_plural(nodes, 'shared point')}"
            " (touchpoints and offerings that two or more of them pass)"
        )
    else:
        sentence += ", which do not cross at any shared touchpoint or offering"
    more = []
    if track["more_journeys"]:
        more.append(_plural(track["more_journeys"], "more journey"))
    if track["more_nodes"]:
        more.append(_plural(track["more_nodes"], "more shared point"))
    if more:
        sentence += f"; {' and '.join(more)} not drawn"
    return sentence + "."


# stage: a staircase of offerings along the journey.

_STAGE_X0, _STAGE_X1 = 250, 620
_STAGE_PITCH = 26


def _stage_chart(
    stage: Mapping[str, Any], title: str, headers: tuple[str, ...], id_prefix: str
) -> Chart:
    stages = stage["stages"]
    if not stages:
        summary = "No journey has any steps yet, so there are no stages to draw."
        return _message_chart(title, summary, id_prefix=id_prefix, headers=headers)
    span = _STAGE_X1 - _STAGE_X0
    top = 12
    bottom = top + len(stages) * _STAGE_PITCH
    body = [
        _line(_STAGE_X0 + span * t, top, _STAGE_X0 + span * t, bottom, GRID)
        for t in (0, 0.25, 0.5, 0.75, 1)
    ]
    for i, s in enumerate(stages):
        y = top + i * _STAGE_PITCH
        start = _STAGE_X0 + s["start"] * span
        end = max(_STAGE_X0 + s["end"] * span, start + 3)
        body.append(_text(16, y + 17, s["name"], limit=36))
        body.append(_rect(start, y + 5, end - start, 16, STAGE_COLOUR, rx=3))
        body.append(_text(end + 6, y + 17, _plural(s["journeys"], "journey"), size=11, fill=MUTED))
    body += [
        _line(_STAGE_X0, bottom + 6, _STAGE_X1, bottom + 6, AXIS),
        _text(_STAGE_X0, bottom + 22, "start of journey", size=11, fill=MUTED),
        _text(_STAGE_X1, bottom + 22, "end of journey", size=11, anchor="end", fill=MUTED),
    ]
    end_y = bottom + 22
    if stage["more_stages"]:
        end_y += 18
        body.append(
            _text(
                16,
                end_y,
                f"+{_plural(stage['more_stages'], 'more stage')} not drawn",
                size=11,
                fill=MUTED,
            )
        )
    return _chart(
        title,
        _stage_summary(stage),
        body,
        height=end_y + 10,
        id_prefix=id_prefix,
        headers=headers,
        rows=[
            (
                s["name"],
                str(s["journeys"]),
                _percent(_exact(s["start"])),
                _percent(_exact(s["end"])),
            )
            for s in stages
        ],
    )


def _stage_summary(stage: Mapping[str, Any]) -> str:
    stages = stage["stages"]
    counts = sorted(s["journeys"] for s in stages)
    each = f"{counts[0]}" if counts[0] == counts[-1] else f"{counts[0]}–{counts[-1]}"
    sentence = (
        f"A staircase of the {_plural(len(stages), 'stage')} (offerings) the most journeys "
        f"pass ({each} of {_plural(stage['journeys'], 'journey')} each), in the order "
        f"journeys typically reach them, from {stages[0]['name']} to {stages[-1]['name']}"
    )
    if stage["more_stages"]:
        sentence += f"; {stage['more_stages']} more not drawn"
    return sentence + "."


# --- shared enablers against journeys -------------------------------------------------------


def _pressure_colour(pressure: int) -> str:
    colour = PRESSURE_STEPS[0][1]
    for lowest, step_colour, _ in PRESSURE_STEPS:
        if pressure >= lowest:
            colour = step_colour
    return colour


_MATRIX_X0 = 232
_MATRIX_PITCH = 26
_MATRIX_TOP = 112


MATRIX_ROWS = 20
MATRIX_COLUMNS = 16
PRESSURE_ROWS = 10


def matrix_data(
    enablers: Mapping[str, Any],
    journey_names: Mapping[str, str],
    *,
    rows: int = MATRIX_ROWS,
    columns: int = MATRIX_COLUMNS,
) -> dict[str, Any]:
    """What the matrix draws, picked out of a report's enablers: the shared enablers (two or
    more journeys) under most pressure, the journeys they reach most, and how many more of
    each. A few kilobytes whatever the organisation's size, kept in the report's summary."""
    shared = sorted(
        (item for item in enablers.items() if len(item[1]["journey_keys"]) >= 2),
        key=lambda item: (-item[1]["pressure"], -len(item[1]["journey_keys"]), item[0]),
    )
    drawn = [e for _, e in shared[:rows]]
    reached = _reach_counts(e["journey_keys"] for e in drawn)
    all_columns = sorted(reached, key=lambda k: (-reached[k], k))
    cols = all_columns[:columns]
    shown = set(cols)
    return {
        "columns": [[key, journey_names.get(key, key)] for key in cols],
        "rows": [
            {
                "name": e["name"],
                "declared": e["declared"],
                "pressure": e["pressure"],
                # Only the journeys drawn as columns, and how many it reaches in all.
                "journey_keys": [key for key in e["journey_keys"] if key in shown],
                "journeys": len(e["journey_keys"]),
            }
            for e in drawn
        ],
        "more_rows": len(shared) - len(drawn),
        "more_columns": len(all_columns) - len(cols),
    }


def matrix_chart(
    enablers: Mapping[str, Any],
    journey_names: Mapping[str, str],
    *,
    rows: int = MATRIX_ROWS,
    columns: int = MATRIX_COLUMNS,
    id_prefix: str = "chart",
) -> Chart:
    """Shared enablers (reaching two or more journeys) against the journeys they reach."""
    data = matrix_data(enablers, journey_names, rows=rows, columns=columns)
    return draw_matrix(data, id_prefix=id_prefix)


def draw_matrix(data: Mapping[str, Any], *, id_prefix: str = "chart") -> Chart:
    """The matrix of :func:`matrix_data` (read back from a stored summary, say)."""
    title = "Shared enablers and the journeys they reach"
    headers = ("Enabler", "Classification", "Pressure", "Journeys reached")
    drawn = data.get("rows") or []
    if not drawn:
        summary = "No enabler reaches two or more journeys yet."
        return _message_chart(title, summary, id_prefix=id_prefix, headers=headers)
    cols = [key for key, _ in data["columns"]]
    name_of = {key: name for key, name in data["columns"]}
    body = _matrix_columns(cols, name_of)
    for i, enabler in enumerate(drawn):
        body += _matrix_row(_MATRIX_TOP + i * _MATRIX_PITCH, enabler, cols, name_of)
    bottom = _MATRIX_TOP + len(drawn) * _MATRIX_PITCH + 8
    more_rows, more_cols = data["more_rows"], data["more_columns"]
    body += _matrix_legend(bottom + 14, more_rows, more_cols)
    summary = (
        f"{_plural(len(drawn), 'shared enabler')} (each reaching two or more journeys) against "
        f"the {_plural(len(cols), 'journey')} they reach most, the enablers under most pressure first"
    )
    more = [
        _plural(n, f"more {word}")
        for n, word in ((more_rows, "shared enabler"), (more_cols, "journey"))
        if n
    ]
    summary += (f"; {' and '.join(more)} not drawn" if more else "") + "."
    return _chart(
        title,
        summary,
        body,
        height=bottom + 56 + (16 if more else 0),
        id_prefix=id_prefix,
        headers=headers,
        rows=[_matrix_table_row(e, cols, name_of) for e in drawn],
    )


def _reach_counts(reaches: Iterable[Sequence[str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for keys in reaches:
        for key in keys:
            counts[key] = counts.get(key, 0) + 1
    return counts


def _matrix_columns(cols: Sequence[str], name_of: Mapping[str, str]) -> list[str]:
    parts = []
    for j, key in enumerate(cols):
        x = _MATRIX_X0 + j * _MATRIX_PITCH + _MATRIX_PITCH / 2
        y = _MATRIX_TOP - 8
        transform = f"rotate(-55 {_number(x)} {_number(y)})"
        parts.append(_text(x, y, name_of[key], size=11, limit=18, transform=transform))
    return parts


def _matrix_row(
    top: float, enabler: Mapping[str, Any], cols: Sequence[str], name_of: Mapping[str, str]
) -> list[str]:
    declared = enabler["declared"]
    parts = [
        _rect(16, top + 8, 9, 9, CLASS_COLOURS.get(declared, MUTED)),
        _text(31, top + 17, enabler["name"], limit=27),
    ]
    reaches = set(enabler["journey_keys"])
    colour = _pressure_colour(enabler["pressure"])
    for j, key in enumerate(cols):
        x = _MATRIX_X0 + j * _MATRIX_PITCH + 2
        if key not in reaches:
            parts.append(_rect(x, top + 2, _MATRIX_PITCH - 4, _MATRIX_PITCH - 4, TRACK))
            continue
        tip = f"{enabler['name']} reaches {name_of[key]} (pressure {enabler['pressure']})"
        size = _MATRIX_PITCH - 4
        parts.append(_rect(x, top + 2, size, size, colour, tip=tip, stroke=AXIS, stroke_width=0.5))
    return parts


def _matrix_legend(y: float, more_rows: int, more_cols: int) -> list[str]:
    parts = [_text(16, y, "Pressure (open flags weighted by severity):", size=11, fill=MUTED)]
    x = 276.0
    for _, colour, label in PRESSURE_STEPS:
        parts.append(_rect(x, y - 10, 14, 14, colour, stroke=AXIS, stroke_width=0.5))
        parts.append(_text(x + 18, y, label, size=11, fill=MUTED))
        x += 26 + 6.5 * len(label)
    x = 16.0
    for c in CLASSIFICATIONS:
        parts.append(_rect(x, y + 12, 9, 9, CLASS_COLOURS[c]))
        parts.append(_text(x + 14, y + 21, c, size=11, fill=MUTED))
        x += 30 + 6.5 * len(c)
    more = [
        _plural(n, f"more {word}")
        for n, word in ((more_rows, "shared enabler"), (more_cols, "journey"))
        if n
    ]
    if more:
        parts.append(
            _text(16, y + 40, "+" + " and +".join(more) + " not drawn", size=11, fill=MUTED)
        )
    return parts


def _matrix_table_row(
    enabler: Mapping[str, Any], cols: Sequence[str], name_of: Mapping[str, str]
) -> tuple[str, ...]:
    """The journeys it reaches among those drawn, then how many others (as in the picture)."""
    reaches = set(enabler["journey_keys"])
    names = ", ".join(name_of[k] for k in cols if k in reaches)
    others = enabler["journeys"] - sum(1 for k in cols if k in reaches)
    if others:
        names = f"{names} and {others} more" if names else f"{_plural(others, 'journey')} not drawn"
    return (enabler["name"], enabler["declared"], str(enabler["pressure"]), names)


# --- pressure -------------------------------------------------------------------------------


def pressure_data(enablers: Mapping[str, Any], *, limit: int = PRESSURE_ROWS) -> dict[str, Any]:
    """What the pressure chart draws: the enablers under most pressure, and how many are
    under any (kept in the report's summary)."""
    flagged = sorted(
        (item for item in enablers.items() if item[1]["pressure"] > 0),
        key=lambda item: (-item[1]["pressure"], -item[1]["flagging_teams"], item[0]),
    )
    fields = ("name", "declared", "pressure", "flagging_teams")
    return {
        "rows": [{field: e[field] for field in fields} for _, e in flagged[:limit]],
        "total": len(flagged),
    }


def pressure_chart(
    enablers: Mapping[str, Any], *, limit: int = PRESSURE_ROWS, id_prefix: str = "chart"
) -> Chart:
    """The enablers under most pressure (open flags weighted by severity), as bars."""
    return draw_pressure(pressure_data(enablers, limit=limit), id_prefix=id_prefix)


def draw_pressure(data: Mapping[str, Any], *, id_prefix: str = "chart") -> Chart:
    """The pressure chart of :func:`pressure_data` (read back from a stored summary, say)."""
    title = "Enablers under most pressure"
    headers = ("Enabler", "Classification", "Pressure", "Flagging teams")
    drawn = data.get("rows") or []
    if not drawn:
        return _message_chart(
            title, "No enabler has open flags.", id_prefix=id_prefix, headers=headers
        )
    flagged_count = data["total"]
    most = drawn[0]["pressure"]
    x0, span, pitch = 230, 330, 28
    body: list[str] = []
    for i, e in enumerate(drawn):
        y = 12 + i * pitch
        end = x0 + span * e["pressure"] / most
        body.append(_rect(16, y + 8, 9, 9, CLASS_COLOURS.get(e["declared"], MUTED)))
        body.append(_text(31, y + 17, e["name"], limit=30))
        body.append(_rect(x0, y + 4, end - x0, 18, PRESSURE_BAR, rx=2))
        words = f"{e['pressure']} ({_plural(e['flagging_teams'], 'flagging team')})"
        body.append(_text(end + 6, y + 17, words, size=11))
    bottom = 12 + len(drawn) * pitch + 10
    more = flagged_count - len(drawn)
    notes = ["Pressure: open flags weighted by severity (low 1, medium 2, high 3, blocking 5)."]
    if more:
        notes.append(f"+{_plural(more, 'more enabler')} under pressure not drawn")
    body += [_text(16, bottom + 6 + 16 * i, n, size=11, fill=MUTED) for i, n in enumerate(notes)]
    top = drawn[0]
    summary = (
        f"{_plural(flagged_count, 'enabler')} with open flags; the most pressure is on "
        f"{top['name']} ({top['pressure']}, flagged by {_plural(top['flagging_teams'], 'team')})"
        + (f"; the {len(drawn)} under most pressure are drawn" if more else "")
        + "."
    )
    rows = [(e["name"], e["declared"], str(e["pressure"]), str(e["flagging_teams"])) for e in drawn]
    return _chart(
        title,
        summary,
        body,
        height=bottom + 12 + 16 * len(notes),
        id_prefix=id_prefix,
        headers=headers,
        rows=rows,
    )


# --- trend ----------------------------------------------------------------------------------

_TREND_X0, _TREND_X1 = 70, 690
_SCORE_TOP, _SCORE_H = 28, 130
_FLAGS_TOP, _FLAGS_H = 212, 80


def _trend_xs(count: int) -> list[float]:
    if count == 1:
        return [(_TREND_X0 + _TREND_X1) / 2]
    a, b = _TREND_X0 + 24, _TREND_X1 - 24
    return [a + i * (b - a) / (count - 1) for i in range(count)]


def _shown_labels(count: int) -> set[int]:
    """Which x labels to write: evenly thinned, always keeping the latest report."""
    room = max(1, (_TREND_X1 - _TREND_X0) // 90)
    step = math.ceil(count / room)
    return {i for i in range(count) if (count - 1 - i) % step == 0}


def _trend_panel(
    name: str, top: float, height: float, ticks: Sequence[int], most: int
) -> list[str]:
    parts = [_text(_TREND_X0, top - 10, name, weight="bold")]
    for tick in ticks:
        y = top + height - height * tick / most
        parts.append(_line(_TREND_X0, y, _TREND_X1, y, GRID))
        parts.append(_text(_TREND_X0 - 8, y + 4, str(tick), size=11, anchor="end", fill=MUTED))
    return parts


def _series(
    xs: Sequence[float],
    values: Sequence[int | None],
    top: float,
    height: float,
    most: int,
    colour: str,
) -> list[str]:
    """A line through the values, broken where a value is None, with a dot on each."""
    points = [
        None if v is None else (x, top + height - height * v / most)
        for x, v in zip(xs, values, strict=True)
    ]
    parts: list[str] = []
    run: list[tuple[float, float]] = []
    for point in [*points, None]:
        if point is not None:
            run.append(point)
            continue
        if len(run) >= 2:
            coords = " ".join(f"{_number(x)},{_number(y)}" for x, y in run)
            parts.append(
                _el("polyline", None, points=coords, fill="none", stroke=colour, stroke_width=2.5)
            )
        run = []
    drawn = [(p, v) for p, v in zip(points, values, strict=True) if p is not None]
    parts += [_circle(x, y, 4, colour) for (x, y), _ in drawn]
    if drawn:
        # The latest value is written beside its dot, the number a reader looks for first.
        (x, y), value = drawn[-1]
        parts.append(_text(x, y - 9, str(value), size=11, weight="bold", anchor="middle"))
    return parts


def trend_chart(points: Sequence[TrendPoint], *, id_prefix: str = "chart") -> Chart:
    """The balance score (0–100) and open flags over reports, on one shared x axis."""
    title = "Balance score and open flags over time"
    headers = ("Report", "Balance score", "Open flags")
    xs = _trend_xs(len(points))
    most_flags = max([p.open_flags for p in points] + [1])
    body = _trend_panel("Balance score", _SCORE_TOP, _SCORE_H, (0, 50, 100), 100)
    body += _trend_panel("Open flags", _FLAGS_TOP, _FLAGS_H, sorted({0, most_flags}), most_flags)
    body += _series(xs, [p.score for p in points], _SCORE_TOP, _SCORE_H, 100, SCORE_LINE)
    body += _series(
        xs, [p.open_flags for p in points], _FLAGS_TOP, _FLAGS_H, most_flags, FLAGS_LINE
    )
    axis = _FLAGS_TOP + _FLAGS_H
    shown = _shown_labels(len(points))
    for i, (x, point) in enumerate(zip(xs, points, strict=True)):
        body.append(_line(x, axis, x, axis + 5, AXIS))
        if i in shown:
            body.append(
                _text(x, axis + 19, point.label, size=11, anchor="middle", fill=MUTED, limit=14)
            )
    rows = [
        (p.label, "no score" if p.score is None else str(p.score), str(p.open_flags))
        for p in points
    ]
    return _chart(
        title,
        _trend_summary(points),
        body,
        height=axis + 32,
        id_prefix=id_prefix,
        headers=headers,
        rows=rows,
    )


def _trend_summary(points: Sequence[TrendPoint]) -> str:
    if len(points) < 2:
        so_far = "there is only one so far" if points else "there are none yet"
        return f"A trend needs reports on at least two days; {so_far}."
    first, last = points[0], points[-1]
    scored = [p for p in points if p.score is not None]
    if len(scored) >= 2:
        score = f"the balance score went from {scored[0].score} to {scored[-1].score}"
    elif scored:
        score = f"the balance score was {scored[0].score} ({scored[0].label})"
    else:
        score = "there was no balance score (the delivery model was not known)"
    return (
        f"Over {len(points)} days with reports, from {first.label} to {last.label}, {score}, "
        f"and open flags went from {first.open_flags} to {last.open_flags}."
    )
