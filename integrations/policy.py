"""The outbound policy of this deployment, built from settings."""

from django.conf import settings

from integrations.netguard import OutboundPolicy


def outbound_policy() -> OutboundPolicy:
    """Policy for calls to ERPNext and Nextcloud (DESIGN.md, "Outbound calls")."""
    return OutboundPolicy(
        allow_private=settings.INTEGRATIONS_ALLOW_PRIVATE_NETWORKS,
        timeout=settings.ERPNEXT_TIMEOUT,
        ca_bundle=settings.ERPNEXT_CA_BUNDLE,
    )
