"""JSON API of jobs: /api/jobs/{id}, its retry, and a project's jobs."""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from openaec.accounts.api.serializers import DetailSerializer

from .. import selectors, services
from .serializers import JobOutputSerializer


class JobDetailApi(APIView):
    @extend_schema(responses={200: JobOutputSerializer, 404: DetailSerializer})
    def get(self, request, job_id: str):
        job = selectors.job_get_for_user(job_id=job_id, user=request.user)
        return Response(JobOutputSerializer(job).data)


class JobRetryApi(APIView):
    @extend_schema(
        request=None,
        responses={
            202: JobOutputSerializer,
            403: DetailSerializer,
            404: DetailSerializer,
            409: DetailSerializer,
        },
    )
    def post(self, request, job_id: str):
        job = selectors.job_get_for_user(job_id=job_id, user=request.user)
        queued = services.job_retry(job=job, user=request.user)
        queued.refresh_from_db()
        return Response(JobOutputSerializer(queued).data, status=status.HTTP_202_ACCEPTED)


class ProjectJobListApi(APIView):
    @extend_schema(
        parameters=[OpenApiParameter("kind", str, description="Only jobs of this kind.")],
        responses={
            200: JobOutputSerializer(many=True),
            403: DetailSerializer,
            404: DetailSerializer,
        },
    )
    def get(self, request, slug: str):
        jobs = selectors.job_list_for_project(
            slug=slug, user=request.user, kind=request.query_params.get("kind")
        )
        return Response(JobOutputSerializer(jobs, many=True).data)
