from django.contrib import admin, messages

from openaec.exceptions import ApplicationError

from . import services
from .models import Job


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "project", "model_version", "state", "progress", "phase"]
    list_filter = ["kind", "state"]
    search_fields = ["id", "project__name", "project__slug", "created_by_name"]
    actions = ["retry_jobs"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .for_user(request.user)
            .select_related("project", "model_version")
        )

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in Job._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description="Run the selected failed or stalled jobs again")
    def retry_jobs(self, request, queryset):
        for job in queryset.select_related("project", "model_version"):
            try:
                queued = services.job_retry(job=job, user=request.user)
            except ApplicationError as exc:
                messages.error(request, f"{job.pk}: {exc.message}")
            else:
                messages.success(request, f"{job.pk} queued again as {queued.pk}.")
