from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.forms.models import BaseInlineFormSet
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

from openaec.exceptions import ApplicationError

from . import services
from .models import ModelVersion, Project, ProjectMember, ProjectRole
from .permissions import is_global_admin, project_role_for, projects_with_role


def _is_project_admin(request, project) -> bool:
    return project_role_for(user=request.user, project=project) == ProjectRole.ADMIN


class DeleteEachThroughService:
    """Bulk deletes call delete_model (the service) once per object; refusals are reported."""

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            try:
                self.delete_model(request, obj)
            except ApplicationError as exc:
                messages.error(request, f"{obj}: {exc.message}")


class ScopedChoicesMixin:
    """Project choices in admin forms are the projects the user manages (`choice_role`), so a
    posted id of any other project is "Select a valid choice" (issue 16.5)."""

    choice_role = ProjectRole.ADMIN

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.related_model is Project:
            kwargs["queryset"] = projects_with_role(request.user, self.choice_role)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class MemberInlineForm(forms.ModelForm):
    class Meta:
        model = ProjectMember
        fields = ["user", "role"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:  # a member's user is fixed; remove them and add another instead
            self.fields["user"].disabled = True


class MemberInlineFormSet(BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors) or self.instance.pk is None:
            return
        admins = set(
            self.instance.members.filter(role=ProjectRole.ADMIN).values_list("pk", "user_id")
        )
        for form in self.forms:
            if not form.cleaned_data:
                continue
            user = form.cleaned_data.get("user")
            row = (form.instance.pk, user.pk if user else form.instance.user_id)
            if (
                form.cleaned_data.get("DELETE")
                or form.cleaned_data.get("role") != ProjectRole.ADMIN
            ):
                admins.discard(row)
            else:
                admins.add(row)
        if not admins:
            raise forms.ValidationError(
                "The project's last admin cannot be demoted or removed: keep one admin."
            )


class ProjectMemberInline(admin.TabularInline):
    model = ProjectMember
    form = MemberInlineForm
    formset = MemberInlineFormSet
    extra = 0
    autocomplete_fields = ["user"]

    def _may_manage(self, request, obj) -> bool:
        return obj is not None and _is_project_admin(request, obj)

    def has_add_permission(self, request, obj=None):
        return self._may_manage(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return self._may_manage(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._may_manage(request, obj) and super().has_delete_permission(request, obj)


class ProjectAdminForm(forms.ModelForm):
    class Meta:
        model = Project
        fields = ["name", "code", "description", "status", "owner"]

    user = None  # set by ProjectAdmin.get_form

    def clean(self):
        data = super().clean()
        # A linked project's status goes to ERPNext: the same rule as the API (403 there).
        if self.instance.pk and "status" in self.changed_data:
            from erp.services import project_status_change_check

            try:
                project_status_change_check(project=self.instance, actor=self.user)
            except ApplicationError as exc:
                self.add_error("status", exc.message)
        return data


@admin.register(Project)
class ProjectAdmin(DeleteEachThroughService, admin.ModelAdmin):
    form = ProjectAdminForm
    list_display = ["name", "slug", "code", "status", "owner", "created_at"]
    list_filter = ["status"]
    search_fields = ["name", "slug", "code"]
    readonly_fields = ["id", "slug", "created_at", "updated_at"]
    autocomplete_fields = ["owner"]

    def get_queryset(self, request):
        return super().get_queryset(request).for_user(request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        return type(form.__name__, (form,), {"user": request.user})

    def get_inlines(self, request, obj):
        return [ProjectMemberInline] if obj is not None else []

    def get_exclude(self, request, obj=None):
        return ["owner"] if obj is None else []

    def has_add_permission(self, request):
        return request.user.can_edit and super().has_add_permission(request)

    # As in the API: changing or deleting a project needs the admin role on it.
    def has_change_permission(self, request, obj=None):
        allowed = obj is None or _is_project_admin(request, obj)
        return allowed and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        allowed = obj is None or _is_project_admin(request, obj)
        return allowed and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            # Through the service: a status change is recorded and pushed to ERPNext.
            project = Project.objects.get(pk=obj.pk)
            project.owner_id = obj.owner_id
            services.project_update(
                project=project,
                name=obj.name,
                description=obj.description,
                code=obj.code,
                status=obj.status,
                actor=request.user,
            )
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

    def save_formset(self, request, form, formset, change):
        if formset.model is not ProjectMember:
            return super().save_formset(request, form, formset, change)
        project = form.instance
        members = formset.save(commit=False)
        with transaction.atomic():
            # Promotions first, removals last: the service keeps an admin at every step.
            for member in sorted(members, key=lambda m: m.role != ProjectRole.ADMIN):
                services.project_member_set(
                    project=project, user_id=member.user_id, role=member.role
                )
            for member in formset.deleted_objects:
                services.project_member_remove(project=project, user_id=member.user_id)

    def delete_model(self, request, obj):
        services.project_delete(project=obj)


class ProjectMemberAdminForm(forms.ModelForm):
    class Meta:
        model = ProjectMember
        fields = ["project", "user", "role"]

    def clean(self):
        data = super().clean()
        if self.instance.pk and "role" in data:
            try:
                services.project_member_change_check(member=self.instance, role=data["role"])
            except ApplicationError as exc:
                self.add_error("role", exc.message)
        return data


@admin.register(ProjectMember)
class ProjectMemberAdmin(DeleteEachThroughService, ScopedChoicesMixin, admin.ModelAdmin):
    form = ProjectMemberAdminForm
    list_display = ["project", "user", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["project__name", "project__slug", "user__username"]
    autocomplete_fields = ["project", "user"]

    def get_queryset(self, request):
        visible = Project.objects.for_user(request.user)
        return super().get_queryset(request).filter(project__in=visible)

    def get_readonly_fields(self, request, obj=None):
        return ["project", "user"] if obj is not None else []

    # As in the API: managing members needs the admin role on the project.
    def has_change_permission(self, request, obj=None):
        allowed = obj is None or _is_project_admin(request, obj.project)
        return allowed and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        allowed = obj is None or _is_project_admin(request, obj.project)
        if allowed and obj is not None:
            try:
                services.project_member_change_check(member=obj, role=None)
            except ApplicationError:
                allowed = False  # the last admin: the delete page answers 403
        return allowed and super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change):
        member, _ = services.project_member_set(
            project=obj.project, user_id=obj.user_id, role=obj.role
        )
        obj.pk = member.pk

    def delete_model(self, request, obj):
        services.project_member_remove(project=obj.project, user_id=obj.user_id)


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


# Task results carry project and version ids in their arguments: global admins only.
admin.site.unregister(DBTaskResult)


@admin.register(DBTaskResult)
class ScopedDBTaskResultAdmin(DBTaskResultAdmin):
    def has_module_permission(self, request) -> bool:
        return is_global_admin(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_global_admin(request.user) and super().has_view_permission(request, obj)
