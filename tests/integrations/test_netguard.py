"""Tests for integrations.netguard against real loopback servers (no patching of requests)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from integrations import netguard
from integrations.netguard import (
    OutboundPolicy,
    OutboundRefused,
    ResponseTooLarge,
    UrlRejected,
    address_verdict,
    build_ssl_context,
    check_host,
    describe_failure,
    failure_kind,
    safe_session,
    validate_url,
)
from tests.erpnext_double import LoopbackDouble, Reply
from tests.erpnext_double.tls import make_tls

PRIVATE_OK = OutboundPolicy(allow_private=True, timeout=2)
STRICT = OutboundPolicy(timeout=2)


class EchoDouble(LoopbackDouble):
    """Answers 200 with the Host header it received."""

    def handle(self, request):
        return Reply.json(200, {"host": request.headers.get("Host"), "path": request.path})


@pytest.fixture
def echo():
    with EchoDouble() as double:
        yield double


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ---------------------------------------------------------------------------- validate_url


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://erp.example.com/", "https://erp.example.com"),
        ("http://10.0.0.5:8000/erp//", "http://10.0.0.5:8000/erp"),
        ("  https://erp.example.com  ", "https://erp.example.com"),
        ("https://[2001:db8::1]:8443", "https://[2001:db8::1]:8443"),
    ],
)
def test_validate_url_returns_url_without_trailing_slash(given, expected):
    assert validate_url(given) == expected


@pytest.mark.parametrize(
    "url",
    [
        "ftp://erp.example.com",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "erp.example.com",
        "https://user:secret@erp.example.com",
        "https://user@erp.example.com",
        "https://erp.example.com/?a=1",
        "https://erp.example.com/?",
        "https://erp.example.com/#top",
        "https://" + "a" * 500 + ".example.com",
        "https://",
        "http:///only-a-path",
        "https://erp example.com",
        "https://erp.example.com:99999",
        "https://erp.exa\nmple.com",
        "",
    ],
)
def test_validate_url_rejects(url):
    with pytest.raises(UrlRejected):
        validate_url(url)


def test_validate_url_accepts_exactly_512_characters():
    url = "https://erp.example.com/" + "p" * (512 - len("https://erp.example.com/"))
    assert validate_url(url) == url
    with pytest.raises(UrlRejected):
        validate_url(url + "p")


# ---------------------------------------------------------------------------- address rules


@pytest.mark.parametrize(
    ("address", "refused_by_default", "refused_when_private_allowed"),
    [
        ("127.0.0.1", True, False),
        ("127.255.0.9", True, False),
        ("::1", True, False),
        ("10.1.2.3", True, False),
        ("172.16.0.1", True, False),
        ("172.31.255.254", True, False),
        ("192.168.1.10", True, False),
        ("100.64.0.1", True, False),
        ("fc00::1", True, False),
        ("fd12:3456::1", True, False),
        ("169.254.169.254", True, True),
        ("169.254.0.1", True, True),
        ("fe80::1", True, True),
        ("fe80::1%eth0", True, True),
        ("fd00:ec2::254", True, True),
        ("100.100.100.200", True, True),
        ("0.0.0.0", True, True),
        ("0.1.2.3", True, True),
        ("224.0.0.1", True, True),
        ("ff02::1", True, True),
        ("240.0.0.1", True, True),
        ("255.255.255.255", True, True),
        ("::", True, True),
        ("8.8.8.8", False, False),
        ("2606:4700:4700::1111", False, False),
        ("172.32.0.1", False, False),
        # Issue 16.7: what Python 3.11.7's is_global lets through.
        ("192.0.0.192", True, True),  # Oracle Cloud metadata
        ("192.0.0.9", True, False),  # IETF protocol assignments
        ("192.0.0.170", True, False),
        ("192.88.99.1", True, False),  # 6to4 relay anycast
        ("198.18.0.1", True, False),  # benchmarking
        ("203.0.113.5", True, False),  # documentation
        ("fec0::1", True, False),  # site-local
        ("fec0::1%1", True, False),
        ("feff::1", True, False),
        ("2001:db8::1", True, False),
        ("2001:2::1", True, False),  # benchmarking, inside 2001::/23
        ("64:ff9b:1::1", True, True),  # local-use NAT64 (inside ::/8, reserved)
        ("100::1", True, True),  # discard-only (reserved)
        ("100.63.255.255", False, False),  # just below CGNAT
        ("100.128.0.0", False, False),  # just above CGNAT
    ],
)
def test_address_verdict_for_each_range(address, refused_by_default, refused_when_private_allowed):
    assert bool(address_verdict(address, OutboundPolicy())) is refused_by_default
    assert (
        bool(address_verdict(address, OutboundPolicy(allow_private=True)))
        is refused_when_private_allowed
    )


@pytest.mark.parametrize(
    ("address", "refused_by_default", "refused_when_private_allowed"),
    [
        ("::ffff:127.0.0.1", True, False),
        ("::ffff:10.0.0.1", True, False),
        ("::ffff:169.254.169.254", True, True),
        ("::ffff:8.8.8.8", False, False),
        ("64:ff9b::a00:1", True, False),  # NAT64 of 10.0.0.1
        ("64:ff9b::a9fe:a9fe", True, True),  # NAT64 of 169.254.169.254
        ("2002:7f00:1::", True, False),  # 6to4 of 127.0.0.1
        ("::ffff:192.0.0.192", True, True),  # mapped Oracle Cloud metadata
        ("64:ff9b::c000:c0", True, True),  # NAT64 of 192.0.0.192
        ("2002:c000:c0::1", True, True),  # 6to4 of 192.0.0.192
    ],
)
def test_address_verdict_unwraps_embedded_ipv4(
    address, refused_by_default, refused_when_private_allowed
):
    assert bool(address_verdict(address, OutboundPolicy())) is refused_by_default
    assert (
        bool(address_verdict(address, OutboundPolicy(allow_private=True)))
        is refused_when_private_allowed
    )


# ---------------------------------------------------------------------------- check_host


@pytest.mark.parametrize(
    "url", ["http://10.0.0.1", "https://192.168.0.10:8443/erp", "http://[::1]:8000"]
)
def test_check_host_refuses_literal_private_address(url):
    with pytest.raises(OutboundRefused, match=r"^Refused: .* is a private or link-local address"):
        check_host(url, OutboundPolicy())


def test_check_host_allows_private_literal_when_policy_allows():
    check_host("http://10.0.0.1", OutboundPolicy(allow_private=True))


def test_check_host_refuses_metadata_address_even_when_private_allowed():
    with pytest.raises(OutboundRefused):
        check_host("http://169.254.169.254", OutboundPolicy(allow_private=True))


def test_check_host_refuses_name_resolving_to_loopback():
    with pytest.raises(OutboundRefused, match="Refused: localhost resolves to a private"):
        check_host("http://localhost:8000", OutboundPolicy())


def test_check_host_lets_an_unresolvable_host_pass():
    check_host("https://erp.nonexistent.invalid", OutboundPolicy())


def test_check_host_lets_a_public_literal_pass():
    check_host("https://8.8.8.8", OutboundPolicy())


# ---------------------------------------------------------------------------- safe_session


def test_hostname_resolving_to_loopback_is_refused_and_double_gets_nothing(echo):
    url = echo.url.replace("127.0.0.1", "localhost")

    with pytest.raises(OutboundRefused, match="localhost resolves to"):
        safe_session(STRICT).get(url + "/x")

    assert echo.requests == []
    assert echo.connection_count == 0


def test_literal_loopback_is_refused_without_allow_private(echo):
    with pytest.raises(OutboundRefused, match=r"127\.0\.0\.1 is a private"):
        safe_session(STRICT).get(echo.url)

    assert echo.connection_count == 0


def test_ipv4_mapped_ipv6_literal_is_refused(echo):
    with pytest.raises(OutboundRefused):
        safe_session(STRICT).get(f"http://[::ffff:127.0.0.1]:{echo.port}/")

    assert echo.connection_count == 0


def test_private_address_reached_when_policy_allows(echo):
    response = safe_session(PRIVATE_OK).get(echo.url + "/hello")

    assert response.status_code == 200
    assert response.json() == {"host": f"127.0.0.1:{echo.port}", "path": "/hello"}


def test_connects_to_the_checked_address_with_one_lookup(echo, monkeypatch):
    # A rebinding DNS answers loopback first and the metadata address afterwards.
    real = socket.getaddrinfo
    lookups = []

    def rebinding(host, *args, **kwargs):
        if host == "rebind.test":
            lookups.append(host)
            address = "127.0.0.1" if len(lookups) == 1 else "169.254.169.254"
            return real(address, *args, **kwargs)
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)

    response = safe_session(PRIVATE_OK).get(f"http://rebind.test:{echo.port}/")

    assert response.status_code == 200
    assert lookups == ["rebind.test"]
    assert response.json()["host"] == f"rebind.test:{echo.port}"  # Host header keeps the name


def test_name_resolving_to_any_refused_address_is_refused(echo, monkeypatch):
    real = socket.getaddrinfo

    def mixed(host, port, *args, **kwargs):
        if host == "mixed.test":
            return real("127.0.0.1", port, *args, **kwargs) + real(
                "169.254.169.254", port, *args, **kwargs
            )
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", mixed)

    with pytest.raises(OutboundRefused):
        safe_session(PRIVATE_OK).get(f"http://mixed.test:{echo.port}/")
    assert echo.connection_count == 0


def test_redirect_to_metadata_address_is_refused(echo):
    echo.inject(status=302, body="", headers={"Location": "http://169.254.169.254/latest/"})

    with pytest.raises(OutboundRefused):
        safe_session(PRIVATE_OK).get(echo.url + "/start")

    assert [r.path for r in echo.requests] == ["/start"]


def test_redirect_to_a_non_http_url_is_refused(echo):
    echo.inject(status=301, body="", headers={"Location": "file:///etc/passwd"})

    with pytest.raises(OutboundRefused, match="not plain http"):
        safe_session(PRIVATE_OK).get(echo.url)


def test_get_redirect_is_followed_and_checked(echo):
    echo.inject("/old", status=301, body="", headers={"Location": "/new"})

    response = safe_session(PRIVATE_OK).get(echo.url + "/old")

    assert response.json()["path"] == "/new"
    assert [r.status_code for r in response.history] == [301]


def test_redirects_stop_after_max_redirects(echo):
    echo.inject(times=None, status=302, body="", headers={"Location": "/again"})

    with pytest.raises(requests.TooManyRedirects):
        safe_session(PRIVATE_OK).get(echo.url + "/again")

    assert len(echo.requests) == PRIVATE_OK.max_redirects + 1


def test_post_redirect_is_returned_not_followed(echo):
    echo.inject(status=302, body="", headers={"Location": "/elsewhere"})

    response = safe_session(PRIVATE_OK).post(echo.url + "/form", json={"a": 1})

    assert response.status_code == 302
    assert len(echo.requests) == 1


def test_redirect_to_another_host_drops_authorization(echo):
    other = echo.url.replace("127.0.0.1", "localhost")
    echo.inject("/here", status=302, body="", headers={"Location": other + "/there"})

    safe_session(PRIVATE_OK).get(echo.url + "/here", headers={"Authorization": "token k:s"})

    first, second = echo.requests
    assert first.headers["Authorization"] == "token k:s"
    assert "Authorization" not in second.headers


def test_body_over_limit_with_content_length_raises(echo):
    echo.inject(body="x" * 5000)
    policy = OutboundPolicy(allow_private=True, max_body_bytes=1000)

    with pytest.raises(ResponseTooLarge):
        safe_session(policy).get(echo.url)


def test_chunked_body_over_limit_raises(echo):
    echo.inject(body="x" * 50_000, chunked=True)
    policy = OutboundPolicy(allow_private=True, max_body_bytes=10_000)

    with pytest.raises(ResponseTooLarge):
        safe_session(policy).get(echo.url)


def test_body_within_limit_is_read(echo):
    echo.inject(body="y" * 1000, chunked=True)
    policy = OutboundPolicy(allow_private=True, max_body_bytes=1000)

    assert safe_session(policy).get(echo.url).text == "y" * 1000


def test_default_timeout_applies_to_every_request(echo):
    echo.inject(delay=3)
    policy = OutboundPolicy(allow_private=True, timeout=0.3)
    started = time.monotonic()

    with pytest.raises(requests.Timeout) as caught:
        safe_session(policy).get(echo.url)

    assert time.monotonic() - started < 1.5
    assert failure_kind(caught.value) == "timeout"


def test_slow_body_is_cut_at_the_timeout(echo):
    # Each chunk arrives well within the read timeout, but the whole body would take 2.5 s.
    echo.inject(body="z" * 200_000, drip=0.05)
    policy = OutboundPolicy(allow_private=True, timeout=0.5)
    started = time.monotonic()

    with pytest.raises(requests.RequestException) as caught:
        safe_session(policy).get(echo.url)

    assert time.monotonic() - started < 1.8  # the whole body would take 2.5 s
    assert failure_kind(caught.value) == "timeout"


def test_tls_is_verified_by_default(tmp_path):
    tls = make_tls(tmp_path)
    with EchoDouble(ssl_context=tls.server_context, url_host="localhost") as double:
        with pytest.raises(requests.exceptions.SSLError) as caught:
            safe_session(PRIVATE_OK).get(double.url)

        assert double.requests == []
    assert failure_kind(caught.value) == "tls"


def test_tls_verification_cannot_be_switched_off_by_the_caller(tmp_path):
    tls = make_tls(tmp_path)
    with (
        EchoDouble(ssl_context=tls.server_context, url_host="localhost") as double,
        pytest.raises(requests.exceptions.SSLError),
    ):
        safe_session(PRIVATE_OK).get(double.url, verify=False)


def test_extra_ca_bundle_is_trusted_and_hostname_still_checked(tmp_path):
    tls = make_tls(tmp_path)  # certificate for "localhost" only
    policy = OutboundPolicy(allow_private=True, ca_bundle=str(tls.ca_path))
    with EchoDouble(ssl_context=tls.server_context, url_host="localhost") as double:
        response = safe_session(policy).get(double.url + "/secure")
        assert response.json()["host"] == f"localhost:{double.port}"

        with pytest.raises(requests.exceptions.SSLError):  # same server, name not in the cert
            safe_session(policy).get(f"https://127.0.0.1:{double.port}/")


def test_extra_ca_bundle_is_added_to_certifi_roots(tmp_path):
    tls = make_tls(tmp_path)

    context = build_ssl_context(OutboundPolicy(ca_bundle=str(tls.ca_path)))

    subjects = [dict(x[0] for x in ca["subject"]) for ca in context.get_ca_certs()]
    assert {"commonName": "OpenAEC test CA"} in subjects
    assert len(subjects) > 50  # certifi's public roots are still there


def test_get_is_retried_on_503_when_retries_are_asked(echo):
    echo.inject(status=503)

    response = safe_session(PRIVATE_OK, retries=2).get(echo.url)

    assert response.status_code == 200
    assert len(echo.requests) == 2


def test_post_is_not_retried_on_503(echo):
    echo.inject(status=503)

    response = safe_session(PRIVATE_OK, retries=2).post(echo.url, json={})

    assert response.status_code == 503
    assert len(echo.requests) == 1


def test_no_retry_unless_asked(echo):
    echo.inject(status=503)

    assert safe_session(PRIVATE_OK).get(echo.url).status_code == 503
    assert len(echo.requests) == 1


def test_proxy_environment_is_ignored(echo, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", "http://10.255.255.1:3128")
    monkeypatch.setenv("http_proxy", "http://10.255.255.1:3128")

    assert safe_session(PRIVATE_OK).get(echo.url).status_code == 200


def test_cookies_are_not_kept_between_requests(echo):
    echo.inject(body={}, headers={"Set-Cookie": "sid=abc; Path=/"})
    session = safe_session(PRIVATE_OK)

    session.get(echo.url)
    session.get(echo.url)

    assert "Cookie" not in echo.requests[1].headers


def test_connection_refused_is_a_connect_failure():
    with pytest.raises(requests.ConnectionError) as caught:
        safe_session(PRIVATE_OK).get(f"http://127.0.0.1:{closed_port()}/")

    assert failure_kind(caught.value) == "connect"


def test_unresolvable_host_is_a_connect_failure():
    with pytest.raises(requests.ConnectionError) as caught:
        safe_session(STRICT).get("http://erp.nonexistent.invalid/")

    assert failure_kind(caught.value) == "connect"


@pytest.mark.parametrize(
    ("kind", "sentence"),
    [
        ("connect", "Cannot connect to https://erp.example.com"),
        ("timeout", "Timed out after 10 s connecting to https://erp.example.com"),
        ("tls", "TLS certificate verification failed for https://erp.example.com"),
        (
            "refused_address",
            "Refused: erp.example.com resolves to a private or link-local address",
        ),
    ],
)
def test_describe_failure_sentences(kind, sentence):
    assert describe_failure(kind, "https://erp.example.com", OutboundPolicy()) == sentence


def test_policy_rejects_nonsense_values():
    with pytest.raises(ValueError):
        OutboundPolicy(timeout=0)
    with pytest.raises(ValueError):
        OutboundPolicy(max_body_bytes=0)


def test_outbound_modules_import_without_django():
    code = (
        "import sys, integrations.netguard, integrations.erpnext.connection, "
        "integrations.nextcloud.connection; "
        "sys.exit(any(m == 'django' or m.startswith('django.') for m in sys.modules))"
    )
    root = Path(netguard.__file__).resolve().parents[1]

    assert subprocess.run([sys.executable, "-c", code], cwd=root, check=False).returncode == 0
