#!/usr/bin/env bash
# Runs units of Redis's own tcl test suite against a cobble node in the
# suite's external-server mode and prints passed/failed per unit.
#
#   scripts/redis-testsuite.sh /path/to/redis-source [unit ...]
#
# The Redis source tree (its tests/ directory and runtest) is not part of
# cobble: check it out separately (Redis 7.2 matches cobble's semantics).
# The suite's external mode calls FUNCTION FLUSH before each file; cobble
# has no scripting, so run it on a copy whose tests/support/server.tcl wraps
# that call in `catch` (this script does that on a private copy).
#
# Tags excluded, as the suite itself defines them: needs:debug (DEBUG
# internals), needs:repl (replication), needs:config-maxmemory, needs:save,
# external:skip (the suite marks these as impossible externally).
set -euo pipefail
src=${1:?usage: $0 /path/to/redis-source [unit ...]}
shift
units=("$@")
if [ ${#units[@]} -eq 0 ]; then
  units=(unit/keyspace unit/expire unit/type/string unit/type/incr unit/type/hash
         unit/type/list unit/type/set unit/type/zset unit/multi unit/pubsub unit/info-command unit/protocol)
fi
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; rm -rf "$work"' EXIT
cp -r "$src/tests" "$work/tests"
sed -i 's/^    r function flush$/    catch {r function flush}/' "$work/tests/support/server.tcl"
go build -o "$work/cobble-server" ./cmd/cobble-server
port=${PORT:-17101}
mkdir -p "$work/data"
"$work/cobble-server" --port "$port" --bind 127.0.0.1 --dir "$work/data" --loglevel warning >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 500); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.02; done
printf '%-22s %6s %6s\n' unit passed failed
for u in "${units[@]}"; do
  out=$(cd "$work" && timeout 900 tclsh tests/test_helper.tcl --host 127.0.0.1 --port "$port" --single "$u" \
        --tags -needs:debug --tags -needs:repl --tags -needs:config-maxmemory --tags -needs:save \
        --tags -external:skip --timeout 60 2>&1 | sed 's/\x1b\[[0-9;]*m//g' || true)
  ok=$(grep -c '^\[ok\]' <<<"$out" || true)
  err=$(grep -c '^\[err\]\|^\[exception\]' <<<"$out" || true)
  printf '%-22s %6s %6s\n' "$u" "$ok" "$err"
  if [ -n "${VERBOSE:-}" ]; then grep -A2 '^\[err\]\|^\[exception\]' <<<"$out" || true; fi
  echo "$out" > "$work/$(echo "$u" | tr / _).log"
  [ -n "${KEEP_LOGS:-}" ] && cp "$work/$(echo "$u" | tr / _).log" "$KEEP_LOGS/" || true
done
