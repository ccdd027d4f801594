from django.apps import AppConfig


class ErpConfig(AppConfig):
    name = "erp"
    verbose_name = "ERPNext links"

    def ready(self) -> None:
        from .handlers import register_kinds

        register_kinds()
