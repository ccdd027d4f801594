"""HTML pages of accounts: login, registration, settings, personal tokens. No JavaScript."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from openaec.exceptions import ApplicationError

from . import selectors, services
from .forms import ApiTokenForm, IntegrationSettingsForm, LoginForm, RegisterForm
from .throttles import ApiTokenCreateThrottle, ConnectionTestThrottle, page_throttle_check


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


@require_http_methods(["GET", "POST"])
def register_view(request: HttpRequest) -> HttpResponse:
    if not settings.ALLOW_REGISTRATION:
        return render(request, "accounts/register_closed.html", status=403)
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_register(**form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            login(request, user)
            messages.success(request, f"Welcome, {user.username}. Your role is {user.role}.")
            return redirect("home")
    return render(request, "accounts/register.html", {"form": form})


SHOWN_SETTINGS = ("erpnext_url", "erpnext_api_key", "nextcloud_url", "nextcloud_username")
SYSTEMS = {
    "erpnext": ("ERPNext", "erpnext_api_secret", services.erpnext_connection_test),
    "nextcloud": ("Nextcloud", "nextcloud_password", services.nextcloud_connection_test),
}


@login_required
@require_http_methods(["GET", "POST"])
def settings_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    if request.method == "POST":
        if not user.can_edit:
            raise PermissionDenied
        form = IntegrationSettingsForm(request.POST)
        if form.is_valid():
            try:
                services.integration_settings_update(user=user, changes=_typed(request, form))
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                for _, secret_field, _ in SYSTEMS.values():
                    services.pending_secret_forget(session=request.session, field=secret_field)
                for note in form.notes:
                    messages.info(request, note)
                messages.success(request, "Settings saved.")
                return redirect("settings")
        status = 400
    else:
        form = IntegrationSettingsForm(initial=_settings_initial(user))
        status = 200
    return render(
        request, "accounts/settings.html", _settings_context(request, form), status=status
    )


@login_required
@require_POST
def connection_test_view(request: HttpRequest, system: str) -> HttpResponse:
    """Test what the form holds (typed, not yet saved values included) without saving it."""
    user = request.user
    if not user.can_edit:
        raise PermissionDenied
    name, _, test = SYSTEMS[system]
    form = IntegrationSettingsForm(request.POST)
    throttle = ConnectionTestThrottle()
    status = 200
    result = None
    if not throttle.allow_request(request, None):
        wait = int(throttle.wait() or 60) + 1
        result = {"success": False, "error": f"Too many tests. Try again in {wait} seconds."}
        status = 429
    elif form.is_valid():
        changes = {k: v for k, v in _typed(request, form).items() if k.startswith(system)}
        try:
            result = test(user=user, changes=changes)
        except ValidationError as exc:
            form.add_error(None, exc)
        except ApplicationError as exc:
            result = {"success": False, "error": exc.message}
        else:
            result = services.connection_result_sentence(result, system=name)
    if form.is_valid():
        # Show what was tested: the typed values, a pasted desk URL already cut back.
        shown = {**_settings_initial(user), **_typed_fields(request, form)}
        notes, form = form.notes, IntegrationSettingsForm(initial=shown)
        form.notes = notes
    else:
        status = 400 if status == 200 else status
    context = _settings_context(request, form)
    context[f"{system}_test"] = result
    response = render(request, "accounts/settings.html", context, status=status)
    if status == 429:
        response["Retry-After"] = str(wait)
    return response


def _typed_fields(request: HttpRequest, form: IntegrationSettingsForm) -> dict:
    """The non-secret fields the request carried, cleaned."""
    return {name: form.cleaned_data[name] for name in SHOWN_SETTINGS if name in request.POST}


def _typed(request: HttpRequest, form: IntegrationSettingsForm) -> dict[str, str | None]:
    """The form's changes; a typed secret is held in the session until it is saved.

    Only fields the request carried count, so an empty POST leaves every setting as stored.
    A blank secret input means the one typed earlier (and tested), else the stored one.
    """
    changes = {
        name: value
        for name, value in form.changes().items()
        if name in request.POST or f"{name}_clear" in request.POST
    }
    session = request.session
    for _, field, _ in SYSTEMS.values():
        if form.cleaned_data.get(f"{field}_clear"):
            services.pending_secret_forget(session=session, field=field)
        elif changes.get(field):
            services.pending_secret_keep(session=session, field=field, value=changes[field])
        else:
            pending = services.pending_secret_get(session=session, field=field)
            if pending:
                changes[field] = pending
    return changes


def _settings_initial(user) -> dict:
    return {name: getattr(user, name) for name in SHOWN_SETTINGS}


def _settings_context(request: HttpRequest, form) -> dict:
    user = request.user
    session = request.session
    return {
        "form": form,
        "can_edit": user.can_edit,
        "erpnext_api_secret_set": bool(user.erpnext_api_secret),
        "nextcloud_password_set": bool(user.nextcloud_password),
        "erpnext_api_secret_pending": services.pending_secret_held(
            session=session, field="erpnext_api_secret"
        ),
        "nextcloud_password_pending": services.pending_secret_held(
            session=session, field="nextcloud_password"
        ),
        "notes": getattr(form, "notes", []),
    }


# A new token travels to the next GET in the session (encrypted), once: reloading makes no
# second token and shows it no more.
NEW_TOKEN = "new_api_token"


@login_required
@require_http_methods(["GET", "POST"])
def tokens_view(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    status = 200
    if request.method == "POST":
        page_throttle_check(ApiTokenCreateThrottle(), request, "new tokens")
        try:
            if form.is_valid():
                created = services.api_token_create(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    expires_days=form.cleaned_data["expires_days"],
                )
                services.pending_secret_keep(
                    session=request.session, field=NEW_TOKEN, value=created.raw
                )
                return redirect("tokens")
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        status = 400
    new_token = services.pending_secret_get(session=request.session, field=NEW_TOKEN)
    services.pending_secret_forget(session=request.session, field=NEW_TOKEN)
    tokens = selectors.api_token_list(user=request.user)
    return render(
        request,
        "accounts/tokens.html",
        {"form": form, "tokens": tokens, "new_token": new_token},
        status=status,
    )


@login_required
@require_POST
def token_revoke_view(request: HttpRequest, token_id: str) -> HttpResponse:
    try:
        services.api_token_delete(user=request.user, token_id=token_id)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Token revoked.")
    return redirect("tokens")


def home_view(request: HttpRequest) -> HttpResponse:
    """People come for their projects; Settings first only while ERPNext is still to be set up."""
    user = request.user
    if not user.is_authenticated:
        return redirect("login")
    if user.can_edit and not user.erpnext_configured:
        return redirect("settings")
    return redirect("projects")
