"""HTML pages of BIM projects: list, detail, upload, job progress, takeoff, diff. No JavaScript."""

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from openaec.exceptions import ApplicationError
from openaec.views import error_page

from . import selectors, services
from .charts import format_quantity, horizontal_bar_chart
from .exports import QUANTITY_UNITS, TOTALLED_QUANTITIES
from .forms import MemberForm, ModelUploadForm, ProjectForm, StatusForm, TakeoffFilterForm
from .models import ROLE_RANK, ProjectRole
from .takeoff_query import (
    DIFF_STATUSES,
    QUANTITIES,
    paginate,
    parse_diff_statuses,
    parse_flag,
    parse_takeoff_query,
)
from .uploads import (
    UploadReceipt,
    body_length_missing,
    declared_body_too_large,
    format_bytes,
    install_upload_handler,
)


def _can(role: str | None, needed: str) -> bool:
    return role is not None and ROLE_RANK[role] >= ROLE_RANK[needed]


@login_required
@require_http_methods(["GET", "POST"])
def project_list_view(request: HttpRequest) -> HttpResponse:
    form = ProjectForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            project = services.project_create(user=request.user, **form.cleaned_data)
            messages.success(request, f"Project {project.name} created.")
            return redirect("project-detail", slug=project.slug)
        status = 400
    projects = selectors.project_list_for_user(user=request.user)
    return render(
        request,
        "projects/project_list.html",
        {"projects": projects, "form": form, "can_create": request.user.can_edit},
        status=status,
    )


@login_required
@require_http_methods(["GET"])
def project_detail_view(request: HttpRequest, slug: str) -> HttpResponse:
    project, role = selectors.project_get_for_user(slug=slug, user=request.user)
    versions = list(selectors.model_version_list(project=project))
    return render(
        request,
        "projects/project_detail.html",
        _detail_context(project, role, versions, MemberForm()),
    )


def _detail_context(project, role, versions, member_form, status_form=None) -> dict:
    latest = selectors.model_version_latest_jobs(versions=versions)
    for version in versions:
        version.latest_job = latest.get(version.pk)
    return {
        "project": project,
        "role": role,
        "members": selectors.project_member_list(project=project),
        "versions": versions,
        "can_upload": _can(role, ProjectRole.EDITOR),
        "can_manage": _can(role, ProjectRole.ADMIN),
        "member_form": member_form,
        "status_form": status_form or StatusForm(initial={"status": project.status}),
    }


