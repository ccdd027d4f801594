from django.urls import reverse
from rest_framework import serializers

from ..runner import queue_position


class JobOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.SerializerMethodField()
    kind = serializers.CharField()
    label = serializers.CharField(source="get_kind_display")
    state = serializers.CharField()
    stalled = serializers.BooleanField(source="is_stalled")
    queue_position = serializers.SerializerMethodField()
    progress = serializers.IntegerField()
    phase = serializers.CharField()
    error = serializers.CharField()
    error_details = serializers.JSONField()
    created_at = serializers.DateTimeField()
    queued_at = serializers.DateTimeField()
    started_at = serializers.DateTimeField(allow_null=True)
    heartbeat_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    result = serializers.JSONField(allow_null=True)
    attempts = serializers.IntegerField()
    project = serializers.CharField(source="project.slug")
    model_version = serializers.IntegerField(source="model_version.number", allow_null=True)
    created_by = serializers.CharField(source="created_by_name")
    retried_by = serializers.CharField(source="retried_by.username", allow_null=True, default=None)
    retried_as = serializers.UUIDField(source="retried_as_id", allow_null=True)
    documents = serializers.JSONField()
    http_requests = serializers.IntegerField()
    reads = serializers.IntegerField()
    writes = serializers.IntegerField()

    def get_url(self, job) -> str:
        return reverse("api-job-detail", kwargs={"job_id": str(job.pk)})

    def get_queue_position(self, job) -> int | None:
        return queue_position(job)
