#!/usr/bin/env bash
# `make fuzz`: schemathesis over /api/schema against a production-configured server
# (DEBUG off, gunicorn) on a throwaway SQLite database, signed in as its first (admin) user.
# No ERPNext or Nextcloud is configured, so no call leaves the machine (a 502 would count as a
# server error); the features that need one answer 400 "credentials not configured".
set -euo pipefail
BIN=${BIN:-.venv/bin}
PORT=${FUZZ_PORT:-8765}
EXAMPLES=${FUZZ_EXAMPLES:-20}
WORK=$(mktemp -d)
export DEBUG=false SECURE_SSL_REDIRECT=false ALLOWED_HOSTS=127.0.0.1
export SECRET_KEY="fuzz-only-key-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
export DATABASE_URL="sqlite:///$WORK/fuzz.sqlite3" MEDIA_ROOT="$WORK/media"

"$BIN/python" manage.py migrate --noinput -v0
TOKEN=$("$BIN/python" manage.py shell -c '
from openaec.accounts.services import jwt_pair_for, user_register
user = user_register(username="fuzz", email="fuzz@example.com", password="fuzz-Pass-1234-x")
print(jwt_pair_for(user)["access"])' | tail -n 1)

"$BIN/gunicorn" openaec.wsgi --bind "127.0.0.1:$PORT" --workers 2 --log-level warning &
SERVER=$!
trap 'kill $SERVER; rm -rf "$WORK"' EXIT INT TERM

"$BIN/st" run "http://127.0.0.1:$PORT/api/schema" \
    --wait-for-schema 30 \
    --max-examples "$EXAMPLES" \
    --seed "${FUZZ_SEED:-1}" \
    --header "Authorization: Bearer $TOKEN" \
    "$@"
