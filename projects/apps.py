from django.apps import AppConfig


class ProjectsConfig(AppConfig):
    name = "projects"
    verbose_name = "BIM projects"

    def ready(self) -> None:
        from .handlers import register_kinds

        register_kinds()
