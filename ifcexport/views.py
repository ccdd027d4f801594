"""HTML doors of the IFC cost export: start it (then the job page shows progress and the
report), download the file. Plain forms, no JavaScript."""

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_POST

from projects.selectors import project_get_for_user

from . import services


@login_required
@require_POST
def cost_export_start_view(request: HttpRequest, slug: str, version: int) -> HttpResponse:
    project, _ = project_get_for_user(slug=slug, user=request.user)
    options = {n: request.POST.get(n) for n in ("schedule_type", "group_by", "price_list")}
    job = services.cost_export_start(
        project=project, user=request.user, model_version=version, options=options
    )
    return redirect("job-detail", job_id=job.pk)


@login_required
@require_GET
def cost_export_download_view(request: HttpRequest, slug: str, job_id: str) -> HttpResponse:
    project, _ = project_get_for_user(slug=slug, user=request.user)
    handle, filename = services.cost_export_file(project=project, job_id=job_id)
    return FileResponse(
        handle, as_attachment=True, filename=filename, content_type="application/x-step"
    )
