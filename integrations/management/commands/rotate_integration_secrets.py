"""Re-encrypt every stored integration secret with the current SECRET_KEY."""

from django.core.management.base import BaseCommand, CommandError

from openaec.accounts.services import integration_secrets_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt stored ERPNext secrets and Nextcloud passwords with the current SECRET_KEY. "
        "Put the old key in SECRET_KEY_FALLBACKS first."
    )

    def handle(self, *args, **options):
        report = integration_secrets_rotate()
        self.stdout.write(f"Re-encrypted {report.rotated} secret(s) with the current key.")
        if report.failed_usernames:
            names = ", ".join(report.failed_usernames)
            raise CommandError(
                f"{len(report.failed_usernames)} user(s) have a secret that no key opens "
                f"(left unchanged; they must enter it again): {names}"
            )
