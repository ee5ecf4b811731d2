"""Impact figures for the organisation: aggregates only, as server-drawn SVG charts.

No figure computed from fewer than 5 people is ever shown (selectors.SMALLEST_SHOWN): a
small count, or a median or share of a few people, can point at a person. Suppressed bars
are drawn as a fixed outline labelled "fewer than 5", so neither the number nor the bar's
height gives the figure away. Charts start at the first month with data; a chart or a page
with too few people says so once.
"""

from dataclasses import dataclass

from django.contrib.auth.decorators import permission_required
from django.urls import reverse
from django.utils import formats
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

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
    """Lay out (label, count, people) as bars, counts below 5 or from fewer than 5 people
    suppressed."""
    shown = [selectors.suppress(count, people) for _label, count, people in series]
    top = max([count for count in shown if count is not None] + [selectors.SMALLEST_SHOWN])
    plot = CHART_HEIGHT - TOP - BOTTOM
    step = CHART_WIDTH / max(len(series), 1)
    bars = []
    for index, ((label, _count, _people), count) in enumerate(zip(series, shown, strict=True)):
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


def _chart(monthly):
    """A chart of monthly counts, or None when they come from fewer than 5 people in all."""
    if monthly.total.suppressed:
        return None
    return bar_chart(
        [(_month_label(month), count, people) for month, count, people in monthly.months]
    )


def impact_figures():
    """Every figure on the impact page, already suppressed where they come from few people."""
    published = selectors.published_stories_by_month()
    withdrawals = selectors.withdrawals_by_month()
    figures = {
        "published_total": published.total,
        "withdrawals_total": withdrawals.total,
        "median_days": selectors.median_days_to_decision(),
        "paid_within_30_days": selectors.share_paid_within_30_days(),
    }
    return {
        **figures,
        "published_chart": _chart(published),
        "withdrawals_chart": _chart(withdrawals),
        "nothing_to_show": all(figure.suppressed for figure in figures.values()),
    }


class ImpactView(WagtailAdminTemplateMixin, TemplateView):
    """The impact page, in the admin's own layout (header and breadcrumbs, like reports)."""

    template_name = "workspace/impact.html"
    page_title = gettext_lazy("Impact")
    header_icon = "pick"

    @method_decorator(permission_required("consent.view_consententry", raise_exception=True))
    def dispatch(self, request, *args, **kwargs):
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [
            {"url": reverse("wagtailadmin_home"), "label": _("Home")},
            {"url": "", "label": self.page_title},
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(impact_figures())
        context["fewer_than_five"] = fewer_than_five()
        return context


impact_view = ImpactView.as_view()
