from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "orders"
    verbose_name = "Purchase orders"

    def ready(self) -> None:
        from .handlers import register_kinds

        register_kinds()
