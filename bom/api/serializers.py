"""Shapes shared by the BOM API views."""

import math
from decimal import Decimal

from django.urls import reverse
from rest_framework import serializers

from openaec.api import ClosedSerializer

from ..constants import (
    IMPLAUSIBLE_CHOICES,
    MAX_NAME_LENGTH,
    MAX_PATTERN_LENGTH,
    MAX_WASTE_FACTOR,
    QUANTITY_KINDS,
)


class _RuleNumberField(serializers.DecimalField):
    """A JSON number; one beyond the column's digits (1e23, 1e400) is "too large"."""

    default_error_messages = {"too_large": "Too large: it must be below {limit}."}

    def to_internal_value(self, data):
        if isinstance(data, float) and math.isinf(data) and data > 0:
            self.fail("too_large", limit=f"{self._limit():,}")
        return super().to_internal_value(data)

    def validate_precision(self, value: Decimal) -> Decimal:
        if value >= self._limit():
            self.fail("too_large", limit=f"{self._limit():,}")
        return super().validate_precision(value)

    def _limit(self) -> int:
        return 10 ** (self.max_digits - self.decimal_places)


class RuleInputSerializer(ClosedSerializer):
    """Rule fields; the services validate them once more (the one box every door shares)."""

    class Meta:
        ref_name = "BomRuleInput"

    ifc_class = serializers.CharField(
        max_length=MAX_PATTERN_LENGTH, required=False, allow_blank=True
    )
    type_name = serializers.CharField(
        max_length=MAX_PATTERN_LENGTH, required=False, allow_blank=True
    )
    material = serializers.CharField(
        max_length=MAX_PATTERN_LENGTH, required=False, allow_blank=True
    )
    item_code = serializers.CharField(max_length=MAX_NAME_LENGTH, required=False)
    item_name = serializers.CharField(max_length=MAX_NAME_LENGTH, required=False, allow_blank=True)
    quantity = serializers.ChoiceField(choices=QUANTITY_KINDS, required=False)
    uom = serializers.CharField(max_length=MAX_NAME_LENGTH, required=False)
    # Numbers in the schema (coerce_to_string=False): "" and other text are a documented 400.
    # The bounds the services check (bom.validators), in the schema as minimum/maximum.
    waste_factor = _RuleNumberField(
        max_digits=6,
        decimal_places=4,
        min_value=0,
        max_value=MAX_WASTE_FACTOR,
        required=False,
        coerce_to_string=False,
    )
    unit_factor = _RuleNumberField(
        max_digits=18, decimal_places=6, required=False, coerce_to_string=False
    )
    rate = _RuleNumberField(
        max_digits=18,
        decimal_places=6,
        min_value=0,
        required=False,
        allow_null=True,
        coerce_to_string=False,
    )
    priority = serializers.IntegerField(required=False)
    supplier = serializers.CharField(max_length=MAX_NAME_LENGTH, required=False, allow_blank=True)


class RuleOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "BomRule"

    id = serializers.IntegerField()
    shared = serializers.BooleanField(source="is_shared")
    project = serializers.SerializerMethodField()
    ifc_class = serializers.CharField()
    type_name = serializers.CharField()
    material = serializers.CharField()
    item_code = serializers.CharField()
    item_name = serializers.CharField()
    quantity = serializers.CharField()
    uom = serializers.CharField()
    waste_factor = serializers.FloatField()
    unit_factor = serializers.FloatField()
    rate = serializers.FloatField(allow_null=True)
    priority = serializers.IntegerField()
    supplier = serializers.CharField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_project(self, rule) -> str | None:
        return rule.project.slug if rule.project_id else None


class SyncInputSerializer(ClosedSerializer):
    class Meta:
        ref_name = "BomSyncInput"

    model_version = serializers.IntegerField(min_value=1)
    create_missing_items = serializers.BooleanField(required=False, default=False)
    submit = serializers.BooleanField(required=False, default=False)
    convert_to_stock_uom = serializers.BooleanField(required=False, default=False)
    price_list = serializers.CharField(max_length=MAX_NAME_LENGTH, required=False, allow_blank=True)
    assembly_item = serializers.CharField(
        max_length=MAX_NAME_LENGTH, required=False, allow_blank=True
    )
    item_group = serializers.CharField(max_length=MAX_NAME_LENGTH, required=False, allow_blank=True)
    company = serializers.CharField(max_length=MAX_NAME_LENGTH, required=False, allow_blank=True)
    currency = serializers.CharField(max_length=MAX_NAME_LENGTH, required=False, allow_blank=True)
    implausible_quantities = serializers.ChoiceField(
        choices=IMPLAUSIBLE_CHOICES,
        required=False,
        help_text="Where the takeoff flagged an exported volume or area as larger than the "
        "body allows: use the measured value (default) or the exported one.",
    )


class RunOutputSerializer(serializers.Serializer):
    class Meta:
        ref_name = "BomSyncRun"

    id = serializers.UUIDField()
    url = serializers.SerializerMethodField()
    project = serializers.CharField(source="project.slug")
    model_version = serializers.IntegerField(source="model_version_number")
    state = serializers.CharField()
    outcome = serializers.CharField()
    progress = serializers.IntegerField()
    phase = serializers.CharField()
    error = serializers.CharField()
    started_by = serializers.CharField(source="username")
    resumed_by = serializers.CharField(source="resumed_by.username", allow_null=True, default=None)
    options = serializers.JSONField()
    erpnext_site = serializers.CharField(source="erpnext_url")
    erpnext_project = serializers.CharField()
    assembly_item = serializers.CharField()
    bom = serializers.CharField(source="bom_name")
    bom_docstatus = serializers.IntegerField(allow_null=True)
    documents = serializers.JSONField()
    line_errors = serializers.JSONField()
    http_requests = serializers.IntegerField()
    reads = serializers.IntegerField()
    writes = serializers.IntegerField()
    attempts = serializers.IntegerField()
    lines = serializers.SerializerMethodField()
    unmapped = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)

    def get_url(self, run) -> str:
        return reverse("api-bom-run", kwargs={"slug": run.project.slug, "run_id": str(run.pk)})

    def get_lines(self, run) -> int:
        return len(run.plan.get("lines", []))

    def get_unmapped(self, run) -> int:
        return len(run.plan.get("unmapped", []))


class RunDetailOutputSerializer(RunOutputSerializer):
    class Meta:
        ref_name = "BomSyncRunDetail"

    unmapped_lines = serializers.JSONField(source="plan.unmapped", default=list)
    rounding = serializers.SerializerMethodField()
    warnings = serializers.SerializerMethodField()
    alerts = serializers.SerializerMethodField()
    history = serializers.SerializerMethodField()

    def get_rounding(self, run) -> list:
        return run.checkpoint.get("rounding", [])

    def get_warnings(self, run) -> list:
        return run.checkpoint.get("warnings", [])

    def get_alerts(self, run) -> list[str]:
        return run.checkpoint.get("alerts", [])

    def get_history(self, run) -> list:
        return run.checkpoint.get("history", [])
