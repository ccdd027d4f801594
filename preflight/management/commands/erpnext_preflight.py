"""`manage.py erpnext_preflight`: what the user's ERPNext lets the bridge do, feature by feature."""

import json

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from openaec.exceptions import ApplicationError
from preflight.report import FEATURES
from preflight.services import PreflightReport, erpnext_preflight

EXIT_REQUIRED = 2  # a feature named with --require is not ready
EXIT_LEFT_BEHIND = 3  # --write could not remove a document it made


class Command(BaseCommand):
    help = (
        "Check, for a user's ERPNext site, every feature of the bridge (connection, projects, "
        "status push, webhook, BOM, purchase orders, material requests, costs, IFC cost "
        "export): ready or not, with the reason and the fix. Read-only unless --write. Exit "
        f"status {EXIT_REQUIRED} when a --require'd feature is not ready, {EXIT_LEFT_BEHIND} "
        "when --write left a document behind."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--user",
            help="whose ERPNext settings to use (default: the only user with ERPNext settings)",
        )
        parser.add_argument(
            "--write",
            action="store_true",
            help="also prove the writing flows with throwaway documents, removed afterwards",
        )
        parser.add_argument("--json", action="store_true", help="machine-readable output")
        parser.add_argument(
            "--require",
            nargs="+",
            default=[],
            metavar="FEATURE",
            help=f"features that must be ready: {', '.join(FEATURES)}",
        )

    def handle(self, *args, user, write, json: bool, require, **options) -> None:
        unknown = [name for name in require if name not in FEATURES]
        if unknown:
            raise CommandError(
                f"Unknown feature {', '.join(unknown)}; choose from {', '.join(FEATURES)}."
            )
        try:
            report = erpnext_preflight(user=_user(user), write=write)
        except ApplicationError as exc:
            raise CommandError(exc.message) from exc
        if json:
            self.stdout.write(
                _json(
                    {
                        **report.as_dict(),
                        "required": require,
                        "required_not_ready": report.not_ready(require),
                    }
                )
            )
        else:
            self._table(report)
        if report.left_behind:
            raise CommandError(
                f"--write left {len(report.left_behind)} document(s) in ERPNext: "
                + "; ".join(report.left_behind),
                returncode=EXIT_LEFT_BEHIND,
            )
        missing = report.not_ready(require)
        if missing:
            raise CommandError(
                f"Required but not ready: {', '.join(missing)}.", returncode=EXIT_REQUIRED
            )

    def _table(self, report: PreflightReport) -> None:
        who = f" as {report.erpnext_user}" if report.erpnext_user else ""
        self.stdout.write(f"ERPNext {report.site_url}{who} ({report.requests} requests)\n")
        width = max(len(f.label) for f in report.features)
        for feature in report.features:
            self.stdout.write(f"{feature.label:<{width}}  {feature.status.replace('_', ' ')}")
            for check in feature.problems:
                mark = {"blocking": "x", "degrading": "-", "note": "i"}[check.severity]
                if check.ok is None:
                    mark = "?"
                self.stdout.write(f"  {mark} {check.reason}")
                if check.fix:
                    self.stdout.write(f"    fix: {check.fix}")
        for step in report.writes:
            state = "ok" if step.ok else "FAILED"
            name = f" {step.name}" if step.name else ""
            detail = f": {step.detail}" if step.detail else ""
            self.stdout.write(
                f"write {step.flow}: {step.action} {step.doctype}{name} {state}{detail}"
            )


def _user(username: str | None):
    users = get_user_model().objects
    if username:
        user = users.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user {username}.")
        return user
    configured = list(users.exclude(erpnext_url=None).exclude(erpnext_url="").order_by("username"))
    if len(configured) != 1:
        names = ", ".join(u.username for u in configured[:10]) or "none"
        raise CommandError(
            f"{len(configured)} users have ERPNext settings ({names}): name one with --user."
        )
    return configured[0]


def _json(data) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
