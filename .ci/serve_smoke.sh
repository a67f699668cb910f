#!/usr/bin/env bash
# Production mode, end to end over HTTP: .ci/serve_smoke.sh
#
#   1. A fresh PostgreSQL database (i8_serve, dropped and created) and a Celery queue of its
#      own on the local Redis, so nothing else's tasks or data mix in.
#   2. `make serve` (without its `make install`) in the background on a free port, in its own
#      process group: migrate, collectstatic, then gunicorn + a Celery worker + Celery beat
#      under honcho, with DJANGO_DEBUG=0 and a fresh secret key. HTTPS redirect off (plain
#      HTTP on 127.0.0.1); everything else as in production (secure cookies, HSTS, CSP).
#   3. manage.py seed_demo, then waits until the worker has computed the demo's report.
#   4. With curl: the security headers, a static file from whitenoise, signing in through the
#      login form (CSRF cookie + token), raising a blocking flag through the flag form.
#   5. Polls the balance page until the report shows the flag (recomputed by the real worker).
#   6. Stops everything (the whole process group) and checks the port is free again.
# Prints what it saw and the timings; exits 0 when all of it worked, 1 otherwise.
# The server's own output: test-artifacts/serve-smoke.log.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY="$ROOT/.venv/bin/python"
DB_NAME=${SERVE_SMOKE_DB:-i8_serve}
PG_ROOT=${SERVE_SMOKE_PG:-postgres://postgres@127.0.0.1:5432}
BROKER=${SERVE_SMOKE_BROKER_URL:-redis://127.0.0.1:6379/13}
ORG=northfield
USERNAME=northfield-member
PASSWORD=demo-pass-2026
TEAM=food-online
ENABLER=payments-gateway
LOG="$ROOT/test-artifacts/serve-smoke.log"
WORK=$(mktemp -d)
JAR="$WORK/cookies"
START=$(date +%s.%N)
SERVER_PGID=""

mkdir -p "$ROOT/test-artifacts"
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
say() { printf '[%6ss] %s\n' "$(elapsed "$START")" "$*"; }
fail() {
    say "FAILED: $*"
    echo "--- last lines of $LOG ---"
    tail -n 40 "$LOG" 2>/dev/null || true
    exit 1
}

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"

export DATABASE_URL="$PG_ROOT/$DB_NAME"
export CELERY_BROKER_URL="$BROKER"
# A queue of our own: a worker of another run (or of the test suite) never takes our tasks.
export CELERY_TASK_DEFAULT_QUEUE="serve-smoke-$$"
export DJANGO_DEBUG=0
DJANGO_SECRET_KEY=$(python3 -c 'import secrets; print(secrets.token_urlsafe(50))')
export DJANGO_SECRET_KEY
export DJANGO_SECURE_SSL_REDIRECT=0
export DJANGO_ALLOWED_HOSTS=127.0.0.1,localhost
export BALANCE_RECOMPUTE_INTERVAL=1
# Beat's schedule file of our own: another `make serve` may be using var/ at the same time.
export CELERY_BEAT_SCHEDULE_FILE="$WORK/celerybeat-schedule"

stop_server() {
    [[ -n $SERVER_PGID ]] || return 0
    local pgid=$SERVER_PGID
    SERVER_PGID=""
    kill -TERM -- "-$pgid" 2>/dev/null || return 0
    for _ in $(seq 1 100); do
        kill -0 -- "-$pgid" 2>/dev/null || return 0
        sleep 0.1
    done
    say "processes still running after 10 s: SIGKILL"
    kill -KILL -- "-$pgid" 2>/dev/null || true
}
cleanup() {
    stop_server
    rm -rf "$WORK"
    # The database goes too, unless SERVE_SMOKE_KEEP_DB=1 (for a look after a failure).
    if [[ ${SERVE_SMOKE_KEEP_DB:-0} != 1 ]]; then
        dropdb -h 127.0.0.1 -U postgres --if-exists "$DB_NAME" 2>/dev/null || true
    fi
}
trap cleanup EXIT

# manage.py with the same environment as the server.
manage() { "$PY" manage.py "$@"; }

# get PATH [CURL ARGS...]: the page's body on stdout, with the session's cookies.
get() {
    local path=$1
    shift
    curl -sS --fail-with-body -b "$JAR" -c "$JAR" "$@" "$BASE$path"
}

# csrf_of HTML: the form's CSRF token.
csrf_of() { grep -o 'name="csrfmiddlewaretoken" value="[^"]*"' | head -n 1 | sed 's/.*value="\([^"]*\)"/\1/'; }

# pressure: the payments gateway's pressure on the balance page, "" when not there.
pressure() {
    get "/o/$ORG/balance/" | tr -d '\n' |
        grep -o "data-testid=\"pressure-$ENABLER\">[0-9]*<" | grep -o '[0-9]\+' || true
}

# up_to_date: the balance page says its report includes every change.
up_to_date() { get "/o/$ORG/balance/" | grep -c 'Up to date: this report includes every change' >/dev/null; }

# --- 1. a fresh database ------------------------------------------------------------------
say "database $DB_NAME (fresh), broker $BROKER, queue $CELERY_TASK_DEFAULT_QUEUE, port $PORT"
dropdb -h 127.0.0.1 -U postgres --if-exists "$DB_NAME"
createdb -h 127.0.0.1 -U postgres "$DB_NAME"

# --- 2. make serve --------------------------------------------------------------------------
# setsid: the server gets a process group of its own, so one kill stops honcho, gunicorn,
# the worker and beat together.
setsid make --no-print-directory serve SERVE_INSTALL= HOST=127.0.0.1 PORT="$PORT" >"$LOG" 2>&1 &
# setsid (not a group leader here, so it does not fork) makes its own pid the group id. Read
# the group only once it is set: read too early, it is this script's own group, which the
# clean-up would then stop (and with it .ci/run).
SERVER_PID=$!
for _ in $(seq 1 100); do
    [[ $(ps -o pgid= -p "$SERVER_PID" | tr -d ' ') == "$SERVER_PID" ]] && break
    sleep 0.05
done
[[ $(ps -o pgid= -p "$SERVER_PID" | tr -d ' ') == "$SERVER_PID" ]] ||
    { echo "make serve did not get a process group of its own" >&2; exit 1; }
SERVER_PGID=$SERVER_PID
say "make serve started (process group $SERVER_PGID); waiting for migrate, collectstatic, gunicorn"
for _ in $(seq 1 600); do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/accounts/login/" || true)
    [[ $code == 200 ]] && break
    kill -0 -- "-$SERVER_PGID" 2>/dev/null || fail "make serve stopped before serving"
    sleep 0.25
done
[[ $code == 200 ]] || fail "no answer on $BASE/accounts/login/ (last status $code)"
UP=$(elapsed "$START")
say "serving: GET /accounts/login/ -> 200"
grep -q "Booting worker" "$LOG" || fail "no gunicorn worker in the log"

# --- 3. the demo data, and its first report --------------------------------------------------
T=$(date +%s.%N)
manage seed_demo >"$WORK/seed.txt" 2>&1 || { cat "$WORK/seed.txt"; fail "seed_demo"; }
say "seed_demo: $(grep -o 'Demo data loaded.*' "$WORK/seed.txt" || echo done) ($(elapsed "$T") s)"

# --- 4. headers, static files, signing in --------------------------------------------------
curl -sS -D "$WORK/headers" -o "$WORK/login.html" -c "$JAR" "$BASE/accounts/login/"
for header in "Content-Security-Policy: .*script-src 'self'" "X-Content-Type-Options: nosniff" \
    "Referrer-Policy: same-origin" "X-Frame-Options: DENY"; do
    grep -qi "^$header" "$WORK/headers" || fail "login page without the header '$header'"
done
grep -qi '^Set-Cookie: csrftoken=.*Secure' "$WORK/headers" || fail "CSRF cookie not Secure"
grep -qi '^Strict-Transport-Security' "$WORK/headers" && fail "HSTS sent over plain HTTP"
curl -sS -D "$WORK/headers-https" -o /dev/null -H 'X-Forwarded-Proto: https' "$BASE/accounts/login/"
grep -qi '^Strict-Transport-Security: max-age=31536000; includeSubDomains; preload' \
    "$WORK/headers-https" || fail "no HSTS behind a TLS proxy (X-Forwarded-Proto: https)"
say "headers: CSP, nosniff, referrer policy, frame DENY, Secure CSRF cookie; HSTS behind the proxy"

css=$(grep -o 'href="/static/css/app\.[0-9a-f]*\.css"' "$WORK/login.html" | head -n 1 | cut -d'"' -f2)
[[ -n $css ]] || fail "the page does not link a hashed app.css (manifest storage)"
curl -sS -D "$WORK/headers-css" -o /dev/null -H 'Accept-Encoding: gzip, br' "$BASE$css"
grep -qi '^Cache-Control: max-age=315360000, public, immutable' "$WORK/headers-css" ||
    fail "static file $css not served as immutable by whitenoise"
say "static: $css from whitenoise, $(grep -i '^Content-Encoding' "$WORK/headers-css" | tr -d '\r' || echo 'uncompressed')"

token=$(csrf_of <"$WORK/login.html")
[[ -n $token ]] || fail "no CSRF token in the login form"
T=$(date +%s.%N)
code=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' -b "$JAR" -c "$JAR" \
    --data-urlencode "csrfmiddlewaretoken=$token" --data-urlencode "username=$USERNAME" \
    --data-urlencode "password=$PASSWORD" -H "Referer: $BASE/accounts/login/" \
    "$BASE/accounts/login/")
[[ $code == 302* ]] || fail "signing in as $USERNAME: $code"
grep -q sessionid "$JAR" || fail "no session cookie after signing in"
get "/o/$ORG/" | grep -q "$USERNAME" || fail "home page does not show $USERNAME signed in"
say "signed in as $USERNAME over HTTP ($code, $(elapsed "$T") s)"

# The demo's report, computed by the worker after seeding.
T=$(date +%s.%N)
for _ in $(seq 1 240); do
    up_to_date && break
    sleep 0.25
done
up_to_date || fail "the demo's report was not computed within 60 s"
before=$(pressure)
[[ -n $before ]] || fail "no pressure figure for $ENABLER on the balance page"
say "report up to date ($(elapsed "$T") s after seeding); pressure on $ENABLER: $before"

# --- 5. a flag through the form, and the report catches up ----------------------------------
token=$(get "/o/$ORG/flags/new/" | csrf_of)
[[ -n $token ]] || fail "no CSRF token in the flag form"
SUMMARY="Smoke test: card payments time out ($$)"
RAISED=$(date +%s.%N)
code=$(curl -sS -o /dev/null -w '%{http_code} %{redirect_url}' -b "$JAR" -c "$JAR" \
    --data-urlencode "csrfmiddlewaretoken=$token" --data-urlencode "team=$TEAM" \
    --data-urlencode "enabler=$ENABLER" --data-urlencode "severity=blocking" \
    --data-urlencode "summary=$SUMMARY" -H "Referer: $BASE/o/$ORG/flags/new/" \
    "$BASE/o/$ORG/flags/new/")
[[ $code == 302* ]] || fail "raising the flag: $code"
say "flag raised (blocking, weight 5): $code"

expected=$((before + 5))
now=$before
for _ in $(seq 1 240); do
    now=$(pressure)
    [[ $now == "$expected" ]] && up_to_date && break
    sleep 0.25
done
[[ $now == "$expected" ]] || fail "the report shows pressure $now on $ENABLER, not $expected, 60 s after the flag"
CAUGHT_UP=$(elapsed "$RAISED")
say "balance report shows the flag: pressure $before -> $now, $CAUGHT_UP s after raising it"
grep -q "Task assessments.tasks.*succeeded" "$LOG" || fail "no task run by the Celery worker in the log"
grep -q "beat: Starting" "$LOG" || fail "Celery beat did not start"

# --- 6. stop ---------------------------------------------------------------------------------
T=$(date +%s.%N)
stop_server
if curl -s -o /dev/null "$BASE/accounts/login/"; then
    fail "still answering on port $PORT after the stop"
fi
say "stopped in $(elapsed "$T") s; port $PORT free"
dropdb -h 127.0.0.1 -U postgres --if-exists "$DB_NAME"
printf '\nserve smoke: OK. up in %ss, flag in the report %ss after raising it, total %ss\n' \
    "$UP" "$CAUGHT_UP" "$(elapsed "$START")"
