"""R42: what the invitations app adds to the Overview (registered in ``ready()``).

- "Requests by status": a server-rendered SVG bar chart of the last 90 days, by
  week, and a table of the same numbers (no chart without its numbers in text).
- Pending request links expiring in the next 30 days, for "Ending in the next
  30 days".

Both only for the roles that may see requests (R1).
"""

import math
from dataclasses import dataclass
from html import escape

from django.urls import reverse
from django.utils import dateformat
from django.utils.formats import get_format, localize
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from invitations.selectors import (
    invitation_activity_by_week,
    invitations_ending,
)
from partners.overview import (
    EndingItem,
    EndingSource,
    register_ending_source,
    register_panel,
)
from partners.permissions import Action, can

DAYS = 90

# Series: label and colour. The colours differ for the common colour-vision
# deficiencies and each has at least 3:1 against white (WCAG 1.4.11); the legend
# and the table name every one in text.
SERIES = {
    "sent": (_("Sent"), "#0072b2"),
    "opened": (_("Opened"), "#8a4baf"),
    "accepted": (_("Accepted"), "#1a7f37"),
    "declined": (_("Declined"), "#c2410c"),
    "expired": (_("Expired"), "#6b7280"),
}

# The chart's drawing box (SVG user units; the SVG scales to its panel's width).
WIDTH, HEIGHT = 480, 240
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 12, 32
LABEL_EVERY = 4  # weeks between x-axis labels (the table has every week)
TICKS = 4


def may_see_requests(membership) -> bool:
    return can(membership, Action.REQUEST_RELATIONSHIP)


def nice_step(largest: int, ticks: int = TICKS) -> int:
    """The smallest of 1, 2, 5, 10, 20, 50… whose ``ticks`` steps reach ``largest``."""
    if largest <= ticks:
        return 1
    magnitude = 10 ** math.floor(math.log10(largest / ticks))
    for factor in (1, 2, 5, 10):
        if factor * magnitude * ticks >= largest:
            return factor * magnitude
    return 10 * magnitude  # pragma: no cover (10 always reaches)


@dataclass(frozen=True)
class Bar:
    series: str
    label: str
    fill: str
    value: int
    x: float
    y: float
    width: float
    height: float
    title: str = ""


def _r(value: float) -> float:
    return round(value, 1)


def week_texts(buckets) -> list[dict]:
    """Each week's first and last day, as shown and for ``<time datetime>``: the
    format looked up once, not by 90 ``date`` filters in the template."""
    pattern = get_format("MONTH_DAY_FORMAT")
    return [
        {
            "first": dateformat.format(b.first_day, pattern),
            "last": dateformat.format(b.last_day, pattern),
            "first_iso": b.first_day.isoformat(),
            "last_iso": b.last_day.isoformat(),
        }
        for b in buckets
    ]


def series_labels() -> dict:
    """Each series' label in the active language, translated once for the page
    (not once for each of 65 bars and 65 cells)."""
    return {key: str(label) for key, (label, _fill) in SERIES.items()}


def chart_layout(buckets, texts=None, labels=None) -> dict:
    """Where every bar, grid line and label goes, computed here so the template
    only writes attributes (no script, no inline style: strict CSP)."""
    texts = texts or week_texts(buckets)
    labels = labels or series_labels()
    bar_title = gettext("%(series)s, %(first)s – %(last)s: %(value)s")
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    baseline = TOP + plot_h
    largest = max((b.count(s) for b in buckets for s in SERIES), default=0)
    step = nice_step(largest)
    top_value = max(step * math.ceil(largest / step), step)
    group_w = plot_w / len(buckets)
    bar_w = group_w * 0.84 / len(SERIES)
    pad = group_w * 0.08

    def y_of(value):
        return baseline - plot_h * value / top_value

    ticks = [{"value": v, "y": _r(y_of(v))} for v in range(0, top_value + 1, step)]
    groups = []
    last = len(buckets) - 1
    for i, bucket in enumerate(buckets):
        x0 = LEFT + i * group_w
        # Only the bars drawn (a week's zero counts have none): a title each.
        bars = []
        for j, (key, (_label, fill)) in enumerate(SERIES.items()):
            value = bucket.count(key)
            if not value:
                continue
            y = y_of(value)
            bars.append(
                Bar(
                    series=key,
                    label=labels[key],
                    fill=fill,
                    value=value,
                    x=_r(x0 + pad + j * bar_w),
                    y=_r(y),
                    width=_r(bar_w),
                    height=_r(baseline - y),
                    title=bar_title
                    % {
                        "series": labels[key],
                        "first": texts[i]["first"],
                        "last": texts[i]["last"],
                        "value": value,
                    },
                )
            )
        label = None
        if (last - i) % LABEL_EVERY == 0:
            # The ends are anchored inwards so their text stays inside the box.
            if i == 0:
                label = {"x": _r(x0), "anchor": "start"}
            elif i == last:
                label = {"x": _r(x0 + group_w), "anchor": "end"}
            else:
                label = {"x": _r(x0 + group_w / 2), "anchor": "middle"}
        groups.append(
            {
                "bucket": bucket,
                "text": texts[i],
                "bars": bars,
                "label": label,
            }
        )
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "baseline": baseline,
        "label_y": HEIGHT - 10,
        "ticks": ticks,
        "groups": groups,
    }


