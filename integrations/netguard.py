"""Outbound URL policy and the one safe ``requests`` Session for user-typed URLs.

Every call to a URL that a user typed (ERPNext, Nextcloud) goes through
``safe_session()``. The session:

* resolves the host once per new connection, refuses it when *any* resolved address is refused,
  then connects to one of the checked addresses (no second DNS lookup, so DNS rebinding cannot
  swap in another address between check and connect). Host header, SNI and certificate hostname
  verification keep the real name, because only the socket is opened differently;
* always verifies TLS, with certifi's roots plus the policy's extra CA bundle;
* applies the policy's timeout to every request (the whole exchange, body included);
* never follows redirects blindly: GET/HEAD redirects are followed by this module, at most
  ``max_redirects`` hops, each hop re-validated and re-checked; other methods get the 3xx back;
* reads bodies up to ``max_body_bytes`` and raises ``ResponseTooLarge`` beyond that;
* ignores proxy/netrc environment variables and stores no cookies (stateless between calls);
* retries only idempotent methods, and only when the caller asks (``retries=``).
"""

from __future__ import annotations

import functools
import ipaddress
import os
import socket
import ssl
import sys
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from http.cookiejar import DefaultCookiePolicy
from typing import Any
from urllib.parse import urljoin, urlsplit

import certifi
import requests
from requests.adapters import HTTPAdapter
from urllib3 import PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import (
    ConnectTimeoutError,
    NameResolutionError,
    NewConnectionError,
)
from urllib3.exceptions import SSLError as Urllib3SSLError
from urllib3.exceptions import TimeoutError as Urllib3TimeoutError
from urllib3.util import Retry, Timeout
from urllib3.util.connection import allowed_gai_family, create_connection

MAX_URL_LENGTH = 512
ALLOWED_SCHEMES = ("http", "https")
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RETRY_STATUSES = (502, 503, 504)
_BODY_CHUNK = 64 * 1024

