"""HTML pages of purchase orders: options, preview, create (progress on the job page), history.
Plain forms, no JavaScript."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from projects.selectors import model_version_list, project_get_for_user

from . import selectors, services
from .constants import DELIVERIES, DOCTYPES

SUPPLIER_FIELD = "supplier__"  # "supplier__<item code>": the supplier chosen for an item


def _form(request) -> tuple[int | None, dict]:
    """The page's form as the services' options (the same box as the API)."""
    post = request.POST
    number = post.get("model_version") or None
    options = {
        name: post.get(name)
        for name in (
            "doctype",
            "price_list",
            "warehouse",
            "schedule_date",
            "delivery",
            "implausible_quantities",
        )
        if post.get(name)
    }
    options["submit"] = post.get("submit") == "on"
    suppliers = {
        key[len(SUPPLIER_FIELD) :]: value.strip()
        for key, value in post.items()
        if key.startswith(SUPPLIER_FIELD) and value.strip()
    }
    if suppliers:
        options["suppliers"] = suppliers
    return number, options


def _context(project, request, **extra) -> dict:
    versions = list(model_version_list(project=project).filter(state="ready"))
    return {
        "project": project,
        "versions": versions,
        "doctypes": DOCTYPES,
        "deliveries": DELIVERIES,
        "can_write": services.order_may_place(user=request.user, project=project),
        "runs": selectors.run_list(project=project)[:30],
        "values": request.POST if request.method == "POST" else {},
        **extra,
    }


@login_required
@require_http_methods(["GET"])
def orders_overview_view(request: HttpRequest, slug: str) -> HttpResponse:
    project, _ = project_get_for_user(slug=slug, user=request.user)
    return render(request, "orders/overview.html", _context(project, request))


@login_required
@require_POST
def orders_preview_view(request: HttpRequest, slug: str) -> HttpResponse:
    project, _ = project_get_for_user(slug=slug, user=request.user)
    number, options = _form(request)
    preview = services.order_preview(
        project=project, user=request.user, model_version=number, options=options
    )
    return render(
        request,
        "orders/overview.html",
        _context(project, request, preview=preview, supplier_field=SUPPLIER_FIELD),
    )


@login_required
@require_POST
def orders_create_view(request: HttpRequest, slug: str) -> HttpResponse:
    project, _ = project_get_for_user(slug=slug, user=request.user)
    number, options = _form(request)
    job = services.order_run_start(
        project=project, user=request.user, model_version=number, options=options
    )
    return redirect("job-detail", job_id=job.pk)
