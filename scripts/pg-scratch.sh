#!/usr/bin/env bash
# A PostgreSQL server of Ruche's own, for tests and development: made in a
# folder, listening only on a Unix socket inside it (no TCP port, so that
# several can run side by side), with one database named ruche.
#
#   scripts/pg-scratch.sh start DIR   makes DIR (once) and starts it; prints
#                                     the address to give --store
#   scripts/pg-scratch.sh fresh DIR   the same, with the database ruche
#                                     emptied first (made anew)
#   scripts/pg-scratch.sh stop DIR    stops it (DIR stays)
#   scripts/pg-scratch.sh url DIR     prints the address
#
# Needs Debian's postgresql package (scripts/setup.sh test installs it).
# As root, the server runs as the postgres user, as PostgreSQL requires.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || {
  sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$bin/pg_ctl" ] || { echo "pg-scratch: PostgreSQL is not installed" >&2; exit 1; }

as_owner=()
data=$dir/data
sock=$dir/sock
log=$dir/server.log
if [ "$(id -u)" -eq 0 ]; then
  # The postgres user may not reach DIR (a home folder, say): its files
  # go to a folder of its own in /tmp, and DIR/sock leads there.
  as_owner=(runuser -u postgres --)
  own=/tmp/ruche-pg-$(printf %s "$dir" | md5sum | cut -c1-12)
  mkdir -p "$own"
  chown postgres: "$own"
  chmod 700 "$own"
  data=$own/data
  log=$own/server.log
  [ -L "$dir/sock" ] || rm -rf "$dir/sock"
  ln -sfn "$own/sock" "$dir/sock"
  sock=$own/sock
fi
url="postgresql://ruche@/ruche?host=$dir/sock"

case $cmd in
url)
  echo "$url"
  ;;
start|fresh)
  "${as_owner[@]}" mkdir -p "$sock"
  if [ ! -f "$data/PG_VERSION" ]; then
    "${as_owner[@]}" "$bin/initdb" -D "$data" -U ruche --auth=trust \
      --encoding=UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
      cat "$dir/initdb.log" >&2
      exit 1
    }
  fi
  if ! "${as_owner[@]}" "$bin/pg_ctl" -D "$data" status >/dev/null 2>&1; then
    # Durable as in production (fsync on): the tests kill nodes and
    # count on what was acknowledged.
    "${as_owner[@]}" "$bin/pg_ctl" -D "$data" -l "$log" -w \
      -o "-c listen_addresses='' -c unix_socket_directories='$sock' \
          -c max_connections=200 -c shared_buffers=64MB" start >/dev/null
  fi
  if [ "$cmd" = fresh ]; then
    PGOPTIONS="-c client_min_messages=warning" \
      "$bin/dropdb" -h "$sock" -U ruche --if-exists --force ruche
  fi
  if ! "$bin/psql" "postgresql://ruche@/postgres?host=$sock" -tAc \
      "SELECT 1 FROM pg_database WHERE datname = 'ruche'" | grep -q 1; then
    "$bin/createdb" -h "$sock" -U ruche ruche
    # Search (schema/postgres/0002) uses unaccent: in public, for every
    # schema of the database (the tests make one each).
    "$bin/psql" "$url" -qc "CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public"
  fi
  echo "$url"
  ;;
stop)
  if [ -f "$data/PG_VERSION" ]; then
    "${as_owner[@]}" "$bin/pg_ctl" -D "$data" -m fast -w stop >/dev/null 2>&1 || true
  fi
  ;;
*)
  echo "pg-scratch: unknown command $cmd" >&2
  exit 2
  ;;
esac
