from rest_framework import serializers


class CostTotalsSerializer(serializers.Serializer):
    budget = serializers.FloatField(allow_null=True)
    estimate = serializers.FloatField(allow_null=True)
    committed = serializers.FloatField()
    actual = serializers.FloatField()
    actual_source = serializers.ChoiceField(choices=["GL Entry", "Project"])
    still_needed = serializers.FloatField()
    forecast_at_completion = serializers.FloatField()
    used_share = serializers.FloatField(allow_null=True)
    level = serializers.CharField(help_text='"ok", "warn" (80 % of the budget), "over" (95 %)')
    forecast_level = serializers.CharField(help_text="The same for the forecast at completion.")


class CostFiguresSerializer(serializers.Serializer):
    project = serializers.DictField(help_text="The ERPNext Project's cost fields.")
    totals = CostTotalsSerializer()
    accounts = serializers.ListField(
        child=serializers.DictField(),
        help_text="Per expense account: budget, committed, actual, left, used_share, level.",
    )
    items = serializers.ListField(
        child=serializers.DictField(), help_text="Per ERPNext Item: model estimate, committed."
    )
    committed_orders = serializers.IntegerField()
    actual_by_month = serializers.ListField(child=serializers.DictField())
    earned_value = serializers.DictField(allow_null=True)
    budget_variance = serializers.ListField(
        child=serializers.DictField(),
        allow_null=True,
        required=False,
        help_text="ERPNext's Budget Variance Report for the project (yearly): per account "
        "budget, actual, variance; null when the user may not run it (see gaps).",
    )
    budget_variance_fiscal_year = serializers.CharField(allow_blank=True, required=False)
    gaps = serializers.ListField(
        child=serializers.DictField(),
        help_text="Figures the user's ERPNext roles cannot read, with the role each needs.",
    )
    thresholds = serializers.DictField()
    estimate = serializers.DictField(
        allow_null=True,
        help_text="The model estimate of the newest ready version: total, still_needed, "
        "coverage, by_item, by_storey, by_material, unpriced, unmapped, delta.",
    )


class CostRefreshSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    state = serializers.CharField()
    progress = serializers.IntegerField()
    phase = serializers.CharField()
    error = serializers.CharField(allow_blank=True)
    url = serializers.CharField(help_text="The job's page.")
    api_url = serializers.CharField()


class CostsSerializer(serializers.Serializer):
    project = serializers.CharField()
    figures = CostFiguresSerializer(allow_null=True)
    fetched_at = serializers.DateTimeField(allow_null=True)
    age_seconds = serializers.IntegerField(allow_null=True)
    stale = serializers.BooleanField(help_text="True when the newest reading failed.")
    message = serializers.CharField(allow_blank=True)
    erpnext_site = serializers.CharField(allow_blank=True)
    erpnext_project = serializers.CharField(allow_blank=True)
    http_requests = serializers.IntegerField()
    refresh = CostRefreshSerializer(
        allow_null=True, help_text="The newest refresh job of the figures (queued when stale)."
    )
