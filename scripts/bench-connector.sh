#!/usr/bin/env bash
# The live-connector bench with each process's CPU (docs/performance.md, "Live connector"):
# starts the Stripe double and a fresh server, runs `openflex bench --scenario
# flexpay-charge-connector`, and prints the server's and the double's CPU ticks (1/100 s) and the
# client's CPU seconds. Usage: scripts/bench-connector.sh [BIN_DIR] [sqlite|pg] [latency_ms]
# [concurrency] [seconds] [perf]; OF=path overrides the openflex binary (for A/B runs).
set -u
B=${1:-target/release}; OF=${OF:-$B/openflex}; DB=${2:-sqlite}; LAT=${3:-50}; C=${4:-128}; D=${5:-15}; PERF=${6:-}
pkill -f "fake-gateway --gateway stripe --bind 127.0.0.1:18190" 2>/dev/null; pkill -f "serve --bind 127.0.0.1:18191" 2>/dev/null; sleep 0.5
rm -rf /tmp/bench-conn; mkdir -p /tmp/bench-conn
$B/fake-gateway --gateway stripe --bind 127.0.0.1:18190 --latency-ms $LAT >/tmp/bench-conn/gw.log 2>&1 &
GW=$!
ENVDB=""
if [ "$DB" = pg ]; then psql -h 127.0.0.1 -p ${PGPORT_BENCH:-5432} -U postgres -qc "drop database if exists benchconn" -c "create database benchconn" >/dev/null; ENVDB="postgres://postgres@127.0.0.1:${PGPORT_BENCH:-5432}/benchconn"; fi
env OPENFLEX_ADMIN_TOKEN=benchtoken OPENFLEX_GATEWAY_URL_STRIPE=http://127.0.0.1:18190 ${ENVDB:+OPENFLEX_DATABASE_URL=$ENVDB} RUST_LOG=${RUST_LOG:-warn} \
  $OF serve --bind 127.0.0.1:18191 --data-dir /tmp/bench-conn/data >/tmp/bench-conn/srv.log 2>&1 &
SRV=$!
for i in $(seq 1 100); do curl -s 127.0.0.1:18191/readyz >/dev/null && break; sleep 0.2; done
T0=$(awk '{print $14+$15}' /proc/$SRV/stat)
if [ -n "$PERF" ]; then perf record -F 149 --call-graph dwarf,16384 -p $SRV -o /tmp/bench-conn/perf.data 2>/dev/null & PP=$!; fi
G0=$(awk '{print $14+$15}' /proc/$GW/stat)
OPENFLEX_ADMIN_TOKEN=benchtoken /usr/bin/time -f "client cpu s: %U user %S sys" $OF bench --target http://127.0.0.1:18191 --scenario flexpay-charge-connector --concurrency $C --duration $D 2>&1 | tail -12
T1=$(awk '{print $14+$15}' /proc/$SRV/stat)
[ -n "$PERF" ] && kill -INT $PP && wait $PP
G1=$(awk '{print $14+$15}' /proc/$GW/stat)
echo "server cpu ticks: $((T1-T0))  gateway double ticks: $((G1-G0))"
kill $SRV $GW; wait 2>/dev/null
