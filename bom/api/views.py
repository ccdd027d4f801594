"""JSON API of the BOM: mapping rules, suggestions, preview (dry run), sync runs."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from openaec.accounts.api.serializers import DetailSerializer
from openaec.api import integer_parameter, validated
from openaec.exceptions import ApplicationError
from projects.models import ProjectRole
from projects.selectors import project_get_for_user

from .. import selectors, services
from ..constants import IMPLAUSIBLE_CHOICES
from .serializers import (
    RuleInputSerializer,
    RuleOutputSerializer,
    RunDetailOutputSerializer,
    RunOutputSerializer,
    SyncInputSerializer,
)

ERRORS = {400: DetailSerializer, 403: DetailSerializer, 404: DetailSerializer}


def _project(request, slug: str, *, write: bool = False):
    project, _ = project_get_for_user(
        slug=slug, user=request.user, min_role=ProjectRole.EDITOR if write else ProjectRole.VIEWER
    )
    return project


# Rules of a project


class BomRuleListApi(APIView):
    @extend_schema(responses={200: RuleOutputSerializer(many=True), **ERRORS})
    def get(self, request, slug: str):
        project = _project(request, slug)
        rules = selectors.rule_list_for_project(project=project)
        return Response(RuleOutputSerializer(rules, many=True).data)

    @extend_schema(request=RuleInputSerializer, responses={201: RuleOutputSerializer, **ERRORS})
    def post(self, request, slug: str):
        project = _project(request, slug, write=True)
        data = validated(RuleInputSerializer, request.data, only_sent=True)
        rule = services.mapping_rule_create(user=request.user, project=project, data=data)
        return Response(RuleOutputSerializer(rule).data, status=status.HTTP_201_CREATED)


class BomRuleDetailApi(APIView):
    @extend_schema(responses={200: RuleOutputSerializer, **ERRORS})
    def get(self, request, slug: str, rule_id: str):
        project = _project(request, slug)
        return Response(
            RuleOutputSerializer(selectors.rule_get(rule_id=rule_id, project=project)).data
        )

    @extend_schema(request=RuleInputSerializer, responses={200: RuleOutputSerializer, **ERRORS})
    def put(self, request, slug: str, rule_id: str):
        project = _project(request, slug, write=True)
        rule = selectors.rule_get(rule_id=rule_id, project=project)
        data = validated(RuleInputSerializer, request.data, only_sent=True)
        rule = services.mapping_rule_update(user=request.user, rule=rule, data=data)
        return Response(RuleOutputSerializer(rule).data)

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request, slug: str, rule_id: str):
        project = _project(request, slug, write=True)
        rule = selectors.rule_get(rule_id=rule_id, project=project)
        services.mapping_rule_delete(user=request.user, rule=rule)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Shared defaults


class SharedBomRuleListApi(APIView):
    @extend_schema(responses={200: RuleOutputSerializer(many=True)})
    def get(self, request):
        return Response(RuleOutputSerializer(selectors.shared_rule_list(), many=True).data)

    @extend_schema(request=RuleInputSerializer, responses={201: RuleOutputSerializer, **ERRORS})
    def post(self, request):
        data = validated(RuleInputSerializer, request.data, only_sent=True)
        rule = services.mapping_rule_create(user=request.user, project=None, data=data)
        return Response(RuleOutputSerializer(rule).data, status=status.HTTP_201_CREATED)


class SharedBomRuleDetailApi(APIView):
    @extend_schema(responses={200: RuleOutputSerializer, **ERRORS})
    def get(self, request, rule_id: str):
        return Response(
            RuleOutputSerializer(selectors.rule_get(rule_id=rule_id, project=None)).data
        )

    @extend_schema(request=RuleInputSerializer, responses={200: RuleOutputSerializer, **ERRORS})
    def put(self, request, rule_id: str):
        rule = selectors.rule_get(rule_id=rule_id, project=None)
        data = validated(RuleInputSerializer, request.data, only_sent=True)
        rule = services.mapping_rule_update(user=request.user, rule=rule, data=data)
        return Response(RuleOutputSerializer(rule).data)

    @extend_schema(responses={204: None, **ERRORS})
    def delete(self, request, rule_id: str):
        rule = selectors.rule_get(rule_id=rule_id, project=None)
        services.mapping_rule_delete(user=request.user, rule=rule)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Suggestions, preview, sync


class BomSuggestionsApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "BomSuggestions"

        model_version = serializers.IntegerField()
        items_considered = serializers.IntegerField()
        lines = serializers.ListField(child=serializers.DictField())
        http_requests = serializers.IntegerField()

    @extend_schema(
        parameters=[integer_parameter("model_version", required=True)],
        responses={200: OutputSerializer, 409: DetailSerializer, 502: DetailSerializer, **ERRORS},
    )
    def get(self, request, slug: str):
        project = _project(request, slug)
        number = request.query_params.get("model_version")
        if not number:
            raise ApplicationError("model_version is required (?model_version=N).")
        body = services.bom_suggestions(project=project, user=request.user, model_version=number)
        return Response(body)


class BomPreviewApi(APIView):
    class OutputSerializer(serializers.Serializer):
        class Meta:
            ref_name = "BomPreview"

        model_version = serializers.IntegerField()
        erpnext_site = serializers.CharField()
        assembly_item = serializers.CharField()
        assembly_item_exists = serializers.BooleanField()
        erpnext_project = serializers.CharField(allow_null=True)
        company = serializers.CharField(allow_null=True)
        currency = serializers.CharField(allow_null=True)
        submit = serializers.BooleanField()
        create_missing_items = serializers.BooleanField()
        lines = serializers.ListField(child=serializers.DictField())
        unmapped = serializers.ListField(child=serializers.DictField())
        rounding = serializers.ListField(child=serializers.DictField())
        items_to_create = serializers.ListField(child=serializers.CharField())
        errors = serializers.ListField(child=serializers.DictField())
        warnings = serializers.ListField(child=serializers.CharField())
        current_bom = serializers.DictField(allow_null=True)
        diff = serializers.DictField()
        would_write = serializers.CharField()
        http_requests = serializers.IntegerField()
        rm_cost_as_per = serializers.CharField()
        price_list = serializers.CharField(allow_null=True)
        total_cost = serializers.FloatField()
        alerts = serializers.ListField(child=serializers.CharField())
        implausible_quantities = serializers.ChoiceField(choices=IMPLAUSIBLE_CHOICES)
        implausible = serializers.ListField(child=serializers.DictField())

    @extend_schema(
        request=SyncInputSerializer,
        responses={200: OutputSerializer, 409: DetailSerializer, 502: DetailSerializer, **ERRORS},
    )
    def post(self, request, slug: str):
        project = _project(request, slug)
        data = validated(SyncInputSerializer, request.data)
        number = data.pop("model_version")
        body = services.bom_preview(
            project=project, user=request.user, model_version=number, options=data
        )
        return Response(body)


class BomSyncApi(APIView):
    @extend_schema(
        request=SyncInputSerializer,
        responses={202: RunOutputSerializer, 409: DetailSerializer, **ERRORS},
    )
    def post(self, request, slug: str):
        project = _project(request, slug)
        data = validated(SyncInputSerializer, request.data)
        number = data.pop("model_version")
        run = services.bom_sync_start(
            project=project, user=request.user, model_version=number, options=data
        )
        return Response(RunOutputSerializer(run).data, status=status.HTTP_202_ACCEPTED)


class BomRunListApi(APIView):
    @extend_schema(responses={200: RunOutputSerializer(many=True), **ERRORS})
    def get(self, request, slug: str):
        project = _project(request, slug)
        runs = selectors.run_list(project=project)[:100]
        return Response(RunOutputSerializer(runs, many=True).data)


class BomRunDetailApi(APIView):
    @extend_schema(responses={200: RunDetailOutputSerializer, **ERRORS})
    def get(self, request, slug: str, run_id: str):
        project = _project(request, slug)
        run = selectors.run_get(project=project, run_id=run_id)
        return Response(RunDetailOutputSerializer(run).data)


class BomRunResumeApi(APIView):
    @extend_schema(
        request=None, responses={202: RunOutputSerializer, 409: DetailSerializer, **ERRORS}
    )
    def post(self, request, slug: str, run_id: str):
        project = _project(request, slug)
        run = selectors.run_get(project=project, run_id=run_id)
        run = services.bom_sync_resume(run=run, user=request.user)
        return Response(RunOutputSerializer(run).data, status=status.HTTP_202_ACCEPTED)
