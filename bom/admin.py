from django import forms
from django.contrib import admin, messages
from django.db.models import Q

from openaec.exceptions import ApplicationError
from projects.models import Project

from . import services
from .models import BomSyncRun, MappingRule
from .services.rules import RULE_FIELDS


class MappingRuleAdminForm(forms.ModelForm):
    class Meta:
        model = MappingRule
        fields = ["project", *RULE_FIELDS]

    def clean(self):
        data = super().clean()
        values = {name: data.get(name) for name in RULE_FIELDS if name in data}
        try:
            # The same checks as the API and the pages (services.clean_rule_fields).
            data.update(services.clean_rule_fields(values))
        except ApplicationError as exc:
            for name, errors in exc.extra.get("errors", {}).items():
                self.add_error(name, errors)
        return data


@admin.register(MappingRule)
class MappingRuleAdmin(admin.ModelAdmin):
    form = MappingRuleAdminForm
    list_display = [
        "item_code",
        "ifc_class",
        "type_name",
        "material",
        "quantity",
        "uom",
        "waste_factor",
        "priority",
        "project",
    ]
    list_filter = ["quantity", ("project", admin.EmptyFieldListFilter)]
    search_fields = ["item_code", "ifc_class", "type_name", "material", "project__slug"]
    autocomplete_fields = ["project"]

    def get_queryset(self, request):
        visible = Project.objects.for_user(request.user)
        return (
            super()
            .get_queryset(request)
            .filter(Q(project__in=visible) | Q(project__isnull=True))
            .select_related("project")
        )

    def _may_write(self, request, obj) -> bool:
        if not request.user.can_edit:
            return False
        return obj is None or obj.project_id is not None or request.user.is_admin

    def has_add_permission(self, request):
        return request.user.can_edit and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None):
        return self._may_write(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_write(request, obj) and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if obj.project_id is None and not request.user.is_admin:
            messages.error(request, "Only administrators change the shared defaults.")
            return
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(BomSyncRun)
class BomSyncRunAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "project",
        "model_version_number",
        "username",
        "state",
        "outcome",
        "bom_name",
        "http_requests",
    ]
    list_filter = ["state"]
    search_fields = ["project__slug", "project__name", "created_by_name"]
    actions = ["resume_runs"]

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user).select_related("project")

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in BomSyncRun._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Resume the selected failed runs")
    def resume_runs(self, request, queryset):
        for run in queryset.filter(state=BomSyncRun.State.FAILED):
            try:
                services.bom_sync_resume(run=run, user=request.user)
            except ApplicationError as exc:
                messages.error(request, f"{run.pk}: {exc.message}")
            else:
                messages.success(request, f"{run.pk} queued again.")
