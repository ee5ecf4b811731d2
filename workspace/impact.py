"""Impact figures for the organisation: aggregates only, as server-drawn SVG charts.

No figure below 5 is ever shown (selectors.SMALLEST_SHOWN): a small count can point at a
person. Suppressed bars are drawn as a fixed outline labelled "fewer than 5", so neither
the number nor the bar's height gives the figure away.
"""

from dataclasses import dataclass

from django.contrib.auth.decorators import permission_required
from django.shortcuts import render
from django.utils import formats
from django.utils.translation import gettext as _

from . import selectors

CHART_WIDTH = 720
CHART_HEIGHT = 240
TOP = 24
BOTTOM = 40


@dataclass(frozen=True)
class Bar:
    label: str
    count: int | None  # None: suppressed
    x: float
    width: float
    y: float
    height: float

    @property
    def text(self):
        return fewer_than_five() if self.count is None else formats.number_format(self.count)

    @property
    def text_y(self):
        return self.y - 6

    @property
    def label_x(self):
        return self.x + self.width / 2


def fewer_than_five():
    return _("fewer than %(n)s") % {"n": selectors.SMALLEST_SHOWN}


def bar_chart(series):
    """Lay out (label, count) pairs as bars, counts below 5 suppressed."""
    shown = [selectors.suppress(count) for _label, count in series]
    top = max([count for count in shown if count is not None] + [selectors.SMALLEST_SHOWN])
    plot = CHART_HEIGHT - TOP - BOTTOM
    step = CHART_WIDTH / max(len(series), 1)
    bars = []
    for index, ((label, _count), count) in enumerate(zip(series, shown, strict=True)):
        # A suppressed bar gets the height of the threshold: it says "under 5", no more.
        value = selectors.SMALLEST_SHOWN if count is None else count
        height = plot * value / top
        bars.append(
            Bar(
                label=label,
                count=count,
                x=index * step + step * 0.15,
                width=step * 0.7,
                y=TOP + plot - height,
                height=height,
            )
        )
    return {
        "bars": bars,
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "base": CHART_HEIGHT - BOTTOM,
    }


def _month_label(year_month):
    year, month = year_month
    from datetime import date

    return formats.date_format(date(year, month, 1), "M Y")


def impact_figures():
    """Every figure on the impact page, already suppressed where small."""
    published = selectors.published_stories_by_month()
    withdrawals = selectors.withdrawals_by_month()
    published_total = sum(count for _month, count in published)
    withdrawals_total = sum(count for _month, count in withdrawals)
    return {
        "published_total": selectors.suppress(published_total),
        "withdrawals_total": selectors.suppress(withdrawals_total),
        "median_days": selectors.median_days_to_decision(),
        "paid_within_30_days": selectors.share_paid_within_30_days(),
        "published_chart": bar_chart([(_month_label(m), c) for m, c in published]),
        "withdrawals_chart": bar_chart([(_month_label(m), c) for m, c in withdrawals]),
    }


@permission_required("consent.view_consententry", raise_exception=True)
def impact_view(request):
    context = impact_figures()
    context["fewer_than_five"] = fewer_than_five()
    return render(request, "workspace/impact.html", context)
