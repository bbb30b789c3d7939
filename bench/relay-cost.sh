#!/usr/bin/env bash
# What a proxy's own work per transaction costs on this machine: pgbench -S (8 clients) through
# pgbouncer and through the plain Node relay (bench/tcp-relay.mjs) that busy-waits SPIN µs on each
# response, for several SPIN, in one run. Prints tps and the ratio to pgbouncer. sqlveil's targets
# (0.85-0.9 of pgbouncer) are read against this curve: the whole statement path (parse, decide,
# audit, masking check) must fit in the spin that still reaches them.
#
#   bench/relay-cost.sh              # SPINS="0 1 2 5 10", 5 s per run, 3 rounds
#
# Needs: a local PostgreSQL (db test, user postgres, trust), pgbench, pgbouncer.
set -uo pipefail
cd "$(dirname "$0")/.."
. bench/pgbouncer.sh
PGHOST=${PGHOST:-127.0.0.1}; PGPORT=${PGPORT:-5432}; DB=${DB:-test}; USER_=${PGUSER_DIRECT:-postgres}
SECS=${SECONDS_PER_RUN:-5}; ROUNDS=${ROUNDS:-3}; SPINS=${SPINS:-0 1 2 5 10}
BOUNCER_PORT=${BOUNCER_PORT:-16421}; RELAY_PORT=${RELAY_PORT:-16422}
command -v pgbouncer >/dev/null || { echo "pgbouncer is not installed (apt-get install pgbouncer)"; exit 1; }

TMP=$(mktemp -d); chmod 777 "$TMP"
cleanup() {
  [ -n "${RELAY_PID:-}" ] && kill "$RELAY_PID" 2>/dev/null
  stop_pgbouncer "$TMP"
  sleep 0.3; rm -rf "$TMP"
}
trap cleanup EXIT
start_pgbouncer "$TMP" "$BOUNCER_PORT" "$DB" "$PGHOST" "$PGPORT" "$USER_" || { echo "pgbouncer did not start"; exit 1; }
pgbench -q -i -s 10 -h "$PGHOST" -p "$PGPORT" -U "$USER_" "$DB" >/dev/null 2>&1

tps() { pgbench -n -S -c 8 -j 2 -T "$SECS" -h 127.0.0.1 -p "$1" -U "$USER_" "$DB" 2>&1 | awk '/^tps/ {print int($3)}'; }
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
declare -A T
for _ in $(seq 1 "$ROUNDS"); do
  T[bouncer]="${T[bouncer]:-} $(tps "$BOUNCER_PORT")"
  for s in $SPINS; do
    node bench/tcp-relay.mjs "$RELAY_PORT" "$PGHOST" "$PGPORT" "$s" & RELAY_PID=$!
    for _ in $(seq 1 50); do (echo >/dev/tcp/127.0.0.1/$RELAY_PORT) 2>/dev/null && break; sleep 0.1; done
    T[$s]="${T[$s]:-} $(tps "$RELAY_PORT")"
    kill "$RELAY_PID"; wait "$RELAY_PID" 2>/dev/null; RELAY_PID=
  done
done
b=$(echo "${T[bouncer]}" | median)
echo "pgbench -S, 8 clients, ${SECS}s per run, median of $ROUNDS rounds ($(nproc) cores): pgbouncer $b tps"
printf '%-26s %8s %12s\n' path tps /pgbouncer
for s in $SPINS; do
  r=$(echo "${T[$s]}" | median)
  printf '%-26s %8s %12s\n' "relay + ${s} µs per response" "$r" "$(awk -v a="$r" -v b="$b" 'BEGIN {printf "%.2f", a / b}')"
done
