"""JSON API of BIM projects (OpenAEC's /api/projects shapes), model versions, takeoff, jobs."""

import csv
from urllib.parse import urlencode

from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import renderers, serializers, status
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from openaec.accounts.api.serializers import DetailSerializer
from openaec.api import ClosedSerializer, choices_parameter, integer_parameter, validated
from openaec.exceptions import ApplicationError
from projects import selectors, services
from projects.exports import XLSX_CONTENT_TYPE, csv_header, csv_row, takeoff_xlsx
from projects.models import ProjectRole
from projects.takeoff_query import (
    DIFF_STATUSES,
    EXACT_FILTERS,
    GROUP_FIELDS,
    MAX_PAGE_SIZE,
    TakeoffQuery,
    paginate,
    parse_diff_statuses,
    parse_flag,
    parse_takeoff_query,
)
from projects.uploads import body_length_missing, declared_body_too_large, install_upload_handler

from .serializers import (
    DuplicateUploadSerializer,
    MemberOutputSerializer,
    ModelVersionOutputSerializer,
    ProjectOutputSerializer,
    TakeoffFilterChoicesSerializer,
)

# Projects


class ProjectListApi(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ProjectCreateInput"

        name = serializers.CharField(max_length=255)
        description = serializers.CharField(required=False, allow_blank=True, allow_null=True)
        code = serializers.CharField(max_length=64, required=False, allow_blank=True)
        status = serializers.ChoiceField(choices=["open", "completed", "cancelled"], required=False)

    @extend_schema(responses={200: ProjectOutputSerializer(many=True)})
    def get(self, request):
        projects = selectors.project_list_for_user(user=request.user)
        return Response(ProjectOutputSerializer(projects, many=True).data)

    @extend_schema(
        request=InputSerializer,
        responses={201: ProjectOutputSerializer, 400: DetailSerializer, 403: DetailSerializer},
    )
    def post(self, request):
        data = validated(self.InputSerializer, request.data)
        project = services.project_create(
            user=request.user,
            name=data["name"],
            description=data.get("description") or "",
            code=data.get("code", ""),
            status=data.get("status", "open"),
        )
        return Response(ProjectOutputSerializer(project).data, status=status.HTTP_201_CREATED)


class ProjectDetailApi(APIView):
    class InputSerializer(ClosedSerializer):
        """Unknown fields are a 400 naming them; the read-only fields of the project as GET
        answers it are accepted and ignored, so a client may PUT back what it read."""

        class Meta:
            ref_name = "ProjectUpdateInput"

        ignored_fields = ("id", "slug", "owner_id", "created_at", "updated_at")

        # As in OpenAEC, null (or an absent key) leaves the field unchanged.
        name = serializers.CharField(max_length=255, required=False, allow_null=True)
        description = serializers.CharField(required=False, allow_blank=True, allow_null=True)
        code = serializers.CharField(
            max_length=64, required=False, allow_blank=True, allow_null=True
        )
        status = serializers.ChoiceField(
            choices=["open", "completed", "cancelled"], required=False, allow_null=True
        )

    @extend_schema(
        responses={200: ProjectOutputSerializer, 403: DetailSerializer, 404: DetailSerializer}
    )
    def get(self, request, slug: str):
        project, _ = selectors.project_get_for_user(slug=slug, user=request.user)
        return Response(ProjectOutputSerializer(project).data)

    @extend_schema(
        request=InputSerializer,
        responses={
            200: ProjectOutputSerializer,
            400: DetailSerializer,
            403: DetailSerializer,
            404: DetailSerializer,
        },
    )
    def put(self, request, slug: str):
        project, _ = selectors.project_get_for_user(
            slug=slug, user=request.user, min_role=ProjectRole.ADMIN
        )
        data = validated(self.InputSerializer, request.data)
        project = services.project_update(project=project, actor=request.user, **data)
        return Response(ProjectOutputSerializer(project).data)

    @extend_schema(responses={204: None, 403: DetailSerializer, 404: DetailSerializer})
    def delete(self, request, slug: str):
        project, _ = selectors.project_get_for_user(
            slug=slug, user=request.user, min_role=ProjectRole.ADMIN
        )
        services.project_delete(project=project)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ProjectMemberApi(APIView):
    class InputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "ProjectMemberInput"

        user_id = serializers.UUIDField()
        role = serializers.ChoiceField(choices=ProjectRole.values, default=ProjectRole.VIEWER)

    @extend_schema(responses={200: MemberOutputSerializer(many=True), 404: DetailSerializer})
    def get(self, request, slug: str):
        project, _ = selectors.project_get_for_user(slug=slug, user=request.user)
        members = selectors.project_member_list(project=project)
        return Response(MemberOutputSerializer(members, many=True).data)

    @extend_schema(
        request=InputSerializer,
        responses={
            201: MemberOutputSerializer,
            200: MemberOutputSerializer,
            400: DetailSerializer,
            403: DetailSerializer,
            404: DetailSerializer,
            409: DetailSerializer,
        },
    )
    def post(self, request, slug: str):
        project, _ = selectors.project_get_for_user(
            slug=slug, user=request.user, min_role=ProjectRole.ADMIN
        )
        data = validated(self.InputSerializer, request.data)
        member, created = services.project_member_set(
            project=project, user_id=data["user_id"], role=data["role"]
        )
        return Response(
            MemberOutputSerializer(member).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


# Model versions


class ModelVersionListApi(APIView):
    parser_classes = [MultiPartParser]

    def initialize_request(self, request, *args, **kwargs):
        # Before authentication or CSRF can read the body: stream the file to disk, hashed.
        self.upload_receipt = install_upload_handler(request)
        return super().initialize_request(request, *args, **kwargs)

    @extend_schema(responses={200: ModelVersionOutputSerializer(many=True)})
    def get(self, request, slug: str):
        project, _ = selectors.project_get_for_user(slug=slug, user=request.user)
        versions = list(selectors.model_version_list(project=project))
        context = {"latest_jobs": selectors.model_version_latest_jobs(versions=versions)}
        return Response(ModelVersionOutputSerializer(versions, many=True, context=context).data)

    @extend_schema(
        request={
            "multipart/form-data": {
                "type": "object",
                "properties": {
                    "file": {"type": "string", "format": "binary"},
                    "allow_duplicate": {"type": "boolean", "default": False},
                },
            }
        },
        parameters=[
            OpenApiParameter(
                "allow_duplicate",
                bool,
                description=(
                    "store a file identical to an earlier version (same SHA-256) as a new "
                    "version; without it that is a 409 with `duplicate_of` (the version number)"
                ),
            )
        ],
        responses={
            201: ModelVersionOutputSerializer,
            400: DetailSerializer,
            403: DetailSerializer,
            404: DetailSerializer,
            409: DuplicateUploadSerializer,
            411: DetailSerializer,
            413: DetailSerializer,
        },
    )
    def post(self, request, slug: str):
        project, _ = selectors.project_get_for_user(
            slug=slug, user=request.user, min_role=ProjectRole.EDITOR
        )
        if body_length_missing(request):
            raise services.LengthRequiredError()
        if declared_body_too_large(request):
            raise services.UploadTooLargeError()
        upload = request.FILES.get("file")
        if self.upload_receipt.too_large:
            raise services.UploadTooLargeError()
        allow_duplicate = parse_flag(
            request.query_params.get("allow_duplicate") or request.data.get("allow_duplicate"),
            "allow_duplicate",
        )
        version = services.model_version_create(
            project=project,
            user=request.user,
            upload=upload,
            sha256=self.upload_receipt.sha256.get("file"),
            allow_duplicate=allow_duplicate,
        )
        return Response(ModelVersionOutputSerializer(version).data, status=status.HTTP_201_CREATED)


class ModelVersionDetailApi(APIView):
    @extend_schema(
        responses={
            200: ModelVersionOutputSerializer,
            400: DetailSerializer,
            403: DetailSerializer,
            404: DetailSerializer,
        }
    )
    def get(self, request, slug: str, version: str):
        project, _ = selectors.project_get_for_user(slug=slug, user=request.user)
        model_version = selectors.model_version_get(project=project, number=version)
        return Response(ModelVersionOutputSerializer(model_version).data)


# Takeoff


class CsvRenderer(renderers.BaseRenderer):
    """Lets DRF accept `?format=csv` and `takeoff.csv`; the view streams the CSV itself."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return b""  # pragma: no cover - errors are rendered as JSON (see handle_exception)


class XlsxRenderer(renderers.BaseRenderer):
    """Lets DRF accept `?format=xlsx` and `takeoff.xlsx`; the view builds the workbook."""

    media_type = XLSX_CONTENT_TYPE
    format = "xlsx"
    charset = None

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return b""  # pragma: no cover - errors are rendered as JSON (see handle_exception)


class _Echo:
    def write(self, value: str) -> str:
        return value


# Excel takes a UTF-8 file for its own code page unless it starts with a byte order mark.
UTF8_BOM = "\ufeff"
CSV_SEPARATORS = {",": ".", ";": ","}  # separator -> decimal mark that goes with it


def parse_csv_separator(raw: str | None) -> str:
    """`sep`: ',' (the default) or ';' (with decimal commas, as Dutch and German Excel read)."""
    if raw is None or raw == "":
        return ","
    if raw not in CSV_SEPARATORS:
        raise ApplicationError("sep must be ',' or ';'.")
    return raw


def stream_csv(
    lines, group_by: tuple[str, ...], filename: str, *, sep: str = ","
) -> StreamingHttpResponse:
    """Stream takeoff lines as CSV (byte order mark and header first), one line at a time
    from the database."""
    writer = csv.writer(_Echo(), delimiter=sep)
    decimal = CSV_SEPARATORS[sep]

    def rows():
        yield UTF8_BOM + writer.writerow(csv_header(group_by))
        for line in lines:
            yield writer.writerow(csv_row(line, group_by, decimal=decimal))

    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class JsonErrorsMixin:
    """Errors are JSON even when the CSV renderer was chosen."""

    def handle_exception(self, exc):
        self.request.accepted_renderer = renderers.JSONRenderer()
        self.request.accepted_media_type = "application/json"
        return super().handle_exception(exc)


_TAKEOFF_PARAMETERS = [
    choices_parameter(
        "group_by", GROUP_FIELDS, description=f"comma-separated, of {', '.join(GROUP_FIELDS)}"
    ),
    integer_parameter("page"),
    integer_parameter("page_size", maximum=MAX_PAGE_SIZE, description="default 100"),
    *(
        integer_parameter(
            name, minimum=0, maximum=9999, description="exact layer index; repeat for several"
        )
        if name in EXACT_FILTERS
        else OpenApiParameter(
            name,
            str,
            description="case-insensitive 'contains' (wall finds IfcWallStandardCase); repeat "
            "for several; the values that exist: .../takeoff/filters",
        )
        for name in GROUP_FIELDS
    ),
]


class TakeoffApi(JsonErrorsMixin, APIView):
    renderer_classes = [renderers.JSONRenderer, CsvRenderer, XlsxRenderer]

    @extend_schema(
        parameters=[
            *_TAKEOFF_PARAMETERS,
            OpenApiParameter(
                "format",
                str,
                enum=["json", "csv", "xlsx"],
                description=(
                    "csv: every line (no paging), UTF-8 with a byte order mark, units in the "
                    "header, quantities rounded per kind; xlsx: an Excel workbook, one sheet "
                    "per grouping with totals (also at .../takeoff.csv and .../takeoff.xlsx)"
                ),
            ),
            OpenApiParameter(
                "sep",
                str,
                enum=[",", ";"],
                description="CSV only: ';' writes semicolons and decimal commas, as Dutch and "
                "German Excel read; default ','",
            ),
        ],
        responses={
            200: None,
            400: DetailSerializer,
            403: DetailSerializer,
            404: DetailSerializer,
            409: DetailSerializer,
        },
    )
    def get(self, request, slug: str, version: str):
        query = parse_takeoff_query(request.query_params, allow=frozenset({"sep"}))
        sep = parse_csv_separator(request.query_params.get("sep"))
        project, _ = selectors.project_get_for_user(slug=slug, user=request.user)
        model_version = selectors.model_version_ready(project=project, number=version)
        name = f"{project.slug}-v{model_version.number}-takeoff"
        if request.accepted_renderer.format == "xlsx":
            response = HttpResponse(
                takeoff_xlsx(project=project, version=model_version, query=query),
                content_type=XLSX_CONTENT_TYPE,
            )
            response["Content-Disposition"] = f'attachment; filename="{name}.xlsx"'
            return response
        lines = selectors.takeoff_lines(version=model_version, query=query)
        if request.accepted_renderer.format == "csv":
            return stream_csv(lines, query.group_by, f"{name}.csv", sep=sep)
        page = paginate(lines, query)
        return Response(
            {
                "project": project.slug,
                "version": model_version.number,
                "group_by": list(query.group_by),
                "filters": {k: list(v) for k, v in query.filters.items()},
                "count": page["count"],
                "page": query.page,
                "page_size": query.page_size,
                "next": _page_url(request, query, page["next"]),
                "previous": _page_url(request, query, page["previous"]),
                "totals": selectors.takeoff_totals(version=model_version, query=query),
                "results": page["results"],
            }
        )


class TakeoffCsvApi(TakeoffApi):
    """`.../takeoff.csv`: the same as `.../takeoff?format=csv`."""

    def get_format_suffix(self, **kwargs):
        return "csv"


class TakeoffXlsxApi(TakeoffApi):
    """`.../takeoff.xlsx`: the same as `.../takeoff?format=xlsx`."""

    def get_format_suffix(self, **kwargs):
        return "xlsx"


class TakeoffFiltersApi(APIView):
    @extend_schema(
        responses={
            200: TakeoffFilterChoicesSerializer,
            400: DetailSerializer,
            404: DetailSerializer,
            409: DetailSerializer,
        }
    )
    def get(self, request, slug: str, version: str):
        """The values each takeoff filter can take in this version, for choosing from."""
        project, _ = selectors.project_get_for_user(slug=slug, user=request.user)
        model_version = selectors.model_version_ready(project=project, number=version)
        choices = selectors.takeoff_filter_choices(version=model_version)
        return Response(
            {
                "project": project.slug,
                "version": model_version.number,
                "limit": selectors.MAX_CHOICES,
                "values": choices,
            }
        )


def _page_url(request, query: TakeoffQuery, page: int | None) -> str | None:
    if page is None:
        return None
    params = [(k, v) for k, values in request.query_params.lists() if k != "page" for v in values]
    params.append(("page", str(page)))
    return request.build_absolute_uri(f"{request.path}?{urlencode(params)}")


class TakeoffDiffApi(APIView):
    @extend_schema(
        parameters=[
            integer_parameter("against", required=True, description="the older version"),
            choices_parameter(
                "status",
                DIFF_STATUSES,
                description=(
                    "added, removed, changed, unchanged (comma-separated); "
                    "default: every status but unchanged"
                ),
            ),
            OpenApiParameter(
                "unchanged",
                bool,
                description="also list unchanged lines (left out by default; `summary` "
                "counts them either way)",
            ),
            *_TAKEOFF_PARAMETERS[:1],
            *_TAKEOFF_PARAMETERS[3:],
        ],
        responses={200: None, 400: DetailSerializer, 404: DetailSerializer, 409: DetailSerializer},
    )
    def get(self, request, slug: str, version: str):
        query = parse_takeoff_query(request.query_params, allow=frozenset({"unchanged"}))
        if "against" not in request.query_params:
            raise ApplicationError("Say which version to compare with: ?against=<version>.")
        statuses = parse_diff_statuses(
            request.query_params.get("status"),
            unchanged=parse_flag(request.query_params.get("unchanged"), "unchanged"),
        )
        project, _ = selectors.project_get_for_user(slug=slug, user=request.user)
        new = selectors.model_version_ready(project=project, number=version)
        old = selectors.model_version_ready(project=project, number=request.query_params["against"])
        lines = selectors.takeoff_diff(old=old, new=new, query=query)
        summary = {s: 0 for s in DIFF_STATUSES}
        for line in lines:
            summary[line["status"]] += 1
        return Response(
            {
                "project": project.slug,
                "version": new.number,
                "against": old.number,
                "group_by": list(query.group_by),
                "summary": summary,
                "results": [line for line in lines if line["status"] in statuses],
            }
        )
