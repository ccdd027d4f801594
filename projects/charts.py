"""Server-rendered SVG charts: no JavaScript, readable labels, title and description for readers."""

from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 720
LABEL_WIDTH = 240
VALUE_WIDTH = 120
BAR_HEIGHT = 22
GAP = 8
TOP = 8
MAX_LABEL_CHARS = 30


@dataclass(frozen=True)
class ChartLayout:
    """The drawing's width in viewBox units and its label and value columns: a narrower
    viewBox keeps the 13 px text readable when a phone scales the chart down."""

    width: int = WIDTH
    label_width: int = LABEL_WIDTH
    value_width: int = VALUE_WIDTH

    @property
    def plot(self) -> int:
        return self.width - self.label_width - self.value_width

    @property
    def max_label_chars(self) -> int:
        return min(MAX_LABEL_CHARS, self.label_width // 8)


DESKTOP = ChartLayout()
PHONE = ChartLayout(width=360, label_width=116, value_width=96)


def format_quantity(value: float | None, unit: str = "", *, show_unit: bool = True) -> str:
    """12345.678 -> '12,345.7 m³', 0.1234 -> '0.123 m'; whole counts without decimals."""
    if value is None:
        return "—"
    if unit == "pcs" and float(value).is_integer():
        text = f"{value:,.0f}"
    elif abs(value) >= 1000:
        text = f"{value:,.1f}"
    else:
        text = f"{value:,.3f}"
    return f"{text} {unit}" if show_unit and unit else text


def _short(label: str, limit: int = MAX_LABEL_CHARS) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


def horizontal_bar_chart(
    bars: list[tuple[str, float]],
    *,
    unit: str,
    title: str,
    description: str,
    chart_id: str,
    layout: ChartLayout = DESKTOP,
) -> SafeString:
    """An accessible horizontal bar chart: one bar per (label, value), largest value = full width.

    Long labels are shortened on screen; each bar's <title> carries the full label and value.
    """
    height = TOP * 2 + max(1, len(bars)) * (BAR_HEIGHT + GAP)
    plot = layout.plot
    label_width, limit = layout.label_width, layout.max_label_chars
    biggest = max((value for _, value in bars), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" '
        f'viewBox="0 0 {layout.width} {height}" width="100%" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'preserveAspectRatio="xMinYMin meet">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
    ]
    if not bars:
        parts.append(
            f'<text x="{layout.width / 2:.0f}" y="{height / 2 + 5:.0f}" text-anchor="middle" '
            'class="chart-empty">No quantities to chart</text>'
        )
    for index, (label, value) in enumerate(bars):
        y = TOP + index * (BAR_HEIGHT + GAP)
        width = max(1.0, plot * value / biggest)
        text_y = y + BAR_HEIGHT / 2 + 5
        shown = format_quantity(value, unit)
        parts.append(
            f'<g class="bar"><title>{escape(label)}: {escape(shown)}</title>'
            f'<text x="{label_width - 8}" y="{text_y:.0f}" text-anchor="end" '
            f'class="chart-label">{escape(_short(label, limit))}</text>'
            f'<rect x="{label_width}" y="{y}" width="{width:.1f}" height="{BAR_HEIGHT}" rx="3" '
            f'class="chart-bar" fill="#1f6feb"/>'
            f'<text x="{label_width + width + 6:.1f}" y="{text_y:.0f}" '
            f'class="chart-value">{escape(shown)}</text></g>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


SERIES_COLOURS = ("#6e7781", "#1f6feb", "#bf8700", "#cf222e")  # one per series name, in order


def grouped_bar_chart(
    groups: list[tuple[str, list[tuple[str, float | None]]]],
    *,
    unit: str,
    title: str,
    description: str,
    chart_id: str,
    marks: list[tuple[str, float]] = (),
    layout: ChartLayout = DESKTOP,
) -> SafeString:
    """Horizontal bars in groups (one group per label, one bar per series; None: no bar, "—"),
    on one scale; ``marks`` are named values per group (e.g. 80 % of the budget) drawn as
    ticks across the first group's bars (the total)."""
    rows = sum(max(1, len(series)) for _, series in groups)
    height = TOP * 2 + rows * (BAR_HEIGHT + GAP // 2) + len(groups) * GAP * 2
    plot = layout.plot
    label_width, limit = layout.label_width, layout.max_label_chars
    values = [v for _, series in groups for _, v in series if v is not None]
    biggest = max([*values, *(v for _, v in marks)], default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{escape(chart_id)}" '
        f'viewBox="0 0 {layout.width} {height}" width="100%" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'preserveAspectRatio="xMinYMin meet">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
    ]
    names = list(dict.fromkeys(name for _, series in groups for name, _ in series))
    y = TOP
    for label, series in groups:
        top = y
        parts.append(
            f'<text x="{label_width - 8}" y="{y + BAR_HEIGHT / 2 + 5:.0f}" text-anchor="end" '
            f'class="chart-label" font-weight="bold">{escape(_short(label, limit - 1))}</text>'
        )
        for name, value in series:
            colour = SERIES_COLOURS[names.index(name) % len(SERIES_COLOURS)]
            shown = format_quantity(value, unit) if value is not None else "—"
            width = 0.0 if value is None else max(1.0, plot * value / biggest)
            text_y = y + BAR_HEIGHT / 2 + 5
            parts.append(
                f'<g class="bar" data-series="{escape(name)}" data-value="{value or 0:.2f}">'
                f"<title>{escape(label)} · {escape(name)}: {escape(shown)}</title>"
                f'<text x="{label_width - 8}" y="{text_y + BAR_HEIGHT / 2:.0f}" '
                f'text-anchor="end" class="chart-series">{escape(_short(name, limit))}</text>'
                f'<rect x="{label_width}" y="{y + BAR_HEIGHT / 2:.1f}" width="{width:.1f}" '
                f'height="{BAR_HEIGHT * 0.75:.1f}" rx="2" class="chart-bar" fill="{colour}"/>'
                f'<text x="{label_width + width + 6:.1f}" y="{text_y + BAR_HEIGHT / 2:.0f}" '
                f'class="chart-value">{escape(shown)}</text></g>'
            )
            y += BAR_HEIGHT + GAP // 2
        for name, value in marks if label == groups[0][0] else ():
            x = label_width + plot * value / biggest
            parts.append(
                f'<line class="chart-mark" data-mark="{escape(name)}" x1="{x:.1f}" '
                f'y1="{top + BAR_HEIGHT / 2:.0f}" x2="{x:.1f}" y2="{y + 4:.0f}" stroke="#cf222e" '
                f'stroke-dasharray="4 3"><title>{escape(name)}</title></line>'
            )
        y += GAP * 2
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
