#!/usr/bin/env bash
# pgbench -S through four paths in one run: direct to PostgreSQL, through pgbouncer (session
# mode), through a plain Node pipe() relay (bench/tcp-relay.mjs: the floor of any proxy written
# in Node) and through sqlveil (rules/hipaa.yaml, dba role). Prints tps per path and mode; the
# ratios sqlveil/pgbouncer, sqlveil/relay and sqlveil/direct; each proxy's own CPU time per
# transaction (µs, from /proc: it drifts less with the machine's load than tps does); and
# single-client latency.
#
#   bench/pg.sh                 # defaults: 8 clients, 10 s per run, scale 10, 3 rounds
#   SECONDS_PER_RUN=5 ROUNDS=1 bench/pg.sh
#   SQLVEIL_KAFKA_BROKERS=127.0.0.1:9092 bench/pg.sh   # audit on Kafka instead of a file
#
# Needs: a local PostgreSQL (PGHOST/PGPORT, default 127.0.0.1:5432, user postgres, db test),
# pgbench, pgbouncer (Debian package), and `npm run build` done.
set -uo pipefail
cd "$(dirname "$0")/.."
. bench/pgbouncer.sh
PGHOST=${PGHOST:-127.0.0.1}; PGPORT=${PGPORT:-5432}; PGUSER_DIRECT=${PGUSER_DIRECT:-postgres}; DB=${DB:-test}
CLIENTS=${CLIENTS:-8}; THREADS=${THREADS:-2}; SECS=${SECONDS_PER_RUN:-10}; SCALE=${SCALE:-10}; ROUNDS=${ROUNDS:-3}
BOUNCER_PORT=${BOUNCER_PORT:-16401}; VEIL_PORT=${VEIL_PORT:-16402}; ADMIN_PORT=${ADMIN_PORT:-16403}; RELAY_PORT=${RELAY_PORT:-16404}
command -v pgbouncer >/dev/null || { echo "pgbouncer is not installed (apt-get install pgbouncer)"; exit 1; }
[ -f dist/src/cli/main.js ] || { echo "run npm run build first"; exit 1; }

TMP=$(mktemp -d); chmod 777 "$TMP"  # pgbouncer runs as postgres and writes its pid and log here
cleanup() {
  [ -n "${VEIL_PID:-}" ] && kill "$VEIL_PID" 2>/dev/null || true
  [ -n "${RELAY_PID:-}" ] && kill "$RELAY_PID" 2>/dev/null || true
  stop_pgbouncer "$TMP"
  sleep 0.3; rm -rf "$TMP"
}
trap cleanup EXIT

# pgbouncer in session mode, trust auth, in front of the same database.
start_pgbouncer "$TMP" "$BOUNCER_PORT" "$DB" "$PGHOST" "$PGPORT" "$PGUSER_DIRECT" || { echo "pgbouncer did not start"; exit 1; }


# The plain relay: what Node itself costs a proxy, nothing parsed.
node bench/tcp-relay.mjs "$RELAY_PORT" "$PGHOST" "$PGPORT" &
RELAY_PID=$!

# sqlveil with a throw-away development key.
node bin/sqlveil.js keygen --out "$TMP/keys" >/dev/null
export SQLVEIL_PG_LISTEN=127.0.0.1:$VEIL_PORT SQLVEIL_PG_UPSTREAM=postgres://$PGUSER_DIRECT@$PGHOST:$PGPORT/$DB
export SQLVEIL_MYSQL_LISTEN=127.0.0.1:0 SQLVEIL_ADMIN_LISTEN=127.0.0.1:$ADMIN_PORT
export SQLVEIL_JWKS=$TMP/keys/jwks.json SQLVEIL_ISSUER=https://bench.sqlveil.local/ SQLVEIL_AUDIT_FILE=$TMP/audit.jsonl
[ -n "${SQLVEIL_KAFKA_BROKERS:-}" ] && echo "audit on Kafka at $SQLVEIL_KAFKA_BROKERS"
SQLVEIL_LOG_LEVEL=warn bin/sqlveil.js start --config rules/hipaa.yaml >"$TMP/sqlveil.log" 2>&1 &
VEIL_PID=$!
TOKEN=$(node bin/sqlveil.js token --key "$TMP/keys/dev-key.private.jwk.json" --sub bench --groups dba --ttl 1h --issuer https://bench.sqlveil.local/)
for _ in $(seq 1 50); do (echo >/dev/tcp/127.0.0.1/$VEIL_PORT) 2>/dev/null && break; sleep 0.2; done

pgbench -q -i -s "$SCALE" -h "$PGHOST" -p "$PGPORT" -U "$PGUSER_DIRECT" "$DB" >/dev/null 2>&1

HZ=$(getconf CLK_TCK)
# CPU ticks (user + system) a process has used so far.
ticks() { if [ -n "${1:-}" ] && [ -r "/proc/$1/stat" ]; then awk '{print $14 + $15}' "/proc/$1/stat"; else echo 0; fi; }
pid_of() {
  case $1 in
    pgbouncer) cat "$TMP/pgbouncer.pid" 2>/dev/null ;;
    relay) echo "$RELAY_PID" ;;
    sqlveil) echo "$VEIL_PID" ;;
  esac
}

