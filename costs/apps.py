from django.apps import AppConfig


class CostsConfig(AppConfig):
    name = "costs"
    verbose_name = "Costs"

    def ready(self) -> None:
        from .handlers import register_kinds

        register_kinds()
