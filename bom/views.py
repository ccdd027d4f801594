"""HTML pages of the BOM: rules, suggestions, preview, sync runs. Plain forms, no JavaScript."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from jobs.views import job_page
from openaec.exceptions import AccessDeniedError, ApplicationError
from projects.permissions import may_write
from projects.selectors import model_version_list, project_get_for_user

from . import selectors, services
from .forms import MappingRuleForm, SyncForm


def _can_write(user, role: str | None) -> bool:
    return may_write(user=user, role=role)


def _ready_versions(project):
    return list(model_version_list(project=project).filter(state="ready"))


def _uoms(request, project, form) -> services.UomChoices | None:
    """The ERPNext UOMs offered on a rule form (asked only of those who may write)."""
    choices = services.uom_choices(user=request.user, project=project)
    form.offer_uoms(choices)
    return choices


def _saved(request, text: str, project) -> None:
    messages.success(request, text)
    choices = services.uom_choices(user=request.user, project=project)
    if choices.names is None and request.user.erpnext_configured:
        messages.warning(request, choices.note)


def _overview(request, project, role, *, rule_form=None, sync_form=None, status=200):
    versions = _ready_versions(project)
    can_write = _can_write(request.user, role)
    rule_form = rule_form or MappingRuleForm()
    return render(
        request,
        "bom/overview.html",
        {
            "project": project,
            "role": role,
            "can_write": can_write,
            "rules": selectors.rule_list_for_project(project=project),
            "rule_form": rule_form,
            "uoms": _uoms(request, project, rule_form) if can_write else None,
            "sync_form": sync_form
            or SyncForm(
                versions=versions,
                initial={"model_version": versions[0].number if versions else None},
            ),
            "has_versions": bool(versions),
            "coverage": (
                services.bom_coverage(project=project, version=versions[0]) if versions else None
            ),
            "runs": selectors.run_list(project=project)[:20],
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def bom_overview_view(request: HttpRequest, slug: str) -> HttpResponse:
    project, role = project_get_for_user(slug=slug, user=request.user)
    if request.method == "GET":
        return _overview(request, project, role)
    if not _can_write(request.user, role):
        raise AccessDeniedError("Access denied: changing rules needs the editor or admin role.")
    form = MappingRuleForm(request.POST)
    if form.is_valid():
        rule = services.mapping_rule_create(
            user=request.user, project=project, data=form.cleaned_data
        )
        _saved(request, f"Rule for {rule.item_code} added.", project)
        return redirect("bom", slug=project.slug)
    return _overview(request, project, role, rule_form=form, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def bom_rule_edit_view(request: HttpRequest, slug: str, rule_id: str) -> HttpResponse:
    project, role = project_get_for_user(slug=slug, user=request.user)
    rule = selectors.rule_get(rule_id=rule_id, project=project)
    return _rule_edit(request, rule, can_write=_can_write(request.user, role), back=project)


def _rule_edit(request, rule, *, can_write: bool, back) -> HttpResponse:
    if request.method == "POST":
        if not can_write:
            raise AccessDeniedError("Access denied: your role does not allow changing rules.")
        form = MappingRuleForm(request.POST)
        if form.is_valid():
            services.mapping_rule_update(user=request.user, rule=rule, data=form.cleaned_data)
            _saved(request, f"Rule for {rule.item_code} saved.", back)
            return redirect("bom", slug=back.slug) if back else redirect("bom-shared-rules")
        status = 400
    else:
        form = MappingRuleForm(initial=MappingRuleForm.initial_for(rule))
        status = 200
    return render(
        request,
        "bom/rule_form.html",
        {
            "rule": rule,
            "form": form,
            "project": back,
            "can_write": can_write,
            "uoms": _uoms(request, back, form) if can_write else None,
        },
        status=status,
    )


@login_required
@require_POST
def bom_rule_delete_view(request: HttpRequest, slug: str, rule_id: str) -> HttpResponse:
    project, role = project_get_for_user(slug=slug, user=request.user)
    if not _can_write(request.user, role):
        raise AccessDeniedError("Access denied: changing rules needs the editor or admin role.")
    rule = selectors.rule_get(rule_id=rule_id, project=project)
    services.mapping_rule_delete(user=request.user, rule=rule)
    messages.success(request, f"Rule for {rule.item_code} deleted.")
    return redirect("bom", slug=project.slug)


@login_required
@require_http_methods(["GET", "POST"])
def shared_rules_view(request: HttpRequest) -> HttpResponse:
    form = MappingRuleForm()
    status = 200
    if request.method == "POST":
        form = MappingRuleForm(request.POST)
        if form.is_valid():
            rule = services.mapping_rule_create(
                user=request.user, project=None, data=form.cleaned_data
            )
            _saved(request, f"Shared rule for {rule.item_code} added.", None)
            return redirect("bom-shared-rules")
        status = 400
    can_write = request.user.is_admin
    return render(
        request,
        "bom/shared_rules.html",
        {
            "rules": selectors.shared_rule_list(),
            "form": form,
            "can_write": can_write,
            "uoms": _uoms(request, None, form) if can_write else None,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def shared_rule_edit_view(request: HttpRequest, rule_id: str) -> HttpResponse:
    rule = selectors.rule_get(rule_id=rule_id, project=None)
    return _rule_edit(request, rule, can_write=request.user.is_admin, back=None)


@login_required
@require_POST
def shared_rule_delete_view(request: HttpRequest, rule_id: str) -> HttpResponse:
    rule = selectors.rule_get(rule_id=rule_id, project=None)
    services.mapping_rule_delete(user=request.user, rule=rule)
    messages.success(request, f"Shared rule for {rule.item_code} deleted.")
    return redirect("bom-shared-rules")


# Preview, sync, runs


def _sync_form(request, project):
    form = SyncForm(request.POST, versions=_ready_versions(project))
    return form, form.is_valid()


@login_required
@require_POST
def bom_preview_view(request: HttpRequest, slug: str) -> HttpResponse:
    project, role = project_get_for_user(slug=slug, user=request.user)
    form, valid = _sync_form(request, project)
    if not valid:
        return _overview(request, project, role, sync_form=form, status=400)
    preview = services.bom_preview(
        project=project,
        user=request.user,
        model_version=form.cleaned_data["model_version"],
        options=form.options(),
    )
    return render(
        request,
        "bom/preview.html",
        {"project": project, "preview": preview, "form": form, "can_write": True},
    )


@login_required
@require_POST
def bom_sync_view(request: HttpRequest, slug: str) -> HttpResponse:
    project, role = project_get_for_user(slug=slug, user=request.user)
    form, valid = _sync_form(request, project)
    if not valid:
        return _overview(request, project, role, sync_form=form, status=400)
    run = services.bom_sync_start(
        project=project,
        user=request.user,
        model_version=form.cleaned_data["model_version"],
        options=form.options(),
    )
    messages.success(request, "BOM sync queued.")
    return redirect("bom-run", slug=project.slug, run_id=run.pk)


@login_required
@require_http_methods(["GET"])
def bom_run_view(request: HttpRequest, slug: str, run_id: str) -> HttpResponse:
    project, _ = project_get_for_user(slug=slug, user=request.user)
    return job_page(request, selectors.run_get(project=project, run_id=run_id))


@login_required
@require_POST
def bom_run_resume_view(request: HttpRequest, slug: str, run_id: str) -> HttpResponse:
    project, _ = project_get_for_user(slug=slug, user=request.user)
    run = selectors.run_get(project=project, run_id=run_id)
    services.bom_sync_resume(run=run, user=request.user)
    messages.success(request, "BOM sync queued again.")
    return redirect("bom-run", slug=project.slug, run_id=run.pk)


@login_required
@require_http_methods(["GET"])
def bom_suggestions_view(request: HttpRequest, slug: str) -> HttpResponse:
    project, role = project_get_for_user(slug=slug, user=request.user)
    number = request.GET.get("model_version")
    if not number:
        raise ApplicationError("Say which model version: ?model_version=<number>.")
    found = services.bom_suggestions(project=project, user=request.user, model_version=number)
    return render(
        request,
        "bom/suggestions.html",
        {"project": project, "found": found, "can_write": _can_write(request.user, role)},
    )
