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
            return redirect("settings")
    return render(request, "accounts/register.html", {"form": form})


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
                services.integration_settings_update(user=user, changes=form.changes())
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, "Settings saved.")
                return redirect("settings")
        status = 400
    else:
        form = IntegrationSettingsForm(initial=_settings_initial(user))
        status = 200
    return render(request, "accounts/settings.html", _settings_context(user, form), status=status)


@login_required
@require_POST
def connection_test_view(request: HttpRequest, system: str) -> HttpResponse:
    user = request.user
    if not user.can_edit:
        raise PermissionDenied
    test = {
        "erpnext": services.erpnext_connection_test,
        "nextcloud": services.nextcloud_connection_test,
    }[system]
    throttle = ConnectionTestThrottle()
    status = 200
    if not throttle.allow_request(request, None):
        wait = int(throttle.wait() or 60) + 1
        result = {"success": False, "error": f"Too many tests. Try again in {wait} seconds."}
        status = 429
    else:
        try:
            result = test(user=user)
        except ApplicationError as exc:
            result = {"success": False, "error": exc.message}
    context = _settings_context(user, IntegrationSettingsForm(initial=_settings_initial(user)))
    context[f"{system}_test"] = result
    response = render(request, "accounts/settings.html", context, status=status)
    if status == 429:
        response["Retry-After"] = str(wait)
    return response


def _settings_initial(user) -> dict:
    return {
        "erpnext_url": user.erpnext_url,
        "erpnext_api_key": user.erpnext_api_key,
        "nextcloud_url": user.nextcloud_url,
        "nextcloud_username": user.nextcloud_username,
    }


def _settings_context(user, form) -> dict:
    return {
        "form": form,
        "can_edit": user.can_edit,
        "erpnext_api_secret_set": bool(user.erpnext_api_secret),
        "nextcloud_password_set": bool(user.nextcloud_password),
    }


@login_required
@require_http_methods(["GET", "POST"])
def tokens_view(request: HttpRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST or None)
    new_token = None
    status = 200
    if request.method == "POST":
        page_throttle_check(ApiTokenCreateThrottle(), request, "new tokens")
        try:
            if form.is_valid():
                new_token = services.api_token_create(
                    user=request.user,
                    name=form.cleaned_data["name"],
                    expires_days=form.cleaned_data["expires_days"],
                ).raw
                form = ApiTokenForm()
        except ApplicationError as exc:
            form.add_error(None, exc.message)
            status = 400
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
    return redirect("settings" if request.user.is_authenticated else "login")
