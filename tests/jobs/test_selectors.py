"""One way to find a job by id among a kind's runs: a bad or foreign id is the kind's 404."""

import uuid

import pytest

from jobs.models import Job
from jobs.selectors import job_get_from
from openaec.exceptions import NotFoundError


@pytest.fixture
def jobs(project, editor):
    sync = Job.objects.create(kind="bom_sync", project=project, created_by=editor)
    export = Job.objects.create(kind="cost_export", project=project, created_by=editor)
    return sync, export


def test_finds_the_job_among_the_given_ones(jobs):
    sync, _ = jobs

    assert job_get_from(Job.objects.filter(kind="bom_sync"), str(sync.pk)) == sync


@pytest.mark.parametrize("job_id", ["not-a-uuid", str(uuid.uuid4()), "", None])
def test_a_bad_or_unknown_id_is_the_callers_404(jobs, job_id):
    with pytest.raises(NotFoundError, match=r"^Sync run not found$"):
        job_get_from(Job.objects.filter(kind="bom_sync"), job_id, missing="Sync run not found")


def test_a_job_outside_the_given_ones_is_not_found(jobs):
    _, export = jobs

    with pytest.raises(NotFoundError, match=r"^Job not found$"):
        job_get_from(Job.objects.filter(kind="bom_sync"), export.pk)
