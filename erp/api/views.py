"""JSON API of ERPNext project links: search, link, create, unlink, pull, push, history,
webhook sites, and the webhook receiver."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from erp import selectors, services
from erp.constants import (
    HISTORY_MAX_PAGE_SIZE,
    HISTORY_PAGE_SIZE,
    SEARCH_MAX_PAGE_SIZE,
    SEARCH_PAGE_SIZE,
    WEBHOOK_SIGNATURE_HEADER,
)
from openaec.accounts.api.serializers import DetailSerializer
from openaec.accounts.permissions import IsEditorOrAdmin
from openaec.api import integer_parameter, validated
from openaec.exceptions import AccessDeniedError, ApplicationError
from openaec.parsers import whole_number

from .serializers import (
    LinkOutputSerializer,
    SiteOutputSerializer,
    SiteSecretOutputSerializer,
    StatusChangeOutputSerializer,
    SyncOutputSerializer,
)

ERRORS = {code: DetailSerializer for code in (400, 403, 404, 409, 502)}


def _page_params(request, *, default_size: int, max_size: int) -> tuple[int, int]:
    page = whole_number(request.query_params.get("page") or "1")
    size = whole_number(request.query_params.get("page_size") or str(default_size))
    if page is None or size is None:
        raise ApplicationError("page and page_size must be whole numbers (at most 9 digits).")
    if page < 1 or not 1 <= size <= max_size:
        raise ApplicationError(f"page must be 1 or more and page_size 1 to {max_size}.")
    return page, size


def _sync_body(outcome) -> dict:
    return SyncOutputSerializer(
        {
            "result": outcome.result,
            "applied": outcome.applied,
            "detail": outcome.detail,
            "changes": outcome.changes,
            "link": selectors.project_link_get(project=outcome.link.project),
        }
    ).data


def _paging(max_size: int) -> list:
    return [
        integer_parameter("page", description="1-based page number"),
        integer_parameter("page_size", maximum=max_size, description="rows per page"),
    ]


class ErpnextProjectSearchApi(APIView):
    permission_classes = [IsEditorOrAdmin]

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ErpnextProjectSearchOutput"

        class RowSerializer(serializers.Serializer):
            class Meta:
                ref_name = "ErpnextProjectRow"

            name = serializers.CharField()
            project_name = serializers.CharField(allow_null=True)
            status = serializers.CharField(allow_null=True)
            percent_complete = serializers.FloatField(allow_null=True)
            expected_start_date = serializers.CharField(allow_null=True)
            expected_end_date = serializers.CharField(allow_null=True)
            company = serializers.CharField(allow_null=True)
            modified = serializers.CharField(allow_null=True)
            linked = serializers.BooleanField(help_text="Already linked to a BIM project.")

        erpnext_site = serializers.CharField()
        count = serializers.IntegerField()
        page = serializers.IntegerField()
        page_size = serializers.IntegerField()
        truncated = serializers.BooleanField()
        results = RowSerializer(many=True)

    @extend_schema(
        summary="Search the ERPNext Projects of your own ERPNext",
        parameters=[
            OpenApiParameter("q", str, description="part of the ID (PROJ-0001) or the title"),
            *_paging(SEARCH_MAX_PAGE_SIZE),
        ],
        responses={200: OutputSerializer, **ERRORS},
    )
    def get(self, request):
        page, page_size = _page_params(
            request, default_size=SEARCH_PAGE_SIZE, max_size=SEARCH_MAX_PAGE_SIZE
        )
        result = services.erpnext_project_search(
            user=request.user, q=request.query_params.get("q", ""), page=page, page_size=page_size
        )
        return Response(self.OutputSerializer(result).data)


class ProjectErpnextLinkApi(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ErpnextLinkInput"

        erpnext_project = serializers.CharField(
            max_length=140, help_text="The ERPNext Project's ID, e.g. PROJ-0001."
        )

    @extend_schema(
        summary="The project's ERPNext link", responses={200: LinkOutputSerializer, **ERRORS}
    )
    def get(self, request, slug: str):
        project, _ = selectors.erp_project_get(slug=slug, user=request.user)
        link = selectors.project_link_get(project=project)
        return Response(LinkOutputSerializer(link).data)

    @extend_schema(
        summary="Link the project to an existing ERPNext Project",
        request=InputSerializer,
        responses={201: LinkOutputSerializer, **ERRORS},
    )
    def post(self, request, slug: str):
        project, _ = selectors.erp_project_get(slug=slug, user=request.user, write=True)
        data = validated(self.InputSerializer, request.data)
        services.project_link_create(
            project=project, user=request.user, erpnext_project=data["erpnext_project"]
        )
        link = selectors.project_link_get(project=project)
        return Response(LinkOutputSerializer(link).data, status=status.HTTP_201_CREATED)

    @extend_schema(summary="Unlink (ERPNext is not changed)", responses={204: None, **ERRORS})
    def delete(self, request, slug: str):
        project, _ = selectors.erp_project_get(slug=slug, user=request.user, write=True)
        services.project_link_delete(project=project, user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProjectErpnextCreateApi(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ErpnextCreateInput"

        company = serializers.CharField(
            max_length=140, required=False, allow_blank=True, allow_null=True
        )
        expected_start_date = serializers.DateField(required=False, allow_null=True)
        expected_end_date = serializers.DateField(required=False, allow_null=True)

    @extend_schema(
        summary="Create an ERPNext Project from this project and link it",
        request=InputSerializer,
        responses={201: LinkOutputSerializer, **ERRORS},
    )
    def post(self, request, slug: str):
        project, _ = selectors.erp_project_get(slug=slug, user=request.user, write=True)
        data = validated(self.InputSerializer, request.data or {})
        services.project_link_create_new(project=project, user=request.user, **data)
        link = selectors.project_link_get(project=project)
        return Response(LinkOutputSerializer(link).data, status=status.HTTP_201_CREATED)


class ProjectErpnextPullApi(APIView):
    @extend_schema(
        summary="Pull status, % complete and dates from ERPNext now",
        request=None,
        responses={200: SyncOutputSerializer, **ERRORS},
    )
    def post(self, request, slug: str):
        project, _ = selectors.erp_project_get(slug=slug, user=request.user, write=True)
        outcome = services.project_link_pull(project=project, user=request.user)
        return Response(_sync_body(outcome))


class ProjectErpnextPushApi(APIView):
    @extend_schema(
        summary="Push the BIM status to ERPNext now",
        request=None,
        responses={200: SyncOutputSerializer, **ERRORS},
    )
    def post(self, request, slug: str):
        project, _ = selectors.erp_project_get(slug=slug, user=request.user, write=True)
        outcome = services.project_status_push(project=project, user=request.user)
        return Response(_sync_body(outcome))


class ProjectErpnextHistoryApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "StatusHistoryOutput"

        count = serializers.IntegerField()
        page = serializers.IntegerField()
        page_size = serializers.IntegerField()
        results = StatusChangeOutputSerializer(many=True)

    @extend_schema(
        summary="The project's status history, newest first",
        parameters=_paging(HISTORY_MAX_PAGE_SIZE),
        responses={200: OutputSerializer, **ERRORS},
    )
    def get(self, request, slug: str):
        project, _ = selectors.erp_project_get(slug=slug, user=request.user)
        page, page_size = _page_params(
            request, default_size=HISTORY_PAGE_SIZE, max_size=HISTORY_MAX_PAGE_SIZE
        )
        rows = selectors.project_status_history(project=project)
        start = (page - 1) * page_size
        body = {
            "count": rows.count(),
            "page": page,
            "page_size": page_size,
            "results": rows[start : start + page_size],
        }
        return Response(self.OutputSerializer(body).data)


def _require_admin(user) -> None:
    if not user.is_admin:
        raise AccessDeniedError("Access denied: only administrators manage ERPNext sites.")


class ErpnextSiteListApi(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ErpnextSiteInput"

        url = serializers.CharField(max_length=512)

    @extend_schema(
        summary="ERPNext sites and their webhook URLs (admins)",
        responses={200: SiteOutputSerializer(many=True), **ERRORS},
    )
    def get(self, request):
        _require_admin(request.user)
        sites = selectors.erpnext_site_list()
        return Response(SiteOutputSerializer(sites, many=True, context={"request": request}).data)

    @extend_schema(
        summary="Register an ERPNext site (admins); links register theirs themselves",
        request=InputSerializer,
        responses={201: SiteOutputSerializer, **ERRORS},
    )
    def post(self, request):
        _require_admin(request.user)
        data = validated(self.InputSerializer, request.data)
        site = services.erpnext_site_get_or_create(url=data["url"])
        body = SiteOutputSerializer(site, context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)


class ErpnextSiteWebhookSecretApi(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "WebhookSecretInput"

        secret = serializers.CharField(
            required=False,
            allow_null=True,
            trim_whitespace=False,
            help_text="Your own secret; leave out to have one generated.",
        )

    @extend_schema(
        summary="Set or generate the site's webhook secret (admins); shown only in this answer",
        request=InputSerializer,
        responses={200: SiteSecretOutputSerializer, **ERRORS},
    )
    def post(self, request, site_id: str):
        _require_admin(request.user)
        site = selectors.erpnext_site_get(site_id=site_id)
        data = validated(self.InputSerializer, request.data or {})
        new = services.erpnext_site_webhook_secret_set(
            user=request.user, site=site, secret=data.get("secret")
        )
        body = SiteOutputSerializer(new.site, context={"request": request}).data
        return Response({**body, "webhook_secret": new.secret})

    @extend_schema(
        summary="Disable the site's webhook: forget the secret, change the URL (admins)",
        responses={204: None, **ERRORS},
    )
    def delete(self, request, site_id: str):
        _require_admin(request.user)
        site = selectors.erpnext_site_get(site_id=site_id)
        services.erpnext_site_webhook_disable(user=request.user, site=site)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ErpnextWebhookApi(APIView):
    """ERPNext's Project webhook. Frappe sends no bearer token: the HMAC signature of the body
    is the authentication, so there is no session and no CSRF here."""

    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = []

    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ErpnextWebhookOutput"

        result = serializers.ChoiceField(choices=["updated", "unchanged", "not_linked"])
        detail = serializers.CharField()
        erpnext_project = serializers.CharField()

    @extend_schema(
        summary="Receive ERPNext's signed Project webhook",
        description=(
            f"Signed by Frappe: `{WEBHOOK_SIGNATURE_HEADER}` = base64(HMAC-SHA256(secret, body)). "
            "401 unsigned, 403 bad signature; a delivery already received or not newer than "
            "the state held is 200 `unchanged` (so that Frappe does not retry it)."
        ),
        request={"application/json": {"type": "object"}},
        responses={
            200: OutputSerializer,
            400: DetailSerializer,
            401: DetailSerializer,
            403: DetailSerializer,
            404: DetailSerializer,
        },
        auth=[],
    )
    def post(self, request, site_token: str):
        outcome = services.erpnext_webhook_receive(
            token=site_token,
            body=request.body,
            signature=request.headers.get(WEBHOOK_SIGNATURE_HEADER),
        )
        return Response(
            {
                "result": outcome.result,
                "detail": outcome.detail,
                "erpnext_project": outcome.erpnext_project,
            }
        )
