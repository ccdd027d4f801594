"""JSON API of the IFC cost export: /api/projects/{slug}/models/{version}/cost-export."""

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from bom.api.views import ERRORS, _project
from integrations.ifc.cost_schedule import SCHEDULE_TYPES
from jobs.api.serializers import JobOutputSerializer
from openaec.accounts.api.serializers import DetailSerializer
from openaec.api import ClosedSerializer, validated

from .. import services


class CostExportInputSerializer(ClosedSerializer):
    schedule_type = serializers.ChoiceField(choices=SCHEDULE_TYPES, required=False)
    group_by = serializers.ChoiceField(choices=services.GROUP_BY, required=False)
    price_list = serializers.CharField(max_length=140, required=False)


class CostExportJobSerializer(JobOutputSerializer):
    class Meta:
        ref_name = "CostExportJob"

    params = serializers.JSONField()


class CostExportStartApi(APIView):
    @extend_schema(
        request=CostExportInputSerializer,
        responses={202: CostExportJobSerializer, 409: DetailSerializer, **ERRORS},
        description="Export the model version as a new IFC file with an IfcCostSchedule of "
        "ERPNext's rates (a job; the original is never changed).",
    )
    def post(self, request, slug: str, version: str):
        project = _project(request, slug)
        options = validated(CostExportInputSerializer, request.data or {}, only_sent=True)
        job = services.cost_export_start(
            project=project, user=request.user, model_version=version, options=options
        )
        return Response(CostExportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class CostExportDetailApi(APIView):
    @extend_schema(responses={200: CostExportJobSerializer, **ERRORS})
    def get(self, request, slug: str, version: str, job_id: str):
        project = _project(request, slug)
        job = services.cost_export_get(project=project, job_id=job_id)
        return Response(CostExportJobSerializer(job).data)


class CostExportDownloadApi(APIView):
    @extend_schema(
        responses={
            (200, "application/x-step"): OpenApiTypes.BINARY,
            409: DetailSerializer,
            **ERRORS,
        },
        description="The exported IFC file, once the job succeeded.",
    )
    def get(self, request, slug: str, version: str, job_id: str):
        project = _project(request, slug)
        handle, filename = services.cost_export_file(project=project, job_id=job_id)
        return FileResponse(
            handle, as_attachment=True, filename=filename, content_type="application/x-step"
        )
