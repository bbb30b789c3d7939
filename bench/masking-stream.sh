#!/usr/bin/env bash
# A 1,000,000-row SELECT with three masked columns (clinic.patients ssn, full_name, email,
# masked for role agent by rules/hipaa.yaml), direct vs through sqlveil, in one run: rows/s,
# the ratio, and the gateway's peak RSS (VmHWM), which must not grow with the row count.
#
#   npm run build && bench/masking-stream.sh            # ROWS=1000000 ROUNDS=3 by default
#
# Needs a local PostgreSQL (db test, user postgres, trust) with the clinic fixture loaded
# (psql -f test/fixtures/clinic.pg.sql).
set -uo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}; ROUNDS=${ROUNDS:-3}; PORT=${VEIL_PORT:-16412}
[ -f dist/src/cli/main.js ] || { echo "run npm run build first"; exit 1; }
TMP=$(mktemp -d)
cleanup() { [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

# rules/hipaa.yaml with the agent's export limit and bulk-export approval raised past the row count.
sed -e "s/maxRows: 1000 /maxRows: $((ROWS * 2)) /" -e "s/limitAbove: 500 }/limitAbove: $((ROWS * 2)) }/" rules/hipaa.yaml > "$TMP/rules.yaml"
cp rules/schema.json "$TMP/" 2>/dev/null
node bin/sqlveil.js keygen --out "$TMP/keys" >/dev/null
export SQLVEIL_PG_LISTEN=127.0.0.1:$PORT SQLVEIL_PG_UPSTREAM=postgres://postgres@127.0.0.1:5432/test
export SQLVEIL_MYSQL_LISTEN=127.0.0.1:0 SQLVEIL_ADMIN_LISTEN=127.0.0.1:0 SQLVEIL_KAFKA_BROKERS=
export SQLVEIL_JWKS=$TMP/keys/jwks.json SQLVEIL_ISSUER=https://bench.sqlveil.local/ SQLVEIL_AUDIT_FILE=$TMP/audit.jsonl
SQLVEIL_LOG_LEVEL=warn bin/sqlveil.js start --config "$TMP/rules.yaml" >"$TMP/sqlveil.log" 2>&1 &
PID=$!
TOKEN=$(node bin/sqlveil.js token --key "$TMP/keys/dev-key.private.jwk.json" --sub bench-agent --groups agents --ttl 1h --issuer https://bench.sqlveil.local/)
for _ in $(seq 1 100); do (echo >/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.2; done

PER=$(( (ROWS + 4) / 5 ))
SQL="SELECT p.id, p.ssn, p.full_name, p.email, g FROM clinic.patients p, generate_series(1, $PER) g LIMIT $ROWS"
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>"$TMP/err" || { cat "$TMP/err"; return 1; }; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }
direct() { psql -X -q -At -h 127.0.0.1 -U postgres -d test -c "$SQL"; }
veil() { PGPASSWORD=$TOKEN psql -X -q -At -h 127.0.0.1 -p "$PORT" -U bench-agent -d test -c "$SQL"; }

# The gateway's answer must be masked: no raw SSN in it.
if PGPASSWORD=$TOKEN psql -X -q -At -h 127.0.0.1 -p "$PORT" -U bench-agent -d test -c "$SQL" | head -1000 | grep -q '900-11-'; then echo "raw SSN through the gateway"; exit 1; fi
declare -a D V
for r in $(seq 1 "$ROUNDS"); do D+=("$(secs direct)"); V+=("$(secs veil)"); done
med() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }
d=$(med "${D[@]}"); v=$(med "${V[@]}")
hwm=$(awk '/VmHWM/ {print int($2/1024)}' /proc/$PID/status)
printf 'rows %d, 3 masked columns (role agent), median of %d rounds\n' "$ROWS" "$ROUNDS"
printf '  direct   %6.2f s  %8.0f rows/s   rounds: %s\n' "$d" "$(echo "$ROWS / $d" | bc -l)" "${D[*]}"
printf '  sqlveil  %6.2f s  %8.0f rows/s   rounds: %s\n' "$v" "$(echo "$ROWS / $v" | bc -l)" "${V[*]}"
printf '  sqlveil/direct throughput %.2f; gateway peak RSS %d MB\n' "$(echo "$d / $v" | bc -l)" "$hwm"
