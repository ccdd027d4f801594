from django.contrib import admin, messages
from django.db import transaction

from . import services
from .models import ModelVersion, Project, ProjectMember


class ProjectMemberInline(admin.TabularInline):
    model = ProjectMember
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "code", "status", "owner", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "slug", "code"]
    readonly_fields = ["id", "slug", "created_at", "updated_at"]
    autocomplete_fields = ["owner"]

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user)

    def get_inlines(self, request, obj):
        return [ProjectMemberInline] if obj is not None else []

    def get_exclude(self, request, obj=None):
        return ["owner"] if obj is None else []

    def has_add_permission(self, request):
        return request.user.can_edit and super().has_add_permission(request)

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        # New projects get their slug, owner and admin member from the service, as in the API.
        created = services.project_create(
            user=request.user,
            name=obj.name,
            description=obj.description,
            code=obj.code,
            status=obj.status,
        )
        obj.pk, obj.slug, obj.owner = created.pk, created.slug, created.owner
        obj.created_at, obj.updated_at = created.created_at, created.updated_at
        obj._state.adding = False


@admin.register(ProjectMember)
class ProjectMemberAdmin(admin.ModelAdmin):
    list_display = ["project", "user", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["project__name", "project__slug", "user__username"]
    autocomplete_fields = ["project", "user"]

    def get_queryset(self, request):
        visible = Project.objects.for_user(request.user)
        return super().get_queryset(request).filter(project__in=visible)


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = [
        "project",
        "number",
        "original_filename",
        "schema",
        "size",
        "state",
        "created_at",
    ]
    list_filter = ["state", "schema"]
    search_fields = ["project__name", "project__slug", "original_filename", "sha256"]
    readonly_fields = [
        "project", "number", "original_filename", "file", "sha256", "size", "schema",
        "uploaded_by", "state", "failure_reason", "element_count", "warnings", "created_at",
        "updated_at",
    ]  # fmt: skip
    actions = ["rerun_takeoff"]

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user).select_related("project")

    def has_add_permission(self, request):
        return False  # versions come from uploads (API or the upload page)

    @admin.action(description="Run the takeoff again")
    def rerun_takeoff(self, request, queryset):
        with transaction.atomic():
            for version in queryset:
                services.takeoff_job_enqueue(version=version, user=request.user)
        self.message_user(request, f"Queued {queryset.count()} takeoff job(s).", messages.SUCCESS)
