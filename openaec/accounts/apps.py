from django.apps import AppConfig
from django.core.management import call_command
from django.db.models.signals import post_migrate


def create_cache_table(using: str = "default", **kwargs) -> None:
    """`migrate` alone leaves a working server: the throttles' database cache needs its table.

    createcachetable does nothing when the table exists or the cache is not a database one.
    """
    call_command("createcachetable", database=using, verbosity=0)


class AccountsConfig(AppConfig):
    name = "openaec.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from . import schema  # noqa: F401  (registers the OpenAPI auth extensions)

        post_migrate.connect(create_cache_table, sender=self)
