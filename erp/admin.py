from django import forms
from django.contrib import admin, messages

from integrations.netguard import UrlRejected
from openaec.exceptions import ApplicationError
from projects.admin import DeleteEachThroughService
from projects.models import Project
from projects.permissions import is_global_admin, project_may_write

from . import services
from .constants import WEBHOOK_SECRET_MAX_LENGTH, WEBHOOK_SECRET_MIN_LENGTH
from .models import ErpnextProjectLink, ErpnextSite, ProjectStatusChange, WebhookDelivery
from .normalise import normalise_site_url


class GlobalAdminsOnly:
    """Django's permissions, and the global admin role (False for anyone not signed in, so
    the admin login page renders): sites and their deliveries are an administrator's matter."""

    def has_module_permission(self, request) -> bool:
        return is_global_admin(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_global_admin(request.user) and super().has_view_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return is_global_admin(request.user) and super().has_change_permission(request, obj)

    def has_add_permission(self, request) -> bool:
        return is_global_admin(request.user) and super().has_add_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return is_global_admin(request.user) and super().has_delete_permission(request, obj)


class ErpnextSiteForm(forms.ModelForm):
    new_webhook_secret = forms.CharField(
        required=False,
        strip=False,
        min_length=WEBHOOK_SECRET_MIN_LENGTH,
        max_length=WEBHOOK_SECRET_MAX_LENGTH,
        widget=forms.PasswordInput(render_value=False),
        help_text="Type a secret to replace the stored one; leave empty to keep it. "
        "The action 'Generate a new webhook secret' makes one for you.",
    )

    class Meta:
        model = ErpnextSite
        fields = ["url"]

    def clean_url(self) -> str:
        try:
            url = normalise_site_url(self.cleaned_data["url"])
        except UrlRejected as exc:
            raise forms.ValidationError(str(exc)) from exc
        if ErpnextSite.objects.filter(url=url).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError("This ERPNext site is registered already.")
        return url


@admin.register(ErpnextSite)
class ErpnextSiteAdmin(GlobalAdminsOnly, admin.ModelAdmin):
    form = ErpnextSiteForm
    list_display = ["url", "webhook_secret_set", "created_at"]
    search_fields = ["url"]
    readonly_fields = ["webhook_token", "webhook_secret_set", "created_at", "updated_at"]
    actions = ["generate_webhook_secret"]

    @admin.display(boolean=True, description="Webhook secret set")
    def webhook_secret_set(self, obj) -> bool:
        return obj.webhook_secret_set

    def get_readonly_fields(self, request, obj=None):
        # Links point to the site by its URL: it is fixed once made.
        return [*self.readonly_fields, "url"] if obj is not None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        secret = form.cleaned_data.get("new_webhook_secret")
        if secret:
            try:
                services.erpnext_site_webhook_secret_set(user=request.user, site=obj, secret=secret)
            except ApplicationError as exc:
                self.message_user(request, exc.message, messages.ERROR)

    @admin.action(description="Generate a new webhook secret (shown once)")
    def generate_webhook_secret(self, request, queryset):
        for site in queryset:
            new = services.erpnext_site_webhook_secret_set(user=request.user, site=site)
            # Shown once, to the administrator who asked; only the ciphertext is stored.
            self.message_user(
                request,
                f"Webhook secret of {site.url}: {new.secret} (paste it into the ERPNext "
                "Webhook now; it is not shown again).",
                messages.WARNING,
            )


@admin.register(ErpnextProjectLink)
class ErpnextProjectLinkAdmin(DeleteEachThroughService, admin.ModelAdmin):
    list_display = [
        "project",
        "erpnext_project",
        "site",
        "status",
        "erpnext_modified",
        "last_synced_at",
    ]
    list_filter = ["site", "status"]
    search_fields = ["project__name", "project__slug", "erpnext_project", "title"]
    list_select_related = ["project", "site"]
    readonly_fields = [
        "project",
        "site",
        "erpnext_project",
        "title",
        "status",
        "percent_complete",
        "expected_start_date",
        "expected_end_date",
        "company",
        "erpnext_modified",
        "linked_by",
        "last_synced_at",
        "last_error",
        "created_at",
        "updated_at",
    ]

    def get_queryset(self, request):
        visible = Project.objects.for_user(request.user)
        return super().get_queryset(request).filter(project__in=visible)

    def has_add_permission(self, request) -> bool:
        return False  # links are made through the service (checked against ERPNext)

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # every field is ERPNext's or the service's

    # Unlinking goes through the service and its rule, as on the API and the page.
    def has_delete_permission(self, request, obj=None) -> bool:
        allowed = obj is None or project_may_write(user=request.user, project=obj.project)
        return allowed and super().has_delete_permission(request, obj)

    def delete_model(self, request, obj):
        services.project_link_delete(project=obj.project, user=request.user)


@admin.register(ProjectStatusChange)
class ProjectStatusChangeAdmin(admin.ModelAdmin):
    list_display = [
        "at",
        "project",
        "field",
        "old_value",
        "new_value",
        "source",
        "actor",
        "applied",
    ]
    list_filter = ["source", "field", "applied"]
    search_fields = ["project__name", "erpnext_project"]
    list_select_related = ["project", "actor"]

    def get_queryset(self, request):
        visible = Project.objects.for_user(request.user)
        return super().get_queryset(request).filter(project__in=visible)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(GlobalAdminsOnly, admin.ModelAdmin):
    list_display = ["received_at", "site", "erpnext_project", "erpnext_modified", "outcome"]
    list_filter = ["site", "outcome"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
