"""Shapes of the purchase-order API."""

from rest_framework import serializers

from bom.constants import IMPLAUSIBLE_CHOICES, MAX_NAME_LENGTH
from jobs.api.serializers import JobOutputSerializer
from openaec.api import ClosedSerializer

from ..constants import DELIVERIES, DOCTYPES


class OrderInputSerializer(ClosedSerializer):
    """What to order; the services validate the options once more (the one box)."""

    class Meta:
        ref_name = "PurchaseOrderInput"

    model_version = serializers.IntegerField(min_value=1)
    doctype = serializers.ChoiceField(choices=DOCTYPES, required=False)
    price_list = serializers.CharField(max_length=MAX_NAME_LENGTH, required=False, allow_blank=True)
    warehouse = serializers.CharField(max_length=MAX_NAME_LENGTH, required=False, allow_blank=True)
    schedule_date = serializers.DateField(required=False, allow_null=True)
    delivery = serializers.ChoiceField(choices=DELIVERIES, required=False)
    schedule_dates = serializers.DictField(
        child=serializers.DateField(), required=False, help_text="Storey -> required-by date."
    )
    suppliers = serializers.DictField(
        child=serializers.CharField(max_length=MAX_NAME_LENGTH),
        required=False,
        help_text="Item code -> supplier, for lines whose rule and Item name none.",
    )
    submit = serializers.BooleanField(required=False, default=False)
    convert_to_stock_uom = serializers.BooleanField(required=False, default=False)
    implausible_quantities = serializers.ChoiceField(
        choices=IMPLAUSIBLE_CHOICES,
        required=False,
        help_text="Where the takeoff flagged an exported volume or area as larger than the "
        "body allows: order the measured value (default) or the exported one.",
    )


class OrderPreviewSerializer(serializers.Serializer):
    class Meta:
        ref_name = "PurchaseOrderPreview"

    doctype = serializers.CharField()
    model_version = serializers.IntegerField()
    erpnext_site = serializers.CharField()
    erpnext_project = serializers.CharField()
    company = serializers.CharField()
    currency = serializers.CharField()
    price_list = serializers.CharField()
    delivery = serializers.CharField()
    submit = serializers.BooleanField()
    lines = serializers.ListField(
        child=serializers.DictField(),
        help_text="Per item, UOM and group: model_qty / ordered_qty / to_order, the rate and "
        "its source (rate_source, rate_from), supplier and supplier_source.",
    )
    orders = serializers.ListField(child=serializers.DictField())
    over_ordered = serializers.ListField(child=serializers.DictField())
    problems = serializers.ListField(child=serializers.DictField())
    warnings = serializers.ListField(child=serializers.CharField())
    rounding = serializers.ListField(child=serializers.DictField())
    unmapped = serializers.ListField(child=serializers.DictField())
    budget = serializers.DictField(allow_null=True)
    total = serializers.FloatField()
    implausible_quantities = serializers.ChoiceField(choices=IMPLAUSIBLE_CHOICES)
    implausible = serializers.ListField(
        child=serializers.DictField(),
        help_text="Mapped lines with an implausible exported volume or area: both values and "
        "the one used.",
    )
    transaction_date = serializers.CharField()
    http_requests = serializers.IntegerField()


class OrderRunSerializer(JobOutputSerializer):
    class Meta:
        ref_name = "PurchaseOrderRun"

    params = serializers.JSONField()
