"""The cost dashboard page: the figures (cached, with their age), a chart and the tables
behind it; a refresh button. Works without JavaScript."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from projects.charts import grouped_bar_chart, horizontal_bar_chart
from projects.selectors import project_get_for_user

from . import services

SERIES = ("Budget", "Model estimate", "Committed", "Actual")


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
        "budget": grouped_bar_chart(
            groups,
            unit=currency,
            title="Budget, model estimate, committed and actual cost",
            description="Per expense account and in total; dashed lines mark 80 % and 95 % "
            "of the budget.",
            chart_id="cost-chart",
            marks=marks,
        )
    }
    estimate = figures.get("estimate")
    if estimate and estimate["by_material"]:
        charts["materials"] = horizontal_bar_chart(
            [(row["material"], row["amount"]) for row in estimate["by_material"]],
            unit=currency,
            title="Model estimate by material",
            description="The model's mapped quantities times their rates, per material.",
            chart_id="estimate-materials",
        )
    return charts


@login_required
@require_http_methods(["GET", "POST"])
def costs_view(request: HttpRequest, slug: str) -> HttpResponse:
    project, _ = project_get_for_user(slug=slug, user=request.user)
    body = services.costs_for_user(
        project=project, user=request.user, refresh=request.method == "POST"
    )
    context = {"project": project, "costs": body, "figures": body["figures"]}
    return render(request, "costs/dashboard.html", {**context, "charts": _charts(body["figures"])})
