from django.apps import AppConfig


class BomConfig(AppConfig):
    name = "bom"
    verbose_name = "Bills of Materials"

    def ready(self) -> None:
        from .handlers import register_kinds

        register_kinds()
