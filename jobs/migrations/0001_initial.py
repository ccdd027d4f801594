"""The job core takes over the takeoff jobs' table "jobs" as it is (state only here); the
columns every kind needs follow in 0002. projects.0003_move_jobs drops projects.Job from the state.
"""

import uuid

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("projects", "0002_job_heartbeat"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Job",
                    fields=[
                        (
                            "id",
                            models.UUIDField(
                                default=uuid.uuid4,
                                editable=False,
                                primary_key=True,
                                serialize=False,
                            ),
                        ),
                        (
                            "kind",
                            models.CharField(
                                choices=[("takeoff", "Quantity takeoff")], max_length=32
                            ),
                        ),
                        (
                            "state",
                            models.CharField(
                                choices=[
                                    ("queued", "Queued"),
                                    ("running", "Running"),
                                    ("succeeded", "Succeeded"),
                                    ("failed", "Failed"),
                                ],
                                default="queued",
                                max_length=16,
                            ),
                        ),
                        (
                            "progress",
                            models.PositiveSmallIntegerField(
                                default=0, help_text="Percent done, 0 to 100."
                            ),
                        ),
                        ("phase", models.CharField(blank=True, max_length=255)),
                        ("error", models.TextField(blank=True)),
                        ("result", models.JSONField(blank=True, null=True)),
                        ("task_result_id", models.CharField(blank=True, max_length=64)),
                        ("attempts", models.PositiveSmallIntegerField(default=0)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("started_at", models.DateTimeField(blank=True, null=True)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        (
                            "created_by",
                            models.ForeignKey(
                                null=True,
                                on_delete=django.db.models.deletion.SET_NULL,
                                related_name="jobs",
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                        (
                            "model_version",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="jobs",
                                to="projects.modelversion",
                            ),
                        ),
                        (
                            "project",
                            models.ForeignKey(
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="jobs",
                                to="projects.project",
                            ),
                        ),
                    ],
                    options={
                        "db_table": "jobs",
                        "ordering": ["-created_at"],
                    },
                ),
                migrations.AddField(
                    model_name="job",
                    name="heartbeat_at",
                    field=models.DateTimeField(
                        blank=True,
                        help_text="Last sign of life from the worker running it.",
                        null=True,
                    ),
                ),
                migrations.AddConstraint(
                    model_name="job",
                    constraint=models.CheckConstraint(
                        condition=models.Q(("progress__lte", 100)), name="job_progress_max_100"
                    ),
                ),
            ],
            database_operations=[],
        ),
    ]
