from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.core.exceptions import ValidationError

from integrations.validators import MAX_SECRET_LENGTH, clean_bounded_text, clean_integration_url

from .models import ApiToken, User
from .services import SECRET_FIELDS, integration_settings_update


class UserAdminForm(UserChangeForm):
    """Secrets are write-only here: type a new one to replace it, tick to clear it."""

    new_erpnext_api_secret = forms.CharField(
        label="New ERPNext API secret",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        max_length=4096,
    )
    clear_erpnext_api_secret = forms.BooleanField(label="Clear ERPNext API secret", required=False)
    new_nextcloud_password = forms.CharField(
        label="New Nextcloud password",
        required=False,
        strip=False,
        widget=forms.PasswordInput(render_value=False),
        max_length=4096,
    )
    clear_nextcloud_password = forms.BooleanField(label="Clear Nextcloud password", required=False)

    class Meta(UserChangeForm.Meta):
        model = User
        exclude = list(SECRET_FIELDS)

    def _clean_url(self, field: str):
        value = (self.cleaned_data.get(field) or "").strip()
        if not value:
            return None
        try:
            return clean_integration_url(value)
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc

    def clean_erpnext_url(self):
        return self._clean_url("erpnext_url")

    def clean_nextcloud_url(self):
        return self._clean_url("nextcloud_url")

    def _clean_secret(self, field: str):
        value = self.cleaned_data.get(field) or ""
        if not value:
            return ""
        try:
            return clean_bounded_text(value, label="The secret", max_length=MAX_SECRET_LENGTH)
        except ValidationError as exc:
            raise forms.ValidationError(exc.messages) from exc

    def clean_new_erpnext_api_secret(self):
        return self._clean_secret("new_erpnext_api_secret")

    def clean_new_nextcloud_password(self):
        return self._clean_secret("new_nextcloud_password")

    def secret_changes(self) -> dict[str, str]:
        """The secrets to store or clear, for the settings service (which encrypts them)."""
        changes = {}
        for field in SECRET_FIELDS:
            if self.cleaned_data.get(f"clear_{field}"):
                changes[field] = ""
            elif self.cleaned_data.get(f"new_{field}"):
                changes[field] = self.cleaned_data[f"new_{field}"]
        return changes


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserAdminForm
    list_display = (
        "username",
        "email",
        "role",
        "is_active",
        "erpnext_is_configured",
        "date_joined",
    )
    list_filter = ("role", "is_active", "is_superuser")
    readonly_fields = (
        "erpnext_secret_state",
        "nextcloud_password_state",
        "last_login",
        "date_joined",
    )
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Person", {"fields": ("first_name", "last_name", "email")}),
        ("Role", {"fields": ("role", "is_active", "is_staff", "is_superuser")}),
        (
            "ERPNext",
            {
                "fields": (
                    "erpnext_url",
                    "erpnext_api_key",
                    "erpnext_secret_state",
                    "new_erpnext_api_secret",
                    "clear_erpnext_api_secret",
                )
            },
        ),
        (
            "Nextcloud",
            {
                "fields": (
                    "nextcloud_url",
                    "nextcloud_username",
                    "nextcloud_password_state",
                    "new_nextcloud_password",
                    "clear_nextcloud_password",
                )
            },
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change:
            # Secrets are encrypted by the settings service, as at the API and the page.
            integration_settings_update(user=obj, changes=form.secret_changes())

    @admin.display(boolean=True, description="ERPNext configured")
    def erpnext_is_configured(self, obj: User) -> bool:
        return obj.erpnext_configured

    @admin.display(description="ERPNext API secret")
    def erpnext_secret_state(self, obj: User) -> str:
        return "set" if obj.erpnext_api_secret else "not set"

    @admin.display(description="Nextcloud password")
    def nextcloud_password_state(self, obj: User) -> str:
        return "set" if obj.nextcloud_password else "not set"


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "created_at", "expires_at", "last_used_at")
    search_fields = ("name", "user__username")
    readonly_fields = ("user", "name", "created_at", "expires_at", "last_used_at")
    exclude = ("token_hash",)

    def has_add_permission(self, request) -> bool:
        return False
