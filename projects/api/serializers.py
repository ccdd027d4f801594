"""Output shapes shared by several project API views."""

from django.urls import reverse
from rest_framework import serializers


class ProjectOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    slug = serializers.CharField()
    description = serializers.CharField()
    owner_id = serializers.UUIDField()
    created_at = serializers.DateTimeField()
    code = serializers.CharField()
    status = serializers.CharField()
    updated_at = serializers.DateTimeField()


class MemberOutputSerializer(serializers.Serializer):
    user_id = serializers.UUIDField()
    role = serializers.CharField()


class ModelVersionOutputSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    version = serializers.IntegerField(source="number")
    original_filename = serializers.CharField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    schema = serializers.CharField()
    state = serializers.CharField()
    failure_reason = serializers.CharField()
    element_count = serializers.IntegerField()
    warnings = serializers.ListField(child=serializers.CharField())
    uploaded_by = serializers.UUIDField(source="uploaded_by_id", allow_null=True)
    created_at = serializers.DateTimeField()
    job_id = serializers.SerializerMethodField()
    job_url = serializers.SerializerMethodField()
    takeoff_url = serializers.SerializerMethodField()

    def _job(self, version):
        jobs = self.context.get("latest_jobs")
        if jobs is not None:
            return jobs.get(version.pk)
        return version.jobs.filter(kind="takeoff").order_by("-created_at").only("id").first()

    def get_job_id(self, version) -> str | None:
        job = self._job(version)
        return str(job.pk) if job else None

    def get_job_url(self, version) -> str | None:
        job = self._job(version)
        return reverse("api-job-detail", kwargs={"job_id": str(job.pk)}) if job else None

    def get_takeoff_url(self, version) -> str:
        return reverse(
            "api-takeoff",
            kwargs={"slug": version.project.slug, "version": str(version.number)},
        )


class DuplicateUploadSerializer(serializers.Serializer):
    detail = serializers.CharField()
    duplicate_of = serializers.IntegerField(help_text="the version the file is identical to")


class TakeoffFilterValuesSerializer(serializers.Serializer):
    ifc_class = serializers.ListField(child=serializers.CharField())
    predefined_type = serializers.ListField(child=serializers.CharField())
    type_name = serializers.ListField(child=serializers.CharField())
    storey = serializers.ListField(child=serializers.CharField())
    material = serializers.ListField(child=serializers.CharField())


class TakeoffFilterChoicesSerializer(serializers.Serializer):
    project = serializers.CharField()
    version = serializers.IntegerField()
    limit = serializers.IntegerField(help_text="at most this many values per field")
    values = TakeoffFilterValuesSerializer()
