"""Re-encrypt every stored integration secret with the current SECRET_KEY."""

from django.core.management.base import BaseCommand, CommandError

from erp.services.sites import erpnext_site_secrets_rotate
from openaec.accounts.services import integration_secrets_rotate


class Command(BaseCommand):
    help = (
        "Re-encrypt stored ERPNext secrets and Nextcloud passwords with the current SECRET_KEY. "
        "Put the old key in SECRET_KEY_FALLBACKS first."
    )

    def handle(self, *args, **options):
        report = integration_secrets_rotate()
        site_rotated, site_failures = erpnext_site_secrets_rotate()
        self.stdout.write(
            f"Re-encrypted {report.rotated} secret(s) with the current key"
            f" (and {site_rotated} ERPNext webhook secret(s))."
        )
        problems = []
        if report.failed_usernames:
            problems.append(
                f"{len(report.failed_usernames)} user(s) have a secret that no key opens "
                f"(left unchanged; they must enter it again): {', '.join(report.failed_usernames)}"
            )
        if site_failures:
            problems.append(
                "webhook secrets no key opens (generate new ones under ERPNext sites): "
                + ", ".join(site_failures)
            )
        if problems:
            raise CommandError("; ".join(problems))
