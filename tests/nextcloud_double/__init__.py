"""Loopback Nextcloud (OCS) double; shares LoopbackDouble's fault injection."""

from tests.nextcloud_double.ocs_double import NextcloudDouble

__all__ = ["NextcloudDouble"]
