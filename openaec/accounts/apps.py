from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "openaec.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from . import schema  # noqa: F401  (registers the OpenAPI auth extensions)
