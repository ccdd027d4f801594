#!/usr/bin/env python
"""Requests per second of GET /api/auth/settings against a bare DRF view with the same JWT auth.

Both run on one gunicorn server (2 workers) on PostgreSQL; the load comes from client processes
with keep-alive connections. Prints both rates and their ratio (issue target: >= 0.8).

    python benchmarks/settings_api.py [--seconds 10] [--clients 4] [--database-url URL]
"""

import argparse
import http.client
import json
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/openaec_bench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def ensure_database(url: str) -> None:
    if not url.startswith("postgres"):
        return
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def hammer(port: int, path: str, token: str, seconds: float, out) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    count = errors = 0
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status == 200:
            count += 1
        else:
            errors += 1
    out.put((count, errors))


def measure(port: int, path: str, token: str, seconds: float, clients: int) -> float:
    queue = multiprocessing.Queue()
    procs = [
        multiprocessing.Process(target=hammer, args=(port, path, token, seconds, queue))
        for _ in range(clients)
    ]
    for p in procs:
        p.start()
    results = [queue.get() for _ in procs]
    for p in procs:
        p.join()
    total = sum(c for c, _ in results)
    errors = sum(e for _, e in results)
    if errors:
        raise SystemExit(f"{path}: {errors} non-200 answers")
    return total / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    args = parser.parse_args()

    ensure_database(args.database_url)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchmarks.bench_settings",
        "DATABASE_URL": args.database_url,
        "DEBUG": "false",
        "PYTHONPATH": str(ROOT),
    }
    python = sys.executable

    def run(*command: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [python, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True
        )

    run("migrate", "--noinput")
    run("createcachetable")
    script = (
        "from openaec.accounts.models import User\n"
        "from rest_framework_simplejwt.tokens import RefreshToken\n"
        "u, _ = User.objects.get_or_create(username='bench', defaults={'email': 'b@example.com', 'role': 'editor'})\n"
        "u.erpnext_url='https://erp.example.com'; u.erpnext_api_key='k'\n"
        "from integrations.crypto import encrypt_secret; u.erpnext_api_secret=encrypt_secret('s')\n"
        "u.save()\n"
        "print(RefreshToken.for_user(u).access_token)\n"
    )
    token = run("shell", "-c", script).stdout.decode().strip().splitlines()[-1]

    port = free_port()
    server = subprocess.Popen(
        [
            python,
            "-m",
            "gunicorn",
            "openaec.wsgi",
            "-w",
            "2",
            "-b",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        for _ in range(100):
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
                conn.request(
                    "GET", "/api/auth/settings", headers={"Authorization": f"Bearer {token}"}
                )
                body = conn.getresponse().read()
                assert json.loads(body)["erpnext_api_secret_set"] is True
                break
            except (OSError, ValueError):
                time.sleep(0.2)
        measure(port, "/api/auth/settings", token, 1.0, args.clients)  # warm-up
        rows = []
        for _ in range(args.rounds):
            bare = measure(port, "/api/_bench/bare", token, args.seconds, args.clients)
            settings_rps = measure(port, "/api/auth/settings", token, args.seconds, args.clients)
            rows.append((bare, settings_rps))
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=10)

    print(
        f"gunicorn 2 workers, {args.clients} keep-alive clients, {args.seconds:.0f} s per run, "
        f"database {args.database_url.split('@')[-1]}"
    )
    print(f"{'round':>5} {'bare DRF req/s':>15} {'GET settings req/s':>19} {'ratio':>7}")
    for i, (bare, s) in enumerate(rows, 1):
        print(f"{i:>5} {bare:>15.0f} {s:>19.0f} {s / bare:>7.2f}")
    bare = sorted(r[0] for r in rows)[len(rows) // 2]
    s = sorted(r[1] for r in rows)[len(rows) // 2]
    print(f"median {bare:>14.0f} {s:>19.0f} {s / bare:>7.2f}   (target >= 0.80)")


if __name__ == "__main__":
    main()