# Refused whatever the policy says: link-local (169.254/16 holds the cloud metadata services),
# "this network", broadcast, and the metadata endpoints that live outside link-local.
_ALWAYS_REFUSED = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",
        "169.254.0.0/16",
        "255.255.255.255/32",
        "fe80::/10",
        "100.100.100.200/32",  # Alibaba Cloud metadata (inside CGNAT, so listed explicitly)
        "168.63.129.16/32",  # Azure WireServer
        "192.0.0.192/32",  # Oracle Cloud metadata (inside 192.0.0.0/24, so listed explicitly)
        "fd00:ec2::254/128",  # AWS IMDS over IPv6 (inside fc00::/7, so listed explicitly)
    )
)
# Refused unless the policy allows private networks (INTEGRATIONS_ALLOW_PRIVATE_NETWORKS):
# IANA's special-purpose ranges that are not globally reachable, listed here because
# ipaddress's is_global differs between Python releases (3.11.7 calls 192.0.0.192 and
# fec0::1 global).
_PRIVATE = tuple(
    ipaddress.ip_network(n)
    for n in (
        "127.0.0.0/8",
        "::1/128",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "100.64.0.0/10",  # carrier-grade NAT
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "198.51.100.0/24",
        "203.0.113.0/24",
        "198.18.0.0/15",  # benchmarking
        "192.88.99.0/24",  # 6to4 relay anycast (deprecated)
        "fc00::/7",  # unique local
        "fec0::/10",  # site-local (deprecated, still routed inside some sites)
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard-only
        "2001::/23",  # IETF protocol assignments (Teredo, ORCHID, ...)
        "2001:db8::/32",  # documentation
        "3fff::/20",
        "5f00::/16",  # segment routing
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


@dataclass(frozen=True)
class OutboundPolicy:
    """What outbound calls to user-typed URLs may do."""

    allow_private: bool = False
    timeout: float = 10.0
    max_body_bytes: int = 10 * 1024 * 1024
    ca_bundle: str | None = None
    max_redirects: int = 3

    def __post_init__(self) -> None:
        if self.timeout <= 0:
            raise ValueError("timeout must be positive")
        if self.max_body_bytes <= 0:
            raise ValueError("max_body_bytes must be positive")
        if self.max_redirects < 0:
            raise ValueError("max_redirects must not be negative")


class UrlRejected(ValueError):
    """The URL is not an acceptable integration URL (syntax)."""


class OutboundRefused(Exception):
    """The policy refuses to contact this host or address."""

    def __init__(self, message: str, *, host: str = "", address: str = "") -> None:
        super().__init__(message)
        self.host = host
        self.address = address


class ResponseTooLarge(Exception):
    """The response body is larger than the policy allows."""

    def __init__(self, limit: int, host: str) -> None:
        super().__init__(f"Response from {host} is larger than {limit} bytes")
        self.limit = limit
        self.host = host


# --------------------------------------------------------------------------- URL and address rules


def validate_url(url: str) -> str:
    """Check an integration URL's syntax; return it stripped, without trailing slash."""
    if not isinstance(url, str) or not url.strip():
        raise UrlRejected("Enter a URL.")
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise UrlRejected(f"The URL is longer than {MAX_URL_LENGTH} characters.")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        raise UrlRejected("The URL must not contain spaces or control characters.")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise UrlRejected("The URL is malformed.") from exc
    if parts.scheme not in ALLOWED_SCHEMES:
        raise UrlRejected("The URL must start with http:// or https://.")
    if "@" in parts.netloc:
        raise UrlRejected("The URL must not contain a user name or password.")
    if not parts.hostname:
        raise UrlRejected("The URL must name a host.")
    if port == 0:
        raise UrlRejected("The URL's port is invalid.")
    if "?" in url:
        raise UrlRejected("The URL must not contain a query (?...).")
    if "#" in url:
        raise UrlRejected("The URL must not contain a fragment (#...).")
    return url.rstrip("/")


def address_verdict(address: str, policy: OutboundPolicy) -> str | None:
    """Return why an IP address is refused under the policy, or None if it may be contacted."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 scope id
    candidates: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        # ::ffff:a.b.c.d and NAT64's 64:ff9b::a.b.c.d reach a.b.c.d: judge that IPv4 address.
        if ip.ipv4_mapped:
            candidates = [ip.ipv4_mapped]
        elif ip in _NAT64:
            candidates = [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
        elif ip.sixtofour:
            candidates.append(ip.sixtofour)  # 6to4 embeds an IPv4 address: judge both
        elif ip.teredo:
            candidates.extend(ip.teredo)  # so does Teredo (server and client)
    verdicts = [_single_verdict(c, policy.allow_private) for c in candidates]
    return next((v for v in verdicts if v), None)


def _single_verdict(
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_private: bool
) -> str | None:
    if any(ip in net for net in _ALWAYS_REFUSED if net.version == ip.version):
        return "link-local or metadata"
    if ip.is_loopback:
        return None if allow_private else "private"
    if ip.is_link_local or ip.is_multicast or ip.is_unspecified or ip.is_reserved:
        return "link-local, multicast or reserved"
    # Other non-global ranges (documentation, benchmarking, ...) count as private networks.
    private = any(ip in net for net in _PRIVATE if net.version == ip.version)
    if (private or not ip.is_global) and not allow_private:
        return "private"
    return None


def _refused(host: str, address: str) -> OutboundRefused:
    verb = "is" if _is_ip_literal(host) else "resolves to"
    return OutboundRefused(
        f"Refused: {host} {verb} a private or link-local address",
        host=host,
        address=address,
    )


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return False
    return True


def _resolve(host: str, port: int) -> list[tuple[Any, ...]]:
    """Resolve host once; keep getaddrinfo order, drop duplicates."""
    seen: set[str] = set()
    out = []
    for info in socket.getaddrinfo(host, port, allowed_gai_family(), socket.SOCK_STREAM):
        address = str(info[4][0])
        if address not in seen:
            seen.add(address)
            out.append(info)
    return out


def _check_resolved(host: str, infos: Iterable[tuple[Any, ...]], policy: OutboundPolicy) -> None:
    for info in infos:
        address = str(info[4][0])
        if address_verdict(address, policy):
            raise _refused(host, address)


def check_host(url: str, policy: OutboundPolicy) -> None:
    """Raise OutboundRefused if url's host is, or now resolves to, a refused address."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not host:
        raise UrlRejected("The URL must name a host.")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = _resolve(host, port)
    except (socket.gaierror, UnicodeError):
        return  # DESIGN: a host that does not resolve at save time is saved anyway
    _check_resolved(host, infos, policy)


# --------------------------------------------------------------------------- TLS


def build_ssl_context(policy: OutboundPolicy) -> ssl.SSLContext:
    """Return a verifying SSLContext trusting certifi's roots plus the policy's extra CAs."""
    if not policy.ca_bundle:  # None or "" (an unset environment variable)
        return _ssl_context(None, 0)
    return _ssl_context(policy.ca_bundle, os.stat(policy.ca_bundle).st_mtime_ns)


@functools.lru_cache(maxsize=8)
def _ssl_context(ca_bundle: str | None, _mtime_ns: int) -> ssl.SSLContext:
    context = ssl.create_default_context(cafile=certifi.where())
    if ca_bundle:
        if os.path.isdir(ca_bundle):
            context.load_verify_locations(capath=ca_bundle)
        else:
            context.load_verify_locations(cafile=ca_bundle)
    return context


# --------------------------------------------------------------------------- urllib3 plumbing


class _CheckedConnectMixin:
    """Replace urllib3's socket creation: resolve once, check every address, connect to one."""

    allow_private: bool = False
    host: str
    port: int
    timeout: Any
    source_address: Any
    socket_options: Any
    _dns_host: str

    def _new_conn(self) -> socket.socket:
        policy = OutboundPolicy(allow_private=self.allow_private)
        try:
            infos = _resolve(self._dns_host, self.port)
        except socket.gaierror as exc:
            raise NameResolutionError(self.host, self, exc) from exc  # type: ignore[arg-type]
        _check_resolved(self.host, infos, policy)  # raises before any byte is sent

        last_error: OSError | None = None
        for info in infos:
            try:
                sock = create_connection(
                    (str(info[4][0]), self.port),
                    self.timeout,
                    source_address=self.source_address,
                    socket_options=self.socket_options,
                )
            except TimeoutError as exc:
                raise ConnectTimeoutError(
                    self, f"Connection to {self.host} timed out. (connect timeout={self.timeout})"
                ) from exc
            except OSError as exc:
                last_error = exc
                continue
            sys.audit("http.client.connect", self, self.host, self.port)
            return sock
        raise NewConnectionError(
            self,  # type: ignore[arg-type]
            f"Failed to establish a new connection: {last_error}",
        ) from last_error


@functools.cache
def _pool_classes(allow_private: bool) -> dict[str, type[HTTPConnectionPool]]:
    """Pool classes whose connections enforce the address policy (one pair per setting)."""
    mixin = type("_Checked", (_CheckedConnectMixin,), {"allow_private": allow_private})
    http_conn = type("CheckedHTTPConnection", (mixin, HTTPConnection), {})
    https_conn = type("CheckedHTTPSConnection", (mixin, HTTPSConnection), {})
    http_pool = type("CheckedHTTPConnectionPool", (HTTPConnectionPool,), {})
    https_pool = type("CheckedHTTPSConnectionPool", (HTTPSConnectionPool,), {})
    http_pool.ConnectionCls = http_conn
    https_pool.ConnectionCls = https_conn
    return {"http": http_pool, "https": https_pool}


def _default_timeout(policy: OutboundPolicy) -> Timeout:
    # total= bounds connect + waiting for the answer together; the body read is bounded in
    # GuardedSession._read_capped, so one request never takes much longer than policy.timeout.
    return Timeout(connect=policy.timeout, read=policy.timeout, total=policy.timeout)


class _GuardedAdapter(HTTPAdapter):
    """HTTPAdapter with checked connections, forced TLS verification and a default timeout."""

    def __init__(self, policy: OutboundPolicy, max_retries: Retry) -> None:
        self._policy = policy
        self._ssl_context = build_ssl_context(policy)
        super().__init__(max_retries=max_retries)

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        """Build a PoolManager whose pools open sockets only to checked addresses."""
        self._pool_connections = connections
        self._pool_maxsize = maxsize
        self._pool_block = block
        self.poolmanager = PoolManager(
            num_pools=connections, maxsize=maxsize, block=block, **pool_kwargs
        )
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self._policy.allow_private)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        """Refuse proxies: the checked address would be the proxy's, not the target's."""
        raise OutboundRefused("Refused: outbound calls do not go through proxies")

    def build_connection_pool_key_attributes(
        self, request: requests.PreparedRequest, verify: Any, cert: Any = None
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Use our SSLContext (certifi + extra CAs) whatever ``verify`` the caller passed."""
        host_params, pool_kwargs = super().build_connection_pool_key_attributes(request, True)
        pool_kwargs.pop("ca_certs", None)
        pool_kwargs.pop("ca_cert_dir", None)
        pool_kwargs["cert_reqs"] = "CERT_REQUIRED"
        pool_kwargs["ssl_context"] = self._ssl_context
        return host_params, pool_kwargs

    def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
        """Always verify; CAs come from our SSLContext, so nothing is reloaded per connection."""
        conn.cert_reqs = "CERT_REQUIRED"
        conn.ca_certs = None
        conn.ca_cert_dir = None

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: Any = True,
        cert: Any = None,
        proxies: Any = None,
    ) -> requests.Response:
        """Send with the policy's timeout unless given; TLS verification cannot be turned off."""
        scheme = urlsplit(request.url or "").scheme
        if scheme not in ALLOWED_SCHEMES:
            raise OutboundRefused(f"Refused: {scheme or 'this'} URLs are not allowed")
        if timeout is None:
            timeout = _default_timeout(self._policy)
        return super().send(request, stream=stream, timeout=timeout, verify=True, proxies={})


# --------------------------------------------------------------------------- the Session


class GuardedSession(requests.Session):
    """A requests Session that applies an OutboundPolicy to every request (see safe_session)."""

    def __init__(self, policy: OutboundPolicy, retry: Retry) -> None:
        super().__init__()
        self.policy = policy
        self.trust_env = False  # no proxies, no .netrc credentials, no REQUESTS_CA_BUNDLE
        self.max_redirects = policy.max_redirects
        self.cookies.set_policy(DefaultCookiePolicy(allowed_domains=[]))
        self.adapters.clear()
        adapter = _GuardedAdapter(policy, retry)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def resolve_redirects(self, *args: Any, **kwargs: Any) -> Iterator[Any]:  # type: ignore[override]
        """Disable requests' redirect machinery; it reads each hop's body without a limit."""
        return iter(())

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        """Send, follow GET/HEAD redirects hop by hop, and read the body up to the limit."""
        follow = kwargs.pop("allow_redirects", True) and request.method in ("GET", "HEAD")
        stream = kwargs.pop("stream", False)
        kwargs["proxies"] = {}
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = _default_timeout(self.policy)

        history: list[requests.Response] = []
        started = time.monotonic()
        response = super().send(request, allow_redirects=False, stream=True, **kwargs)
        while follow and response.is_redirect:
            if len(history) >= self.policy.max_redirects:
                response.close()
                raise requests.TooManyRedirects(
                    f"Exceeded {self.policy.max_redirects} redirects.", response=response
                )
            request = self._next_hop(request, response)
            response.close()  # never read a redirect body
            history.append(response)
            started = time.monotonic()
            response = super().send(request, allow_redirects=False, stream=True, **kwargs)
        response.history = history
        if not stream:
            self._read_capped(response, started)
        return response

    def _next_hop(
        self, request: requests.PreparedRequest, response: requests.Response
    ) -> requests.PreparedRequest:
        target = urljoin(response.url, response.headers["Location"])
        parts = urlsplit(target)
        if parts.scheme not in ALLOWED_SCHEMES or "@" in parts.netloc or not parts.hostname:
            response.close()
            raise OutboundRefused(
                f"Refused: {urlsplit(response.url).hostname} redirected to a URL that is not "
                "plain http(s)",
                host=parts.hostname or "",
            )
        hop = request.copy()
        hop.prepare_url(target, None)
        if not _same_origin(request.url or "", target):
            # Credentials are for the host the user configured, not for where it points us.
            for header in ("Authorization", "Cookie", "OCS-APIRequest"):
                hop.headers.pop(header, None)
        return hop

    def _read_capped(self, response: requests.Response, started: float) -> None:
        limit = self.policy.max_body_bytes
        host = urlsplit(response.url).hostname or ""
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            response.close()
            raise ResponseTooLarge(limit, host)
        body = bytearray()
        for chunk in response.iter_content(_BODY_CHUNK):
            body += chunk
            if len(body) > limit:
                response.close()
                raise ResponseTooLarge(limit, host)
            if time.monotonic() - started > self.policy.timeout:
                response.close()
                raise requests.exceptions.ReadTimeout(
                    f"Reading the answer from {host} took longer than {self.policy.timeout:g} s"
                )
        # The same cache requests fills in Response.content, so .text and .json() work as usual.
        response._content = bytes(body)
        response._content_consumed = True


def _same_origin(old_url: str, new_url: str) -> bool:
    """Same scheme, host and port, or the plain http -> https upgrade of the same host."""
    old, new = urlsplit(old_url), urlsplit(new_url)
    if old.hostname != new.hostname:
        return False
    old_port = old.port or (443 if old.scheme == "https" else 80)
    new_port = new.port or (443 if new.scheme == "https" else 80)
    if (old.scheme, old_port) == (new.scheme, new_port):
        return True
    return (old.scheme, old_port, new.scheme, new_port) == ("http", 80, "https", 443)


def safe_session(
    policy: OutboundPolicy, *, retries: int = 0, backoff_factor: float = 0.5
) -> GuardedSession:
    """Return a Session that enforces the policy; retries apply to GET/HEAD/OPTIONS only."""
    retry = Retry(
        total=retries,
        connect=retries,
        # read=False, like requests' default, keeps timeouts typed as ReadTimeout when not retrying
        read=retries or False,
        status=retries,
        other=0,
        redirect=False,
        allowed_methods=IDEMPOTENT_METHODS,  # a POST or PUT is never re-sent blindly
        status_forcelist=RETRY_STATUSES if retries else (),
        backoff_factor=backoff_factor,
        respect_retry_after_header=False,  # callers decide how long a Retry-After may be
        raise_on_status=False,
        raise_on_redirect=False,
    )
    return GuardedSession(policy, retry)


# --------------------------------------------------------------------------- failure reporting


def failure_kind(exc: BaseException) -> str:
    """Classify an exception from a safe session call.

    Returns one of "refused_address", "too_large", "redirect", "tls", "timeout", "connect".
    """
    if isinstance(exc, OutboundRefused):
        return "refused_address"
    if isinstance(exc, ResponseTooLarge):
        return "too_large"
    if isinstance(exc, requests.TooManyRedirects):
        return "redirect"
    if isinstance(exc, requests.exceptions.SSLError):
        return "tls"
    if isinstance(exc, requests.Timeout):
        return "timeout"
    chain = list(_exception_chain(exc))
    # NewConnectionError subclasses ConnectTimeoutError in urllib3 2.x: check it before timeouts.
    if any(isinstance(e, NewConnectionError) for e in chain):
        return "connect"
    if any(isinstance(e, (ssl.SSLError, Urllib3SSLError)) for e in chain):
        return "tls"
    if any(isinstance(e, (Urllib3TimeoutError, TimeoutError)) for e in chain):
        return "timeout"
    return "connect"


def _exception_chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[Any] = [exc]
    while todo:
        current = todo.pop()
        if not isinstance(current, BaseException) or id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend([current.__cause__, current.__context__, getattr(current, "reason", None)])
        todo.extend(current.args)


def describe_failure(kind: str, url: str, policy: OutboundPolicy) -> str:
    """One short sentence for a connection test saying what went wrong reaching url."""
    sentences = {
        "connect": f"Cannot connect to {url}",
        "timeout": f"Timed out after {policy.timeout:g} s connecting to {url}",
        "tls": f"TLS certificate verification failed for {url}",
        "too_large": f"{url} answered with more than {policy.max_body_bytes} bytes",
        "redirect": f"{url} redirected more than {policy.max_redirects} times",
        "refused_address": str(_refused(urlsplit(url).hostname or url, "")),
    }
    return sentences.get(kind, f"Cannot connect to {url}")