@login_required
@require_POST
def project_status_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Change the status as the API's PUT does (project admins; a linked project's status is
    an ERPNext write): through project_update, which records it and pushes it to ERPNext."""
    project, role = selectors.project_get_for_user(
        slug=slug, user=request.user, min_role=ProjectRole.ADMIN
    )
    form = StatusForm(request.POST)
    if form.is_valid():
        services.project_update(
            project=project, status=form.cleaned_data["status"], actor=request.user
        )
        messages.success(request, f"Status set to {project.get_status_display()}.")
        return redirect("project-detail", slug=project.slug)
    versions = list(selectors.model_version_list(project=project))
    return render(
        request,
        "projects/project_detail.html",
        _detail_context(project, role, versions, MemberForm(), form),
        status=400,
    )


@login_required
@require_POST
def project_member_add_view(request: HttpRequest, slug: str) -> HttpResponse:
    project, role = selectors.project_get_for_user(
        slug=slug, user=request.user, min_role=ProjectRole.ADMIN
    )
    form = MemberForm(request.POST)
    if form.is_valid():
        user = get_user_model().objects.filter(username=form.cleaned_data["username"]).first()
        if user is None:
            form.add_error("username", "No user has this username.")
        else:
            services.project_member_set(
                project=project, user_id=user.pk, role=form.cleaned_data["role"]
            )
            messages.success(
                request, f"{user.username} is now {form.cleaned_data['role']} on this project."
            )
            return redirect("project-detail", slug=project.slug)
    versions = list(selectors.model_version_list(project=project))
    return render(
        request,
        "projects/project_detail.html",
        _detail_context(project, role, versions, form),
        status=400,
    )


@csrf_exempt
@login_required
@require_http_methods(["GET", "POST"])
def model_upload_view(request: HttpRequest, slug: str) -> HttpResponse:
    # The upload handler must be in place before CSRF reads the body (Django's documented way:
    # exempt the outer view, protect the inner one).
    receipt = UploadReceipt()
    if request.method == "POST":
        # Refuse before anything (CSRF included) reads the body.
        if body_length_missing(request):
            return error_page(request, services.LengthRequiredError())
        if declared_body_too_large(request):
            return error_page(request, services.UploadTooLargeError())
        receipt = install_upload_handler(request)
    return _model_upload(request, slug, receipt)


@csrf_protect
def _model_upload(request: HttpRequest, slug: str, receipt: UploadReceipt) -> HttpResponse:
    project, _ = selectors.project_get_for_user(
        slug=slug, user=request.user, min_role=ProjectRole.EDITOR
    )
    form = ModelUploadForm()
    status = 200
    duplicate_of = None
    if request.method == "POST":
        form = ModelUploadForm(request.POST, request.FILES)
        if receipt.too_large:
            raise services.UploadTooLargeError()
        if form.is_valid():
            try:
                version = services.model_version_create(
                    project=project,
                    user=request.user,
                    upload=form.cleaned_data["file"],
                    sha256=receipt.sha256.get("file"),
                    allow_duplicate=form.cleaned_data["allow_duplicate"],
                )
            except services.UploadTooLargeError:
                raise
            except services.DuplicateUploadError as exc:
                duplicate_of = exc.existing
            except ApplicationError as exc:
                form.add_error("file", exc.message)
            else:
                job = selectors.model_version_latest_job(version=version)
                messages.success(
                    request, f"Uploaded {version.original_filename} as version {version.number}."
                )
                return redirect("job-detail", job_id=job.pk)
        status = 400
    return render(
        request,
        "projects/model_upload.html",
        {
            "project": project,
            "form": form,
            "limit": format_bytes(settings.IFC_UPLOAD_MAX_BYTES),
            "duplicate_of": duplicate_of,
        },
        status=409 if duplicate_of else status,
    )


def _non_empty(params: QueryDict) -> QueryDict:
    """An HTML form sends blank inputs as `name=`; a blank filter means no filter."""
    cleaned = QueryDict(mutable=True)
    for key, values in params.lists():
        kept = [v for v in values if v.strip()]
        if kept:
            cleaned.setlist(key, kept)
    return cleaned


@login_required
@require_http_methods(["GET"])
def takeoff_view(request: HttpRequest, slug: str, version: str) -> HttpResponse:
    params = _non_empty(request.GET)
    query = parse_takeoff_query(params)
    project, _ = selectors.project_get_for_user(slug=slug, user=request.user)
    model_version = selectors.model_version_ready(project=project, number=version)
    lines = selectors.takeoff_lines(version=model_version, query=query)
    page = paginate(lines, query)
    measure, chart = _material_chart(model_version, query)
    base = [(k, v) for k, values in params.lists() if k != "page" for v in values]
    versions = selectors.model_version_list(project=project).filter(state="ready")
    totals = selectors.takeoff_totals(version=model_version, query=query)
    # Only the quantities the filtered lines have: a column of blanks only widens the table.
    shown = [q for q in QUANTITIES if q == "count" or totals[q] is not None]
    export_kwargs = {"slug": project.slug, "version": str(model_version.number)}
    query_string = f"?{urlencode(base)}" if base else ""
    return render(
        request,
        "projects/takeoff.html",
        {
            "project": project,
            "version": model_version,
            "query": query,
            "form": TakeoffFilterForm(
                initial={"group_by": query.group_by, **{k: v[0] for k, v in query.filters.items()}}
            ),
            "choices": selectors.takeoff_filter_choices(version=model_version),
            "rows": _table_rows(page["results"], query.group_by, shown),
            "quantities": [(q, QUANTITY_UNITS[q]) for q in shown],
            "columns": len(query.group_by) + len(shown) + 2,
            "totals": _format_line(totals, shown, totalled=TOTALLED_QUANTITIES),
            "page": page,
            "next_url": _with_page(base, page["next"]),
            "previous_url": _with_page(base, page["previous"]),
            "csv_url": reverse("api-takeoff-csv", kwargs=export_kwargs) + query_string,
            "csv_semicolon_url": reverse("api-takeoff-csv", kwargs=export_kwargs)
            + "?"
            + urlencode([*base, ("sep", ";")]),
            "xlsx_url": reverse("api-takeoff-xlsx", kwargs=export_kwargs) + query_string,
            "chart": chart,
            "chart_measure": measure,
            "other_versions": [v for v in versions if v.pk != model_version.pk],
        },
    )


def _material_chart(version, query) -> tuple[str, str]:
    measure, unit, bars = selectors.takeoff_chart_by_material(version=version, query=query)
    chart = horizontal_bar_chart(
        bars,
        unit=unit,
        title=f"Largest {measure} by material, version {version.number}",
        description=(
            "; ".join(f"{label}: {format_quantity(value, unit)}" for label, value in bars)
            or "The filtered elements have no quantities."
        ),
        chart_id="material-chart",
    )
    return measure, chart


def _with_page(base: list[tuple[str, str]], page: int | None) -> str | None:
    return None if page is None else "?" + urlencode([*base, ("page", str(page))])


def _format_line(line: dict, shown: list[str], totalled: tuple[str, ...] = QUANTITIES) -> dict:
    # A sum of lengths or areas across element types (wall faces plus pipe runs) prices nothing.
    cells = [
        (
            name,
            QUANTITY_UNITS[name],
            _quantity(line[name], name) if line[name] else "",
            _measured_note(line, name),
        )
        if name in totalled
        else (name, QUANTITY_UNITS[name], "", "")
        for name in shown
    ]
    return {
        "cells": cells,
        "element_count": line["element_count"],
        "sources": ", ".join(line["sources"]),
    }


def _measured_note(line: dict, name: str) -> str:
    """Beside an exported volume or area the takeoff flagged: the measured value of the line."""
    flagged = {"volume": "implausible_count", "area": "implausible_area_count"}.get(name)
    if flagged is None or not line.get(flagged) or line.get(f"measured_{name}") is None:
        return ""
    return _quantity(line[f"measured_{name}"], name)


def _quantity(value: float | None, name: str) -> str:
    return format_quantity(value, QUANTITY_UNITS[name], show_unit=False)


def _table_rows(lines: list[dict], group_by: tuple[str, ...], shown: list[str]) -> list[dict]:
    return [{"key": _key_cells(line, group_by), **_format_line(line, shown)} for line in lines]


def _key_cells(line: dict, group_by: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(field, "—" if line[field] is None else line[field]) for field in group_by]


@login_required
@require_http_methods(["GET"])
def takeoff_diff_view(request: HttpRequest, slug: str, version: str) -> HttpResponse:
    params = _non_empty(request.GET)
    query = parse_takeoff_query(params, allow=frozenset({"unchanged"}))
    against = params.get("against")
    if not against:
        raise ApplicationError("Say which version to compare with: ?against=<version>.")
    show_unchanged = parse_flag(params.get("unchanged"), "unchanged")
    statuses = parse_diff_statuses(params.get("status"), unchanged=show_unchanged)
    project, _ = selectors.project_get_for_user(slug=slug, user=request.user)
    new = selectors.model_version_ready(project=project, number=version)
    old = selectors.model_version_ready(project=project, number=against)
    lines = selectors.takeoff_diff(old=old, new=new, query=query)
    summary = {s: sum(1 for line in lines if line["status"] == s) for s in DIFF_STATUSES}
    shown_lines = [line for line in lines if line["status"] in statuses]
    shown = [
        q
        for q in QUANTITIES
        if any((line[side] or {}).get(q) for line in shown_lines for side in ("old", "new"))
    ] or ["count"]
    # Links keep the grouping and filters; each count opens its own lines.
    base = [
        (k, v)
        for k, values in params.lists()
        if k not in ("status", "unchanged", "page")
        for v in values
    ]
    return render(
        request,
        "projects/takeoff_diff.html",
        {
            "project": project,
            "new": new,
            "old": old,
            "query": query,
            "summary": [
                (s, summary[s], "?" + urlencode([*base, ("status", s)]), s in statuses)
                for s in DIFF_STATUSES
            ],
            "all_url": "?" + urlencode(base),
            "every_url": "?" + urlencode([*base, ("unchanged", "1")]),
            "base": base,
            "status_param": params.get("status", ""),
            "statuses": statuses,
            "show_unchanged": "unchanged" in statuses,
            "hidden_unchanged": summary["unchanged"] if "unchanged" not in statuses else 0,
            "rows": [_diff_row(line, query.group_by, shown) for line in shown_lines],
            "quantities": [(q, QUANTITY_UNITS[q]) for q in shown],
            "columns": len(query.group_by) + len(shown) + 1,
        },
    )


def _diff_row(line: dict, group_by: tuple[str, ...], shown: list[str]) -> dict:
    def fmt(values: dict | None, q: str) -> str:
        value = (values or {}).get(q)
        return _quantity(value, q) if value else ""

    return {
        "status": line["status"],
        "key": _key_cells(line, group_by),
        "cells": [
            (
                q,
                QUANTITY_UNITS[q],
                fmt(line["old"], q),
                fmt(line["new"], q),
                _signed(line["delta"].get(q), QUANTITY_UNITS[q]),
            )
            for q in shown
        ],
    }


def _signed(value: float | None, unit: str) -> str:
    if not value:
        return ""
    text = format_quantity(abs(value), unit, show_unit=False)
    return f"+{text}" if value > 0 else f"\u2212{text}"
