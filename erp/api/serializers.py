"""Output shapes shared by several ERPNext link API views."""

from django.urls import reverse
from rest_framework import serializers

from erp.services import link_in_step


class LinkOutputSerializer(serializers.Serializer):
    project = serializers.CharField(source="project.slug")
    bim_status = serializers.CharField(source="project.status")
    erpnext_site = serializers.CharField(source="site.url")
    erpnext_project = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField(help_text="ERPNext's status as last seen.")
    percent_complete = serializers.FloatField(allow_null=True)
    expected_start_date = serializers.DateField(allow_null=True)
    expected_end_date = serializers.DateField(allow_null=True)
    company = serializers.CharField()
    erpnext_modified = serializers.CharField(help_text="ERPNext's `modified` last seen.")
    in_step = serializers.SerializerMethodField()
    erpnext_desk_url = serializers.CharField(source="desk_url")
    linked_by = serializers.UUIDField(source="linked_by_id", allow_null=True)
    linked_at = serializers.DateTimeField(source="created_at")
    last_synced_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField()

    def get_in_step(self, link) -> bool:
        return link_in_step(link, link.project.status)


class StatusChangeOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    field = serializers.CharField()
    old_value = serializers.CharField()
    new_value = serializers.CharField()
    source = serializers.CharField()
    actor_id = serializers.UUIDField(allow_null=True)
    actor = serializers.CharField(source="actor.username", allow_null=True, default=None)
    at = serializers.DateTimeField()
    erpnext_site = serializers.CharField()
    erpnext_project = serializers.CharField()
    erpnext_modified = serializers.CharField()
    applied = serializers.BooleanField()
    note = serializers.CharField()


class SyncOutputSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=["updated", "unchanged", "stale", "pushed"])
    applied = serializers.BooleanField()
    detail = serializers.CharField()
    changes = StatusChangeOutputSerializer(many=True)
    link = LinkOutputSerializer()


class SiteOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField()
    webhook_url = serializers.SerializerMethodField()
    webhook_secret_set = serializers.BooleanField()
    created_at = serializers.DateTimeField()

    def get_webhook_url(self, site) -> str:
        path = reverse("api-erpnext-webhook", kwargs={"site_token": site.webhook_token})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class SiteSecretOutputSerializer(SiteOutputSerializer):
    webhook_secret = serializers.CharField(help_text="Shown only in this answer.")