# run PATH MODE CLIENTS -> prints "tps latency_ms cpu_us_per_txn"
run() {
  local path=$1 mode=$2 clients=$3 threads=$THREADS out pid t0 t1 port=$PGPORT host=$PGHOST
  [ "$clients" -lt "$threads" ] && threads=$clients
  case $path in
    pgbouncer) host=127.0.0.1 port=$BOUNCER_PORT ;;
    relay) host=127.0.0.1 port=$RELAY_PORT ;;
    sqlveil) host=127.0.0.1 port=$VEIL_PORT ;;
  esac
  pid=$(pid_of "$path"); t0=$(ticks "$pid")
  if [ "$path" = sqlveil ]; then
    out=$(PGPASSWORD=$TOKEN pgbench -n -S -M "$mode" -c "$clients" -j "$threads" -T "$SECS" -h "$host" -p "$port" -U bench "$DB" 2>&1)
  else
    out=$(pgbench -n -S -M "$mode" -c "$clients" -j "$threads" -T "$SECS" -h "$host" -p "$port" -U "$PGUSER_DIRECT" "$DB" 2>&1)
  fi
  t1=$(ticks "$pid")
  echo "$out" | awk -v d=$((t1 - t0)) -v hz="$HZ" -v p="$pid" '
    /^tps/ {tps = int($3)} /^latency average/ {lat = $4}
    /actually processed/ {split($NF, n, "/"); txn = n[1]}
    END {printf "%d %s %s\n", tps, lat + 0, (p != "" && txn > 0) ? sprintf("%.1f", d * 1e6 / hz / txn) : "-"}'
}

PATHS="direct pgbouncer relay sqlveil"
declare -A TPS LAT CPU
for round in $(seq 1 "$ROUNDS"); do
  for mode in simple prepared; do
    for path in $PATHS; do
      read -r t l c < <(run "$path" "$mode" "$CLIENTS")
      TPS[$path.$mode]="${TPS[$path.$mode]:-} $t"
      CPU[$path.$mode]="${CPU[$path.$mode]:-} $c"
    done
  done
  for path in $PATHS; do
    read -r t l c < <(run "$path" simple 1)
    LAT[$path]="${LAT[$path]:-} $l"
  done
done

median() { tr ' ' '\n' | grep -v '^$' | grep -v '^-$' | sort -n | awk '{a[NR]=$1} END {if (NR == 0) print "-"; else print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0) ? a / b : 0}'; }

echo "pgbench -S, $CLIENTS clients, $THREADS threads, ${SECS}s per run, scale $SCALE, median of $ROUNDS rounds ($(nproc) cores)"
printf '%-9s %8s %10s %8s %8s %18s %14s %15s\n' mode direct pgbouncer relay sqlveil sqlveil/pgbouncer sqlveil/relay sqlveil/direct
for mode in simple prepared; do
  d=$(echo "${TPS[direct.$mode]}" | median); b=$(echo "${TPS[pgbouncer.$mode]}" | median)
  r=$(echo "${TPS[relay.$mode]}" | median); s=$(echo "${TPS[sqlveil.$mode]}" | median)
  printf '%-9s %8s %10s %8s %8s %18s %14s %15s\n' "$mode" "$d" "$b" "$r" "$s" "$(ratio "$s" "$b")" "$(ratio "$s" "$r")" "$(ratio "$s" "$d")"
  echo "  rounds: direct [${TPS[direct.$mode]# }] pgbouncer [${TPS[pgbouncer.$mode]# }] relay [${TPS[relay.$mode]# }] sqlveil [${TPS[sqlveil.$mode]# }]"
  echo "  proxy CPU per transaction (µs, median): pgbouncer $(echo "${CPU[pgbouncer.$mode]}" | median), relay $(echo "${CPU[relay.$mode]}" | median), sqlveil $(echo "${CPU[sqlveil.$mode]}" | median)"
done
echo "single-client latency (ms, simple): direct $(echo "${LAT[direct]}" | median), pgbouncer $(echo "${LAT[pgbouncer]}" | median), relay $(echo "${LAT[relay]}" | median), sqlveil $(echo "${LAT[sqlveil]}" | median)"
