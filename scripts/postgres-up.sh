#!/usr/bin/env bash
# Makes sure the local PostgreSQL answers on 127.0.0.1:5432, starting the Debian cluster if it is
# down. Used by .ci/run and npm run bench. Exits 0 either way; callers check readiness themselves.
set -uo pipefail
host=127.0.0.1
port=5432
command -v pg_isready >/dev/null 2>&1 || exit 0
pg_isready -q -h "$host" -p "$port" && exit 0
echo "PostgreSQL is not answering on $host:$port: starting it"
if command -v pg_ctlcluster >/dev/null 2>&1 && [ -d /etc/postgresql ]; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -n 1)" main start || true
fi
for _ in $(seq 1 30); do
  pg_isready -q -h "$host" -p "$port" && exit 0
  sleep 1
done
echo "PostgreSQL did not come up on $host:$port"
exit 0
