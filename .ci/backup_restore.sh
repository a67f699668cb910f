#!/usr/bin/env bash
# Backup and restore of the whole installation, as the README documents it, checked end to end:
#
#   1. a fresh PostgreSQL database (i8_backup_src): migrate, seed_demo, a small generated
#      organisation, and some use of the app on top (flags acknowledged, comments,
#      notifications, reports, a site-wide audit event);
#   2. its inventory: every table's row count and a checksum of every row, every sequence,
#      and spot checks (flags, assessments, decisions, reports, history, memberships);
#   3. pg_dump -Fc, then pg_restore into a new, empty database (i8_backup_dst);
#   4. the restored database's inventory, compared with the first: any difference fails;
#   5. the app against the restored copy: no migration missing, a demo login's password checks, and a
#      new report is computed and stored (the sequences carry on after the restored ids).
#
# Prints the figures. Exits non-zero on any difference or failure. Both databases are dropped
# at the end when all is well (kept for a look when not). Needs pg_dump, pg_restore, createdb
# and dropdb, and PostgreSQL at $BACKUP_PG_HOST (127.0.0.1), user postgres.
set -euo pipefail

cd "$(dirname "$0")/.."
PY=.venv/bin/python
HOST=${BACKUP_PG_HOST:-127.0.0.1}
PORT=${BACKUP_PG_PORT:-5432}
USER_NAME=${BACKUP_PG_USER:-postgres}
SRC=${BACKUP_SRC_DB:-i8_backup_src}
DST=${BACKUP_DST_DB:-i8_backup_dst}
GENERATED_SCALE=${BACKUP_GENERATED_SCALE:-0.02}
PG=(-h "$HOST" -p "$PORT" -U "$USER_NAME")
URL="postgres://$USER_NAME@$HOST:$PORT"
WORK=$(mktemp -d)
on_exit() {
    local status=$?
    rm -rf "$WORK"
    if [[ $status -ne 0 ]]; then
        echo "Kept the databases $SRC and $DST for a look; drop them with: dropdb $SRC; dropdb $DST" >&2
    fi
}
trap on_exit EXIT
START=$(date +%s)

step() { printf '\n==> %s (%ss)\n' "$1" "$(($(date +%s) - START))"; }

# Django against one of the two databases; tasks run in-process (no broker), as `make run`.
manage() {
    local db=$1
    shift
    env -u CELERY_BROKER_URL DATABASE_URL="$URL/$db" BALANCE_EAGER_WAIT_IN_THREAD=0 \
        RUN_PERIODIC_JOBS_IN_WEB=0 "$PY" manage.py "$@"
}

step "fresh source database $SRC"
dropdb "${PG[@]}" --if-exists "$SRC"
dropdb "${PG[@]}" --if-exists "$DST"
createdb "${PG[@]}" "$SRC"
manage "$SRC" migrate --noinput -v 0
manage "$SRC" seed_demo >"$WORK/seed.log"
head -n 1 "$WORK/seed.log"
manage "$SRC" generate_organisation generated-small --scale "$GENERATED_SCALE"

step "use of the app on top of the demo"
manage "$SRC" shell --no-imports -c '
from django.contrib.auth import get_user_model
from assessments.models import FlagAction
from assessments.services import flag_comment, flag_raise, flag_transition, report_compute_now
from catalogue.models import AuditEvent, AuditKind, Enabler, Organisation, Team

for org in Organisation.objects.order_by("slug"):
    report_compute_now(organisation=org, reason="before the backup")
org = Organisation.objects.get(slug="northfield")
admin = get_user_model().objects.get(username="northfield-admin")
flag = flag_raise(
    organisation=org,
    team=Team.objects.for_org(org).get(key="food-online"),
    enabler=Enabler.objects.for_org(org).order_by("key").first(),
    offering=None,
    journey=None,
    severity="high",
    summary="Raised before the backup — ça bloque",
    details="Checks that text outside ASCII survives.",
    actor=admin,
)
flag_comment(flag=flag, body="A comment before the backup.", actor=admin)
flag_transition(flag=flag, action=FlagAction.ACKNOWLEDGED, note="Seen.", actor=admin)
AuditEvent.objects.create(kind=AuditKind.LOGIN_FAILED, username="nobody", address="192.0.2.1")
print("flag", flag.key, "raised, commented and acknowledged; reports computed")
'

step "inventory of $SRC"
"$PY" -m tests.backup.inventory take "$URL/$SRC" >"$WORK/source.json"

step "pg_dump -Fc $SRC"
pg_dump "${PG[@]}" -Fc -f "$WORK/backup.dump" "$SRC"
ls -l "$WORK/backup.dump" | awk '{ printf "backup.dump: %d bytes\n", $5 }'

step "pg_restore into a new, empty database $DST"
createdb "${PG[@]}" "$DST"
pg_restore "${PG[@]}" --no-owner --exit-on-error -d "$DST" "$WORK/backup.dump"

step "inventory of $DST, compared"
"$PY" -m tests.backup.inventory take "$URL/$DST" >"$WORK/restored.json"
"$PY" -m tests.backup.inventory compare "$WORK/source.json" "$WORK/restored.json"

step "the app on the restored copy"
manage "$DST" migrate --check --noinput
manage "$DST" shell --no-imports -c '
from django.contrib.auth import get_user_model
from assessments.models import BalanceReport
from assessments.services import report_compute_now
from catalogue.models import Organisation

member = get_user_model().objects.get(username="northfield-member")
assert member.is_active and member.check_password("demo-pass-2026"), "demo login refused"
highest = BalanceReport.objects.unscoped().order_by("-pk").values_list("pk", flat=True).first()
org = Organisation.objects.get(slug="northfield")
report, _ = report_compute_now(organisation=org, reason="after the restore")
assert report.pk > highest, (report.pk, highest)
print(f"demo password checks; new report {report.pk} stored after the restored {highest}")
'

step "clean up"
dropdb "${PG[@]}" "$SRC"
dropdb "${PG[@]}" "$DST"
echo "Backup and restore: all well in $(($(date +%s) - START))s."
