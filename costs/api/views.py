"""JSON API of the cost dashboard: /api/projects/{slug}/costs."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from bom.api.views import ERRORS, _project

from .. import services
from .serializers import CostsSerializer


class CostsApi(APIView):
    @extend_schema(
        responses={200: CostsSerializer, **ERRORS},
        description="The project's costs: ERPNext's figures and the model estimate, from the "
        "cache when younger than 5 minutes, else read again with the caller's ERPNext "
        "credentials; when that fails, the last figures with their age and the reason.",
    )
    def get(self, request, slug: str):
        project = _project(request, slug)
        return Response(services.costs_for_user(project=project, user=request.user))


class CostsRefreshApi(APIView):
    @extend_schema(request=None, responses={200: CostsSerializer, **ERRORS})
    def post(self, request, slug: str):
        project = _project(request, slug)
        body = services.costs_for_user(project=project, user=request.user, refresh=True)
        return Response(body)
