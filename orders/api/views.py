"""JSON API of purchase orders: /api/projects/{slug}/purchase-orders/..."""

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from bom.api.views import ERRORS, _project
from openaec.accounts.api.serializers import DetailSerializer
from openaec.api import validated

from .. import selectors, services
from .serializers import OrderInputSerializer, OrderPreviewSerializer, OrderRunSerializer


def _options(request) -> tuple[int, dict]:
    data = validated(OrderInputSerializer, request.data, only_sent=True)
    number = data.pop("model_version", None)
    for name in ("schedule_date",):
        if data.get(name) is not None:
            data[name] = data[name].isoformat()
    if "schedule_dates" in data:
        data["schedule_dates"] = {k: v.isoformat() for k, v in data["schedule_dates"].items()}
    return number, data


class PurchaseOrderPreviewApi(APIView):
    @extend_schema(request=OrderInputSerializer, responses={200: OrderPreviewSerializer, **ERRORS})
    def post(self, request, slug: str):
        project = _project(request, slug)
        number, options = _options(request)
        body = services.order_preview(
            project=project, user=request.user, model_version=number, options=options
        )
        return Response(body)


class PurchaseOrderCreateApi(APIView):
    @extend_schema(
        request=OrderInputSerializer,
        responses={202: OrderRunSerializer, 409: DetailSerializer, **ERRORS},
    )
    def post(self, request, slug: str):
        project = _project(request, slug)
        number, options = _options(request)
        job = services.order_run_start(
            project=project, user=request.user, model_version=number, options=options
        )
        return Response(OrderRunSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class PurchaseOrderRunListApi(APIView):
    @extend_schema(responses={200: OrderRunSerializer(many=True), **ERRORS})
    def get(self, request, slug: str):
        project = _project(request, slug)
        runs = selectors.run_list(project=project)[:100]
        return Response(OrderRunSerializer(runs, many=True).data)


class PurchaseOrderRunDetailApi(APIView):
    @extend_schema(responses={200: OrderRunSerializer, **ERRORS})
    def get(self, request, slug: str, run_id: str):
        project = _project(request, slug)
        run = selectors.run_get(project=project, run_id=run_id)
        return Response(OrderRunSerializer(run).data)


class PurchaseOrderRunResumeApi(APIView):
    @extend_schema(
        request=None, responses={202: OrderRunSerializer, 409: DetailSerializer, **ERRORS}
    )
    def post(self, request, slug: str, run_id: str):
        project = _project(request, slug)
        run = selectors.run_get(project=project, run_id=run_id)
        run = services.order_run_resume(job=run, user=request.user)
        return Response(OrderRunSerializer(run).data, status=status.HTTP_202_ACCEPTED)
