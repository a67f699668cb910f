#!/usr/bin/env bash
# Fault tests against the real services (issue 8): .ci/faults.sh, from anywhere.
#
# Kills a Celery worker with SIGKILL mid-recompute, restarts Redis, and terminates PostgreSQL
# connections under load, then checks that no acknowledged flag, assessment or decision was
# lost and that the balance report caught up (the scenarios are in .ci/faults.py).
#
# Uses its own database (i8_faults, made fresh and dropped) and Redis database 5 of a private
# Redis on port 6390, started and stopped here, so a run during development disturbs no one.
# CI sets FAULTS_REDIS_PORT=6379: the machine's own Redis is restarted (and so emptied).
# Whatever happens, Redis runs again at the end and
# no worker or beat process of this run is left behind.
#
# Exits non-zero on any loss. Figures: printed, and in test-artifacts/faults.txt; the logs of
# the worker, beat and writer processes: test-artifacts/faults/.
set -euo pipefail

cd "$(dirname "$0")/.."
REDIS_PORT="${FAULTS_REDIS_PORT:-6390}"
PIDFILE=$(mktemp /tmp/i8-faults-pids.XXXXXX)
export FAULTS_REDIS_PORT="$REDIS_PORT" FAULTS_PIDFILE="$PIDFILE"

# The machine's own start command (python-svc); the same command starts a stopped one.
start_redis() {
    redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return 0
    echo "Starting Redis on port $REDIS_PORT"
    if [[ $REDIS_PORT == 6379 ]]; then
        redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" \
            --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
    else
        redis-server --daemonize yes --bind 127.0.0.1 -::1 --port "$REDIS_PORT" --save "" \
            --appendonly no --dir /tmp --logfile "/tmp/i8-faults-redis-$REDIS_PORT.log"
    fi
    for _ in $(seq 1 30); do
        redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && return 0
        sleep 0.5
    done
    echo "Redis on port $REDIS_PORT did not start" >&2
    return 1
}

start_postgres() {
    pg_isready -h 127.0.0.1 -q && return 0
    echo "Starting PostgreSQL"
    # shellcheck disable=SC2046
    pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start
    for _ in $(seq 1 30); do
        pg_isready -h 127.0.0.1 -q && return 0
        sleep 1
    done
    return 1
}

# Runs on every exit: stop what the Python left behind (only this run's process groups, each
# checked to be a celery process still), Redis up again, the database gone.
cleanup() {
    local status=$?
    while read -r pid; do
        [[ -n $pid ]] || continue
        if [[ -r /proc/$pid/cmdline ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q celery; then
            echo "Stopping leftover process group $pid"
            kill -KILL -- "-$pid" 2>/dev/null || true
        fi
    done <"$PIDFILE"
    rm -f "$PIDFILE"
    if [[ $REDIS_PORT == 6379 ]]; then
        start_redis || status=1 # the machine's Redis: running again, whatever happened
    else
        redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true # our private one
    fi
    if [[ ${FAULTS_KEEP_DATABASE:-} != 1 ]]; then
        dropdb -h 127.0.0.1 -U postgres --if-exists --force "${FAULTS_DATABASE:-i8_faults}" 2>/dev/null || true
    fi
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_postgres
start_redis
started=$(date +%s)
.venv/bin/python .ci/faults.py
echo "fault tests took $(($(date +%s) - started))s"
