"""HTML pages of ERPNext links: a project's ERPNext page (search, link, create, unlink, pull,
push, history) and the administrators' site list with webhook secrets. No JavaScript."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from openaec.exceptions import AccessDeniedError, ApplicationError
from projects.permissions import may_write

from . import selectors, services
from .forms import CreateForm, LinkForm, SearchForm, WebhookSecretForm

HISTORY_ROWS = 50


def _webhook_url(request: HttpRequest, site) -> str:
    path = reverse("api-erpnext-webhook", kwargs={"site_token": site.webhook_token})
    return request.build_absolute_uri(path)


def _page(
    request: HttpRequest,
    project,
    role: str,
    *,
    status: int = 200,
    error: str | None = None,
    search=None,
    search_form: SearchForm | None = None,
    link_form: LinkForm | None = None,
    create_form: CreateForm | None = None,
) -> HttpResponse:
    link = selectors.project_link_find(project=project)
    can_write = may_write(user=request.user, role=role)
    context = {
        "project": project,
        "role": role,
        "link": link,
        "in_step": services.link_in_step(link, project.status) if link else None,
        "history": selectors.project_status_history(project=project)[:HISTORY_ROWS],
        "can_write": can_write,
        "error": error,
        "search": search,
        "search_form": search_form or SearchForm(),
        "link_form": link_form or LinkForm(),
        "create_form": create_form or CreateForm(),
        "webhook_url": _webhook_url(request, link.site) if link and request.user.is_admin else None,
    }
    return render(request, "erp/project_erpnext.html", context, status=status)


@login_required
@require_GET
def project_erpnext_view(request: HttpRequest, slug: str) -> HttpResponse:
    project, role = selectors.erp_project_get(slug=slug, user=request.user)
    search_form = SearchForm(request.GET if "q" in request.GET else None)
    if not search_form.is_bound:
        return _page(request, project, role)
    if not search_form.is_valid():
        return _page(request, project, role, status=400, search_form=search_form)
    try:
        search = services.erpnext_project_search(
            user=request.user,
            q=search_form.cleaned_data["q"],
            page=search_form.cleaned_data["page"] or 1,
        )
    except ApplicationError as exc:
        return _page(
            request,
            project,
            role,
            status=exc.status_code,
            error=exc.message,
            search_form=search_form,
        )
    return _page(request, project, role, search=search, search_form=search_form)


@login_required
@require_POST
def project_erpnext_action_view(request: HttpRequest, slug: str, action: str) -> HttpResponse:
    project, role = selectors.erp_project_get(slug=slug, user=request.user, write=True)
    forms = {}
    try:
        if action == "link":
            form = forms["link_form"] = LinkForm(request.POST)
            if not form.is_valid():
                return _page(request, project, role, status=400, **forms)
            link = services.project_link_create(
                project=project,
                user=request.user,
                erpnext_project=form.cleaned_data["erpnext_project"],
            )
            message = f"Linked to ERPNext project {link.erpnext_project}."
        elif action == "create":
            form = forms["create_form"] = CreateForm(request.POST)
            if not form.is_valid():
                return _page(request, project, role, status=400, **forms)
            link = services.project_link_create_new(
                project=project, user=request.user, **form.cleaned_data
            )
            message = f"Created ERPNext project {link.erpnext_project} and linked it."
        elif action == "unlink":
            services.project_link_delete(project=project, user=request.user)
            message = "Unlinked from ERPNext; the ERPNext project itself is unchanged."
        elif action == "pull":
            message = services.project_link_pull(project=project, user=request.user).detail
        elif action == "push":
            message = services.project_status_push(project=project, user=request.user).detail
        else:
            raise ValueError(f"unknown action {action!r}")
    except ApplicationError as exc:
        return _page(request, project, role, status=exc.status_code, error=exc.message, **forms)
    messages.success(request, message)
    return redirect("project-erpnext", slug=project.slug)


def _sites_page(request: HttpRequest, *, status: int = 200, **extra) -> HttpResponse:
    sites = [
        {"site": site, "webhook_url": _webhook_url(request, site), "links": site.links.count()}
        for site in selectors.erpnext_site_list()
    ]
    context = {"sites": sites, "secret_form": WebhookSecretForm(), **extra}
    return render(request, "erp/sites.html", context, status=status)


@login_required
@require_GET
def erpnext_sites_view(request: HttpRequest) -> HttpResponse:
    if not request.user.is_admin:
        raise AccessDeniedError("Access denied: administrators only.")
    return _sites_page(request)


@login_required
@require_POST
def erpnext_site_secret_view(request: HttpRequest, site_id: int) -> HttpResponse:
    if not request.user.is_admin:
        raise AccessDeniedError("Access denied: administrators only.")
    site = selectors.erpnext_site_get(site_id=site_id)
    form = WebhookSecretForm(request.POST)
    if not form.is_valid():
        return _sites_page(request, status=400, form_site=site, secret_form_errors=form.errors)
    if request.POST.get("disable"):
        services.erpnext_site_webhook_disable(user=request.user, site=site)
        messages.success(request, f"Webhook of {site.url} disabled; its URL has changed.")
        return redirect("erpnext-sites")
    new = services.erpnext_site_webhook_secret_set(
        user=request.user, site=site, secret=form.cleaned_data["secret"] or None
    )
    # Rendered, not redirected: the secret must not travel through the session's messages.
    return _sites_page(request, new_secret=new.secret, new_secret_site=new.site)
