#!/usr/bin/env bash
# A Ruche cluster on this machine, for development and trying things:
# PostgreSQL (scripts/pg-scratch.sh), a Redis bus and three Ruche nodes on
# loopback, each on its own port, all from Debian's packages and this
# build.  docs/operations.md says how a cluster works.
#
#   scripts/cluster.sh start [DIR]   starts them (DIR: build/cluster)
#   scripts/cluster.sh stop [DIR]    stops them
#   scripts/cluster.sh status [DIR]  says what runs
#
# Environment: RUCHE_BIN (default build/release/ruche), PORT (the first
# node's, default 8081; the others follow), REDIS_PORT (default 6391),
# NODES (default 3).  Logs are DIR/node-N.log and DIR/redis.log.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:-}
dir=${2:-$root/build/cluster}
bin=${RUCHE_BIN:-$root/build/release/ruche}
port=${PORT:-8081}
redis_port=${REDIS_PORT:-6391}
nodes=${NODES:-3}

usage() {
  sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

running() {
  [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

start() {
  [ -x "$bin" ] || { echo "cluster: no $bin (make release first)" >&2; exit 1; }
  command -v redis-server >/dev/null ||
    { echo "cluster: redis-server is not installed (apt-get install redis-server)" >&2; exit 1; }
  mkdir -p "$dir"
  url=$("$root/scripts/pg-scratch.sh" start "$dir/pg")
  if ! running "$dir/redis.pid"; then
    redis-server --port "$redis_port" --bind 127.0.0.1 --save '' \
      --appendonly no --daemonize yes --pidfile "$dir/redis.pid" \
      --logfile "$dir/redis.log"
    for _ in $(seq 50); do [ -s "$dir/redis.pid" ] && break; sleep 0.1; done
  fi
  for n in $(seq "$nodes"); do
    pidfile=$dir/node-$n.pid
    running "$pidfile" && continue
    RUCHE_STORE=$url RUCHE_BUS=redis://127.0.0.1:$redis_port \
      nohup "$bin" serve --listen "127.0.0.1:$((port + n - 1))" \
      >"$dir/node-$n.log" 2>&1 &
    echo $! >"$pidfile"
    # The first node migrates the database; the others find it done.
    for _ in $(seq 100); do
      grep -q "listening on" "$dir/node-$n.log" && break
      running "$pidfile" || { cat "$dir/node-$n.log" >&2; exit 1; }
      sleep 0.1
    done
  done
  status
  grep -A3 "No admin yet" "$dir/node-1.log" || true
}

stop() {
  for n in $(seq "$nodes"); do
    pidfile=$dir/node-$n.pid
    running "$pidfile" && kill "$(cat "$pidfile")"
    rm -f "$pidfile"
  done
  running "$dir/redis.pid" && kill "$(cat "$dir/redis.pid")"
  rm -f "$dir/redis.pid"
  "$root/scripts/pg-scratch.sh" stop "$dir/pg"
}

status() {
  echo "store: $("$root/scripts/pg-scratch.sh" url "$dir/pg")"
  running "$dir/redis.pid" && echo "bus:   redis://127.0.0.1:$redis_port" ||
    echo "bus:   not running"
  for n in $(seq "$nodes"); do
    if running "$dir/node-$n.pid"; then
      echo "node $n: http://127.0.0.1:$((port + n - 1))/ (pid $(cat "$dir/node-$n.pid"))"
    else
      echo "node $n: not running"
    fi
  done
}

case $cmd in
start) start ;;
stop) stop ;;
status) status ;;
*) usage ;;
esac
