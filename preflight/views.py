"""The "Check my ERPNext" page: the read-only preflight, run synchronously within a budget."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from openaec.accounts.throttles import ConnectionTestThrottle
from openaec.exceptions import ApplicationError

from .services import PAGE_BUDGET_S, erpnext_preflight


@login_required
@require_http_methods(["GET", "POST"])
def preflight_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    context: dict = {"can_edit": user.can_edit}
    status = 200
    if request.method == "POST":
        if not user.can_edit:
            raise PermissionDenied
        throttle = ConnectionTestThrottle()  # the same allowance as the connection test
        if not throttle.allow_request(request, None):
            wait = int(throttle.wait() or 60) + 1
            context["error"] = f"Too many checks. Try again in {wait} seconds."
            response = render(request, "preflight/preflight.html", context, status=429)
            response["Retry-After"] = str(wait)
            return response
        try:
            context["report"] = erpnext_preflight(user=user, budget_s=PAGE_BUDGET_S)
        except ApplicationError as exc:
            context["error"] = exc.message
            status = 400
    return render(request, "preflight/preflight.html", context, status=status)
