"""`manage.py erpnext_pull_status`: the periodic pull of every ERPNext link, for cron/systemd."""

from django.core.management.base import BaseCommand, CommandError

from erp import services
from erp.tasks import pull_erpnext_statuses


class Command(BaseCommand):
    help = (
        "Pull status, % complete and expected dates of every linked ERPNext Project (as the "
        "user who made each link), push BIM statuses ERPNext has not received yet, and forget "
        "old webhook deliveries. Exits non-zero when a link failed."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="queue the run for a `db_worker` instead of running it here",
        )

    def handle(self, *args, enqueue: bool, **options) -> None:
        if enqueue:
            result = pull_erpnext_statuses.enqueue()
            self.stdout.write(f"Queued the ERPNext pull as task {result.id}.")
            return
        report = services.erpnext_links_sync_all()
        self.stdout.write(
            f"Checked {report.checked} linked projects: {report.updated} updated from ERPNext, "
            f"{report.pushed} pushed to ERPNext, {report.unchanged} unchanged, "
            f"{len(report.failed)} failed."
        )
        for slug, message in report.failed:
            self.stderr.write(f"{slug}: {message}")
        if report.failed:
            raise CommandError(f"{len(report.failed)} linked projects could not be synced.")
