"""JSON API of the cost dashboard: /api/projects/{slug}/costs."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from bom.api.views import ERRORS, _project
from jobs.api.serializers import JobOutputSerializer

from .. import exports, services
from .serializers import CostsSerializer

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class CostsApi(APIView):
    @extend_schema(
        responses={200: CostsSerializer, **ERRORS},
        description="The project's costs: ERPNext's figures and the model estimate as last "
        "read, with their age. When they are older than 5 minutes a refresh job reading with "
        "the caller's ERPNext credentials is queued (`refresh`); when the newest refresh "
        "failed, the last figures with the reason.",
    )
    def get(self, request, slug: str):
        project = _project(request, slug)
        return Response(services.costs_for_user(project=project, user=request.user))


class CostsRefreshApi(APIView):
    @extend_schema(
        request=None,
        responses={202: JobOutputSerializer, **ERRORS},
        description="Queue a refresh of the figures (a job; the one already queued or "
        "running is returned). Follow it at its `url`.",
    )
    def post(self, request, slug: str):
        project = _project(request, slug)
        job = services.costs_refresh_start(project=project, user=request.user)
        return Response(JobOutputSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class CostsCsvApi(APIView):
    @extend_schema(
        responses={(200, "text/csv"): OpenApiTypes.STR, **ERRORS},
        description="The numbers behind every chart of the dashboard (cached figures) as one "
        "long table: chart, row, column, value. 409 before any figures were read.",
    )
    def get(self, request, slug: str):
        project = _project(request, slug)
        response = HttpResponse(exports.costs_csv(project=project), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{project.slug}-costs.csv"'
        return response


class CostsXlsxApi(APIView):
    @extend_schema(
        responses={(200, XLSX): OpenApiTypes.BINARY, **ERRORS},
        description="The numbers behind every chart (cached figures), one sheet per chart.",
    )
    def get(self, request, slug: str):
        project = _project(request, slug)
        response = HttpResponse(exports.costs_xlsx(project=project), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{project.slug}-costs.xlsx"'
        return response
