"""JSON API of BIM projects (OpenAEC's /api/projects shapes) and jobs."""

urlpatterns: list = []
