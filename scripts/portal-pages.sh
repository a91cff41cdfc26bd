#!/usr/bin/env bash
# Usage: scripts/portal-pages.sh sqlite|postgres ROWS
# Seeds ROWS FlexPay transactions for a bench merchant (openflex bench --table-sizes), gives it a
# portal user, signs in with curl and times every portal page (5 runs each; median and max).
set -euo pipefail
backend=$1; rows=$2
bin=${OPENFLEX_BIN:-$(cd "$(dirname "$0")/.." && pwd)/target/release/openflex}
dir=$(mktemp -d); port=18090; base=http://127.0.0.1:$port
if [ "$backend" = postgres ]; then
  psql -h 127.0.0.1 -U postgres -qc 'DROP DATABASE IF EXISTS portalbench' -c 'CREATE DATABASE portalbench' >/dev/null
  url=postgres://postgres@127.0.0.1:5432/portalbench
else
  url=sqlite://$dir/openflex.db
fi
OPENFLEX_ADMIN_TOKEN=benchtoken RUST_LOG=warn OPENFLEX_DATABASE_URL=$url $bin serve --bind 127.0.0.1:$port --data-dir $dir > $dir/server.log 2>&1 &
srv=$!
trap 'kill $srv 2>/dev/null' EXIT
for _ in $(seq 1 100); do curl -sf $base/readyz >/dev/null && break; sleep 0.1; done
OPENFLEX_ADMIN_TOKEN=benchtoken $bin bench --target $base --scenario flexpay-list --concurrency 4 --duration 2 \
  --table-sizes $rows --database-url $url > $dir/bench.out 2>&1
merchant=$(OPENFLEX_DATABASE_URL=$url $bin --data-dir $dir merchant list --json | python3 -c 'import json,sys; print([m for m in json.load(sys.stdin) if m["name"]!="Sandbox merchant"][-1]["merchantId"])')
OPENFLEX_USER_PASSWORD='portal bench password' OPENFLEX_DATABASE_URL=$url $bin --data-dir $dir user create --merchant $merchant --email bench@shop.example >/dev/null 2>&1
jar=$dir/jar
curl -s -c $jar -o /dev/null -d 'email=bench@shop.example&password=portal+bench+password&next=/portal/' $base/portal/login
txn=$(curl -s -b $jar "$base/portal/transactions" | grep -o '/portal/transactions/[0-9A-Z]*' | head -1)
echo "backend=$backend rows=$rows merchant=$merchant"
for path in /portal/ "/portal/transactions" "/portal/transactions?type=Refund" "/portal/transactions?outcome=declined" "/portal/transactions?type=Refund&outcome=error" \
    "$txn" /portal/payment-methods /portal/orders /portal/flexiti /portal/webhooks /portal/credentials /portal/settings /portal/clock; do
  times=$(for _ in 1 2 3 4 5; do curl -s -b $jar -o /dev/null -w '%{http_code} %{time_total}\n' "$base$path"; done)
  code=$(echo "$times" | awk '{print $1}' | sort -u | tr '\n' ' ')
  echo "$times" | awk -v p="$path" -v c="$code" '{t[NR]=$2*1000} END {n=asort(t); printf "%-40s http %s median %6.1f ms  max %6.1f ms\n", p, c, t[3], t[5]}'
done
