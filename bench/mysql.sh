#!/usr/bin/env bash
# sysbench oltp_point_select through three paths in one run: direct to MariaDB/MySQL, through a
# plain Node TCP relay (bench/tcp-relay.mjs) and through sqlveil (dba role, no statement policy).
# Prints qps per path and prepared-statement mode, and the ratios sqlveil/relay and sqlveil/direct.
#
#   bench/mysql.sh                    # defaults: 8 threads, 10 s per run, 3 rounds
#   SECONDS_PER_RUN=5 ROUNDS=1 bench/mysql.sh
#
# libmariadb loads the mysql_clear_password plugin on first use, racily across threads ("Plugin
# mysql_clear_password could not be loaded: it is already loaded"): LIBMYSQL_PLUGINS loads it once
# at library start.
#
# Needs: a local MariaDB/MySQL (MYHOST/MYPORT, default 127.0.0.1:3306, user root without
# password), sysbench, and `npm run build` done.
set -uo pipefail
cd "$(dirname "$0")/.."
MYHOST=${MYHOST:-127.0.0.1}; MYPORT=${MYPORT:-3306}; MYUSER=${MYUSER:-root}; DB=${DB:-sqlveil_bench}
THREADS=${THREADS:-8}; SECS=${SECONDS_PER_RUN:-10}; ROUNDS=${ROUNDS:-3}; TABLES=${TABLES:-4}; TABLE_SIZE=${TABLE_SIZE:-10000}
RELAY_PORT=${RELAY_PORT:-16501}; VEIL_PORT=${VEIL_PORT:-16502}; ADMIN_PORT=${ADMIN_PORT:-16503}
command -v sysbench >/dev/null || { echo "sysbench is not installed (apt-get install sysbench)"; exit 1; }
[ -f dist/src/cli/main.js ] || { echo "run npm run build first"; exit 1; }

TMP=$(mktemp -d)
cleanup() {
  [ -n "${VEIL_PID:-}" ] && kill "$VEIL_PID" 2>/dev/null
  [ -n "${RELAY_PID:-}" ] && kill "$RELAY_PID" 2>/dev/null
  mariadb -h "$MYHOST" -P "$MYPORT" -u "$MYUSER" -e "drop database if exists $DB" 2>/dev/null
  sleep 0.3; rm -rf "$TMP"
}
trap cleanup EXIT

# sqlveil with a throw-away development key, a MySQL listener and no statement policy.
node bin/sqlveil.js keygen --out "$TMP/keys" >/dev/null
cat > "$TMP/rules.yaml" <<YAML
version: 1
listeners:
  - { name: mysql, protocol: mysql, listen: "127.0.0.1:$VEIL_PORT", upstream: mysql, cleartextPassword: tls-or-loopback }
upstreams:
  - { name: mysql, url: "mysql://$MYUSER@$MYHOST:$MYPORT/$DB", tls: { mode: disable } }
identity: { issuer: "https://bench.sqlveil.local/", audience: sqlveil, jwks: "$TMP/keys/jwks.json" }
roles:
  - { name: dba, groups: [dba] }
audit: { file: "$TMP/audit.jsonl" }
admin: { listen: "127.0.0.1:$ADMIN_PORT" }
YAML
SQLVEIL_LOG_LEVEL=warn bin/sqlveil.js start --config "$TMP/rules.yaml" >"$TMP/sqlveil.log" 2>&1 &
VEIL_PID=$!
node bench/tcp-relay.mjs "$RELAY_PORT" "$MYHOST" "$MYPORT" &
RELAY_PID=$!
TOKEN=$(node bin/sqlveil.js token --key "$TMP/keys/dev-key.private.jwk.json" --sub bench --groups dba --ttl 1h --issuer https://bench.sqlveil.local/)
for _ in $(seq 1 50); do (echo >/dev/tcp/127.0.0.1/$VEIL_PORT) 2>/dev/null && break; sleep 0.2; done
(echo >/dev/tcp/127.0.0.1/$VEIL_PORT) 2>/dev/null || { echo "sqlveil did not start: $(tail -c 400 "$TMP/sqlveil.log")"; exit 1; }

mariadb -h "$MYHOST" -P "$MYPORT" -u "$MYUSER" -e "drop database if exists $DB; create database $DB" || exit 1
SB="--mysql-db=$DB --tables=$TABLES --table-size=$TABLE_SIZE"
sysbench oltp_point_select $SB --mysql-host="$MYHOST" --mysql-port="$MYPORT" --mysql-user="$MYUSER" prepare >/dev/null 2>&1 || { echo "sysbench prepare failed"; exit 1; }

# qps PATH MODE -> prints "qps errors"
run() {
  local path=$1 mode=$2 out
  local common="oltp_point_select $SB --threads=$THREADS --time=$SECS --db-ps-mode=$mode"
  case $path in
    direct) out=$(sysbench $common --mysql-host="$MYHOST" --mysql-port="$MYPORT" --mysql-user="$MYUSER" run 2>&1) ;;
    relay) out=$(sysbench $common --mysql-host=127.0.0.1 --mysql-port="$RELAY_PORT" --mysql-user="$MYUSER" run 2>&1) ;;
    sqlveil) out=$(LIBMYSQL_PLUGINS=mysql_clear_password LIBMYSQL_ENABLE_CLEARTEXT_PLUGIN=1 sysbench $common --mysql-host=127.0.0.1 --mysql-port="$VEIL_PORT" --mysql-user=bench --mysql-password="$TOKEN" run 2>&1) ;;
  esac
  echo "$out" | awk '/queries:/ {gsub(/\(/, "", $3); q=int($3)} /ignored errors:/ {e=$3} END {print q+0, e+0}'
}

declare -A QPS
for round in $(seq 1 "$ROUNDS"); do
  for mode in auto disable; do
    for path in direct relay sqlveil; do
      read -r q e < <(run "$path" "$mode")
      [ "$e" != 0 ] && echo "warning: $path/$mode round $round: $e ignored errors"
      QPS[$path.$mode]="${QPS[$path.$mode]:-} $q"
    done
  done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0) ? a / b : 0}'; }

echo "sysbench oltp_point_select, $THREADS threads, ${SECS}s per run, $TABLES x $TABLE_SIZE rows, median of $ROUNDS rounds ($(nproc) cores)"
printf '%-10s %10s %10s %10s %14s %14s\n' ps-mode direct relay sqlveil sqlveil/relay sqlveil/direct
for mode in auto disable; do
  d=$(echo "${QPS[direct.$mode]}" | median); r=$(echo "${QPS[relay.$mode]}" | median); s=$(echo "${QPS[sqlveil.$mode]}" | median)
  printf '%-10s %10s %10s %10s %14s %14s\n' "$mode" "$d" "$r" "$s" "$(ratio "$s" "$r")" "$(ratio "$s" "$d")"
  echo "  rounds: direct [${QPS[direct.$mode]# }] relay [${QPS[relay.$mode]# }] sqlveil [${QPS[sqlveil.$mode]# }]"
done
