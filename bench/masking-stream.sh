#!/usr/bin/env bash
# A 1,000,000-row SELECT with three masked columns (clinic.patients ssn, full_name, email,
# masked for role agent by rules/hipaa.yaml), direct vs through sqlveil, in one run: rows/s,
# the ratio, and the gateway's peak RSS (VmHWM), which must not grow with the row count.
# Two result shapes: the fixture's 5 patients repeated (values repeat, as names and codes do in
# joins), and ROWS distinct patients (every value new: each cell is masked from scratch, the hash
# strategy's HMAC included). Both read a bench-only database, sqlveil_bench: the clinic fixture
# plus ROWS synthetic patients (ids above 1000), made on first run.
#
#   npm run build && bench/masking-stream.sh            # ROWS=1000000 ROUNDS=3 by default
#
# Needs a local PostgreSQL (db test, user postgres, trust) with the clinic fixture loaded
# (psql -f test/fixtures/clinic.pg.sql).
# Makes the database sqlveil_bench (the fixture and ROWS synthetic patients) if it is missing.
set -uo pipefail
cd "$(dirname "$0")/.."
ROWS=${ROWS:-1000000}; ROUNDS=${ROUNDS:-3}; PORT=${VEIL_PORT:-16412}
[ -f dist/src/cli/main.js ] || { echo "run npm run build first"; exit 1; }
TMP=$(mktemp -d)
cleanup() { [ -n "${PID:-}" ] && kill "$PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$TMP"; }
trap cleanup EXIT

# rules/hipaa.yaml with the agent's export limit and bulk-export approval raised past the row count.
# The names dictionary reads every patient, the ROWS synthetic ones too, at start (rows streamed).
sed -e "s/maxRows: 1000 /maxRows: $((ROWS * 2)) /" -e "s/limitAbove: 500 }/limitAbove: $((ROWS * 2)) }/" rules/hipaa.yaml > "$TMP/rules.yaml"
cp rules/schema.json "$TMP/" 2>/dev/null
node bin/sqlveil.js keygen --out "$TMP/keys" >/dev/null
BENCH_DB=sqlveil_bench
export SQLVEIL_PG_LISTEN=127.0.0.1:$PORT SQLVEIL_PG_UPSTREAM=postgres://postgres@127.0.0.1:5432/$BENCH_DB
export SQLVEIL_MYSQL_LISTEN=127.0.0.1:0 SQLVEIL_ADMIN_LISTEN=127.0.0.1:0 SQLVEIL_KAFKA_BROKERS=
export SQLVEIL_JWKS=$TMP/keys/jwks.json SQLVEIL_ISSUER=https://bench.sqlveil.local/ SQLVEIL_AUDIT_FILE=$TMP/audit.jsonl
SQLVEIL_LOG_LEVEL=warn bin/sqlveil.js start --config "$TMP/rules.yaml" >"$TMP/sqlveil.log" 2>&1 &
PID=$!
TOKEN=$(node bin/sqlveil.js token --key "$TMP/keys/dev-key.private.jwk.json" --sub bench-agent --groups agents --ttl 1h --issuer https://bench.sqlveil.local/)
for _ in $(seq 1 100); do (echo >/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.2; done

PER=$(( (ROWS + 4) / 5 ))
REPEATED="SELECT p.id, p.ssn, p.full_name, p.email, g FROM clinic.patients p, generate_series(1, $PER) g WHERE p.id <= 5 LIMIT $ROWS"
DISTINCT="SELECT id, ssn, full_name, email FROM clinic.patients WHERE id > 1000 ORDER BY id LIMIT $ROWS"
have=$(psql -X -q -At -h 127.0.0.1 -U postgres -d "$BENCH_DB" -c "select count(*) from clinic.patients where id > 1000" 2>/dev/null || echo 0)
if [ "${have:-0}" -lt "$ROWS" ]; then
  echo "filling $BENCH_DB with the clinic fixture and $ROWS synthetic patients (once)"
  psql -X -q -h 127.0.0.1 -U postgres -d postgres -tAc "select 1 from pg_database where datname = '$BENCH_DB'" | grep -q 1 || createdb -h 127.0.0.1 -U postgres "$BENCH_DB"
  { cat test/fixtures/clinic.pg.sql; cat <<SQL; } | psql -X -q -h 127.0.0.1 -U postgres -d "$BENCH_DB" -v ON_ERROR_STOP=1 >/dev/null || { echo "could not fill $BENCH_DB"; exit 1; }
INSERT INTO clinic.patients (id, mrn, full_name, ssn, email)
  SELECT 1000 + g, 'MRN-B' || g, 'Patient ' || g || ' Quintero',
         '900-' || lpad((g % 100)::text, 2, '0') || '-' || lpad((g % 10000)::text, 4, '0'), 'patient' || g || '@example.org'
  FROM generate_series(1, $ROWS) g;
SQL
fi
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>"$TMP/err" || { cat "$TMP/err"; return 1; }; t1=$(date +%s.%N); echo "$t1 - $t0" | bc; }
direct() { psql -X -q -At -h 127.0.0.1 -U postgres -d "$DB" -c "$SQL"; }
veil() { PGPASSWORD=$TOKEN psql -X -q -At -h 127.0.0.1 -p "$PORT" -U bench-agent -d "$DB" -c "$SQL"; }

# measure NAME: rounds of direct and sqlveil for $SQL on $DB, then one summary line.
measure() {
  local -a D=() V=()
  # The gateway's answer must be masked: no raw SSN in it.
  if veil | head -1000 | grep -q '900-[0-9][0-9]-'; then echo "raw SSN through the gateway"; exit 1; fi
  for _ in $(seq 1 "$ROUNDS"); do D+=("$(secs direct)"); V+=("$(secs veil)"); done
  local d v
  d=$(med "${D[@]}"); v=$(med "${V[@]}")
  printf '%-9s direct %6.2f s %8.0f rows/s | sqlveil %6.2f s %8.0f rows/s | sqlveil/direct %.2f   rounds: direct %s; sqlveil %s\n' \
    "$1" "$d" "$(echo "$ROWS / $d" | bc -l)" "$v" "$(echo "$ROWS / $v" | bc -l)" "$(echo "$d / $v" | bc -l)" "${D[*]}" "${V[*]}"
}
med() { printf '%s\n' "$@" | sort -n | sed -n "$(( ($# + 1) / 2 ))p"; }

printf 'rows %d, 3 masked columns (role agent), median of %d rounds\n' "$ROWS" "$ROUNDS"
SQL=$REPEATED DB=$BENCH_DB measure repeated
SQL=$DISTINCT DB=$BENCH_DB measure distinct
hwm=$(awk '/VmHWM/ {print int($2/1024)}' /proc/$PID/status)
printf 'gateway peak RSS %d MB\n' "$hwm"
