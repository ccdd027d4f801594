from django.apps import AppConfig


class IfcExportConfig(AppConfig):
    name = "ifcexport"
    verbose_name = "IFC cost export"

    def ready(self) -> None:
        from .handlers import register_kinds

        register_kinds()