def bars_html(chart) -> SafeString:
    """The chart's bars, one ``<rect>`` with its ``<title>`` each (up to 65):
    written here, every value escaped, as Django's admin writes its change-list
    cells, not by 520 template variables. Numbers unlocalised ("12.5", an SVG
    length)."""
    return mark_safe(  # noqa: S308 (every value escaped)
        "".join(
            f'<rect class="chart__bar chart__bar--{escape(bar.series)}"'
            f' x="{bar.x}" y="{bar.y}" width="{bar.width}" height="{bar.height}"'
            f' fill="{escape(bar.fill)}"><title>{escape(bar.title)}</title></rect>'
            for group in chart["groups"]
            for bar in group["bars"]
        )
    )


def table_rows_html(rows, week_label: str) -> SafeString:
    """The numbers table's body: a week a row, its first and last day as
    ``<time>``, then each series' count (localised, as the template would: each
    distinct number localised once)."""
    week_label = escape(week_label)
    numbers = {}

    def number(value):
        text = numbers.get(value)
        if text is None:
            text = numbers[value] = escape(localize(value))
        return text

    out = []
    for row in rows:
        text = row["text"]
        cells = "".join(
            f'<td data-label="{escape(cell["label"])}">{number(cell["value"])}</td>'
            for cell in row["cells"]
        )
        out.append(
            f'<tr><th scope="row" data-label="{week_label}">'
            f'<time datetime="{escape(text["first_iso"])}">{escape(text["first"])}'
            f'</time> – <time datetime="{escape(text["last_iso"])}">'
            f"{escape(text['last'])}</time></th>{cells}</tr>"
        )
    return mark_safe("\n".join(out))  # noqa: S308 (every value escaped)


def requests_chart_panel(*, partner, membership, now) -> dict:
    """R42: requests by status over the last 90 days, by week: one query."""
    buckets = invitation_activity_by_week(partner=partner, now=now, days=DAYS)
    texts = week_texts(buckets)
    totals = {key: sum(b.count(key) for b in buckets) for key in SERIES}
    labels = series_labels()
    rows = [
        {
            "text": text,
            "cells": [{"label": labels[key], "value": b.count(key)} for key in SERIES],
        }
        for b, text in zip(buckets, texts, strict=True)
    ]
    chart = chart_layout(buckets, texts, labels)
    return {
        "days": DAYS,
        "series": [
            {"key": key, "label": labels[key], "fill": fill, "total": totals[key]}
            for key, (_label, fill) in SERIES.items()
        ],
        "rows": rows,
        "rows_html": table_rows_html(rows, gettext("Week")),
        "is_empty": not any(totals.values()),
        "chart": chart,
        "bars_html": bars_html(chart),
        "list_url": reverse("invitations:list"),
    }


def expiring_links_source(*, partner, membership, now, until) -> EndingSource:
    """Pending requests whose link expires in the window: one query."""
    rows, total = invitations_ending(partner=partner, now=now, until=until)
    pending_url = reverse("invitations:list") + "?status=pending"
    what = _("Request link expires")
    return EndingSource(
        label=_("Request links"),
        items=[
            EndingItem(
                ends_at=row.expires_at,
                title=row.customer_name
                or row.recipient_email
                or _("Request #%(id)s") % {"id": row.pk},
                what=what,
                url=pending_url,
            )
            for row in rows
        ],
        total=total,
        list_url=pending_url,
        list_label=_("Pending requests"),
    )


def register() -> None:
    """Called from ``InvitationsConfig.ready()``."""
    register_panel(
        "requests_chart",
        order=10,
        template="partners/includes/overview_requests_chart.html",
        build=requests_chart_panel,
        visible=may_see_requests,
        wide=True,
    )
    register_ending_source(
        "invitation_links",
        order=10,
        build=expiring_links_source,
        visible=may_see_requests,
    )
