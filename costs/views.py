"""The cost dashboard page: the figures (cached, with their age), a chart and the tables
behind it; a refresh button that queues a refresh job. Works without JavaScript."""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.views.decorators.http import require_http_methods

from openaec.exceptions import ApplicationError
from projects.charts import DESKTOP, PHONE, grouped_bar_chart, horizontal_bar_chart
from projects.selectors import project_get_for_user

from . import services

SERIES = ("Budget", "Model estimate", "Committed", "Actual")


def _both(draw: Callable[..., SafeString], *, chart_id: str, **options) -> SafeString:
    """The chart drawn for a wide screen and for a phone (a narrower viewBox, so its text stays
    readable); CSS shows one of the two."""
    return format_html(
        '<div class="chart-desktop">{}</div><div class="chart-phone">{}</div>',
        draw(chart_id=chart_id, layout=DESKTOP, **options),
        draw(chart_id=f"{chart_id}-phone", layout=PHONE, **options),
    )


def _charts(figures: dict | None) -> dict:
    if not figures:
        return {}
    totals = figures["totals"]
    groups = [
        (
            row["account"],
            [("Budget", row["budget"]), ("Committed", row["committed"]), ("Actual", row["actual"])],
        )
        for row in figures["accounts"]
    ]
    groups.insert(
        0,
        (
            "Total",
            [
                (name, totals[key])
                for name, key in zip(
                    SERIES, ("budget", "estimate", "committed", "actual"), strict=True
                )
            ],
        ),
    )
    marks = []
    if totals["budget"]:
        marks = [
            ("80 % of the budget", totals["budget"] * 0.8),
            ("95 % of the budget", totals["budget"] * 0.95),
        ]
    currency = (figures.get("estimate") or {}).get("currency", "")
    charts = {
        "budget": _both(
            grouped_bar_chart,
            groups=groups,
            unit=currency,
            title="Budget, model estimate, committed and actual cost",
            description="Per expense account and in total; dashed lines mark 80 % and 95 % "
            "of the budget.",
            chart_id="cost-chart",
            marks=marks,
        )
    }
    months = figures.get("actual_by_month") or []
    if months:
        charts["over_time"] = _both(
            horizontal_bar_chart,
            bars=[(row["month"], row["amount"]) for row in months],
            unit=currency,
            title="Actual cost per month",
            description="Debit minus credit of the project's GL Entries, by posting month.",
            chart_id="cost-over-time",
        )
    estimate = figures.get("estimate")
    if estimate and estimate["by_material"]:
        charts["materials"] = _both(
            horizontal_bar_chart,
            bars=[(row["material"], row["amount"]) for row in estimate["by_material"]],
            unit=currency,
            title="Model estimate by material",
            description="The model's mapped quantities times their rates, per material.",
            chart_id="estimate-materials",
        )
    return charts


def _over_time(figures: dict | None) -> list[dict]:
    """The months with their actual cost and the running total."""
    rows, running = [], 0.0
    for row in (figures or {}).get("actual_by_month") or []:
        running += row["amount"]
        rows.append({**row, "cumulative": round(running, 2)})
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def costs_view(request: HttpRequest, slug: str) -> HttpResponse:
    project, _ = project_get_for_user(slug=slug, user=request.user)
    if request.method == "POST":
        try:
            services.costs_refresh_start(project=project, user=request.user)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("project-costs", slug=project.slug)
    body = services.costs_for_user(project=project, user=request.user)
    context = {"project": project, "costs": body, "figures": body["figures"]}
    context["over_time"] = _over_time(body["figures"])
    return render(request, "costs/dashboard.html", {**context, "charts": _charts(body["figures"])})
