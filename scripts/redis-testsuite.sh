#!/usr/bin/env bash
# Runs units of Redis's own tcl test suite against a cobble node in the
# suite's external-server mode and prints a table of passed, failed and
# skipped tests per unit (skipped: excluded by tag or by the skip list),
# then the names of the failed tests.
#
#   scripts/redis-testsuite.sh /path/to/redis-source [unit ...]
#
# The Redis source tree (its tests/ directory and runtest) is not part of
# cobble: check it out separately (Redis 7.2 matches cobble's semantics).
# The suite's external mode calls FUNCTION FLUSH before each file; cobble
# has no scripting, so run it on a copy whose tests/support/server.tcl wraps
# that call in `catch` (this script does that on a private copy, and the
# same for the MEMORY USAGE call of the memory_usage helper).
#
# The suite tags the whole of unit/pubsubshard external:skip, though its
# first server block needs nothing but one server; the private copy drops
# the tag from that block (the replication block stays excluded).
#
# Tags excluded, as the suite itself defines them: needs:debug (DEBUG
# internals), needs:repl (replication), needs:config-maxmemory, needs:save,
# external:skip (the suite marks these as impossible externally).
#
# cobble keeps one storage layout for every size of a collection, so by
# default the suite's own --ignore-encoding and --ignore-digest options are
# on: OBJECT ENCODING checks (listpack/quicklist/intset conversions) and
# DEBUG DIGEST comparisons are skipped, and the rest of those tests still
# runs. STRICT_ENCODING=1 turns them back on.
#
# Tests that use features cobble does not have (streams, scripting, CLIENT
# REPLY, MEMORY USAGE) are skipped by name: scripts/redis-testsuite.skip
# lists them with the reason.
#
# Environment: PORT (default 17101), KEEP_LOGS=dir (copy each unit's log
# there), VERBOSE=1 (print each failure's message), SKIPFILE=file (more
# test names or /regexps to skip, one per line).
set -euo pipefail
src=${1:?usage: $0 /path/to/redis-source [unit ...]}
shift
units=("$@")
if [ ${#units[@]} -eq 0 ]; then
  units=(unit/keyspace unit/expire unit/type/string unit/type/incr unit/type/hash
         unit/type/list unit/type/list-2 unit/type/list-3 unit/type/set unit/type/zset
         unit/sort unit/multi unit/pubsub unit/pubsubshard unit/info-command unit/protocol)
fi
cd "$(dirname "$0")/.."
work=$(mktemp -d)
pid=
# Stop the node and wait for it (at most 10s, then SIGKILL) before its
# directory goes away.
cleanup() {
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
cp -r "$src/tests" "$work/tests"
sed -i 's/^    r function flush$/    catch {r function flush}/' "$work/tests/support/server.tcl"
sed -i '1s/^start_server {tags {"pubsubshard external:skip"}} {$/start_server {tags {"pubsubshard"}} {/' \
  "$work/tests/unit/pubsubshard.tcl"
# The suite's memory_usage helper already answers 1 where MEMORY USAGE is
# unreliable (allocators other than jemalloc); cobble has no MEMORY USAGE,
# and the helper runs outside any test, so an error would stop the unit.
sed -i 's/^    set usage \[r memory usage \$key\]$/    if {[catch {r memory usage $key} usage]} {return 1}/' "$work/tests/support/util.tcl"
go build -o "$work/cobble-server" ./cmd/cobble-server
port=${PORT:-17101}
mkdir -p "$work/data"
"$work/cobble-server" --port "$port" --bind 127.0.0.1 --dir "$work/data" --loglevel warning >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 1 500); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.02; done

opts=(--host 127.0.0.1 --port "$port"
      --tags -needs:debug --tags -needs:repl --tags -needs:config-maxmemory --tags -needs:save
      --tags -external:skip --timeout 60)
[ -z "${STRICT_ENCODING:-}" ] && opts+=(--ignore-encoding --ignore-digest)
# Tests that need features cobble lacks (streams, scripting…), listed with
# the reason in redis-testsuite.skip; SKIPFILE adds a list of one's own.
opts+=(--skipfile "$PWD/scripts/redis-testsuite.skip")
[ -n "${SKIPFILE:-}" ] && opts+=(--skipfile "$(realpath "$SKIPFILE")")

table=()
failures=()
tot_ok=0 tot_err=0 tot_skip=0
for u in "${units[@]}"; do
  log="$work/$(echo "$u" | tr / _).log"
  (cd "$work" && timeout 900 tclsh tests/test_helper.tcl --single "$u" "${opts[@]}" 2>&1 |
     sed 's/\x1b\[[0-9;]*m//g') >"$log" || true
  ok=$(grep -c '^\[ok\]' "$log" || true)
  err=$(grep -c '^\[err\]' "$log" || true)
  exc=$(grep -c '^\[exception\]' "$log" || true)
  skip=$(grep -c '^\[skip\]\|^\[ignore\]' "$log" || true)
  note=""
  # An exception or a timeout aborts the rest of the unit: its counts are
  # partial, and the test in progress counts as failed.
  [ "$exc" -gt 0 ] && note="aborted by an exception"
  if grep -q '^\[TIMEOUT\]' "$log"; then
    note="timed out"
    exc=$((exc + 1))
  fi
  tot_ok=$((tot_ok + ok)) tot_err=$((tot_err + err + exc)) tot_skip=$((tot_skip + skip))
  table+=("$(printf '%-20s %6s %6s %7s  %s' "$u" "$ok" "$((err + exc))" "$skip" "$note")")
  while IFS= read -r line; do
    failures+=("$u: ${line#\[*\]: }")
  done < <(grep '^\[err\]\|^\[exception\]' "$log" | sed 's/ in tests\/unit\/.*\.tcl$//' || true
           sed -n 's/^.* => (IN PROGRESS) \(.*\)$/timed out: \1/p' "$log")
  if [ -n "${VERBOSE:-}" ]; then grep -A2 '^\[err\]\|^\[exception\]' "$log" || true; fi
  if [ -n "${KEEP_LOGS:-}" ]; then mkdir -p "$KEEP_LOGS" && cp "$log" "$KEEP_LOGS/"; fi
  printf '%s\n' "${table[-1]}" >&2
done

echo
printf '%-20s %6s %6s %7s\n' unit passed failed skipped
printf '%s\n' "${table[@]}"
printf '%-20s %6s %6s %7s\n' total "$tot_ok" "$tot_err" "$tot_skip"
if [ ${#failures[@]} -gt 0 ]; then
  echo
  echo "failed:"
  printf '  %s\n' "${failures[@]}"
fi
