#!/usr/bin/env bash
# Side-by-side benchmark: cobble and Debian's real redis-server on the same
# machine, same settings, same redis-benchmark workloads, one run.
#
#   bash bench/run.sh                # default workloads (everysec), writes bench/results/latest.md
#   FSYNC=always bash bench/run.sh   # appendfsync always on both
#   N=200000 TESTS=set,get PIPES="1 16" SIZES=64 bash bench/run.sh
#   RESTART_KEYS="1000000 5000000 20000000" bash bench/run.sh restart
#   MEM_KEYS=2000000 MEM_VALUE=1000 MEM_CACHE=64mb MEM_ROW_CACHE=64mb bash bench/run.sh memory
#   bash bench/run.sh all
#
# Requires redis-server, redis-cli and redis-benchmark (apt-get install
# redis-server redis-tools). Everything runs on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

MODE=${1:-throughput}
N=${N:-200000}
N_LARGE=${N_LARGE:-50000}   # requests per test with -d 4096 (400 KB LRANGE replies)
CLIENTS=${CLIENTS:-50}
KEYSPACE=${KEYSPACE:-1000000}
FSYNC=${FSYNC:-everysec}
TESTS=${TESTS:-set,get,incr,lpush,rpop,sadd,hset,spop,zadd,lrange_100,mset}
PIPES=${PIPES:-"1 16"}
SIZES=${SIZES:-"64 4096"}
RESTART_KEYS=${RESTART_KEYS:-"1000000 5000000 20000000"}
COBBLE_PORT=${COBBLE_PORT:-17001}
REDIS_PORT=${REDIS_PORT:-17002}
OUT=${OUT:-bench/results/latest.md}

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
mkdir -p "$(dirname "$OUT")"

go build -o "$work/cobble-server" ./cmd/cobble-server

wait_ready() { # port
  for _ in $(seq 1 6000); do
    if [ "$(redis-cli -p "$1" ping 2>/dev/null)" = "PONG" ]; then return 0; fi
    sleep 0.01
  done
  echo "server on port $1 did not come up" >&2; return 1
}

start_cobble() { # dir
  mkdir -p "$1"
  "$work/cobble-server" --port "$COBBLE_PORT" --bind 127.0.0.1 --dir "$1" \
    --appendonly yes --appendfsync "$FSYNC" --save "" --loglevel warning >"$1/log" 2>&1 &
  cobble_pid=$!; pids+=("$cobble_pid")
  wait_ready "$COBBLE_PORT"
}

start_redis() { # dir
  mkdir -p "$1"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$1" \
    --appendonly yes --appendfsync "$FSYNC" --save "" --loglevel warning --daemonize no >"$1/log" 2>&1 &
  redis_pid=$!; pids+=("$redis_pid")
  wait_ready "$REDIS_PORT"
}

stop() { # pid port
  redis-cli -p "$2" shutdown nosave >/dev/null 2>&1 || true
  for _ in $(seq 1 3000); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.01; done
  kill -9 "$1" 2>/dev/null || true
}

# bench_one PORT TEST PIPE SIZE -> "rps p50 p99"
bench_one() {
  local n=$N
  if [ "$4" -gt 1024 ]; then n=$N_LARGE; fi
  redis-cli -p "$1" flushall >/dev/null
  redis-benchmark -p "$1" -t "$2" -n "$n" -c "$CLIENTS" -P "$3" -d "$4" -r "$KEYSPACE" --csv 2>/dev/null |
    awk -F',' 'NR>1 { gsub(/"/,""); print $2, $5, $7; exit }'
}

throughput() {
  start_cobble "$work/cobble"
  start_redis "$work/redis"
  {
    echo "## redis-benchmark, appendfsync $FSYNC, -c $CLIENTS, -n $N (-n $N_LARGE with -d above 1024), -r $KEYSPACE"
    echo
    echo "redis: $(redis-server --version | awk '{print $3}'), cobble: $("$work/cobble-server" --version), $(nproc) cores, $(date -u +%Y-%m-%d)"
    echo
    echo "| test | -P | -d | cobble ops/s | redis ops/s | ratio | cobble p50/p99 ms | redis p50/p99 ms |"
    echo "|---|---|---|---|---|---|---|---|"
  } | tee "$OUT"
  IFS=',' read -ra tests <<< "$TESTS"
  for size in $SIZES; do
    for pipe in $PIPES; do
      for t in "${tests[@]}"; do
        read -r c_rps c_p50 c_p99 < <(bench_one "$COBBLE_PORT" "$t" "$pipe" "$size")
        read -r r_rps r_p50 r_p99 < <(bench_one "$REDIS_PORT" "$t" "$pipe" "$size")
        ratio=$(awk -v a="$c_rps" -v b="$r_rps" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
        echo "| $t | $pipe | $size | $c_rps | $r_rps | $ratio | $c_p50 / $c_p99 | $r_p50 / $r_p99 |" | tee -a "$OUT"
      done
    done
  done
  echo | tee -a "$OUT"
  echo "cobble RSS: $(awk '/VmRSS/ {print $2" kB"}' /proc/$cobble_pid/status), redis RSS: $(awk '/VmRSS/ {print $2" kB"}' /proc/$redis_pid/status)" | tee -a "$OUT"
  stop "$cobble_pid" "$COBBLE_PORT"
  stop "$redis_pid" "$REDIS_PORT"
}

# gen_keys N: RESP SET commands for N distinct 100-byte-value keys.
gen_keys() {
  awk -v n="$1" 'BEGIN {
    v = sprintf("%0100d", 0)
    for (i = 0; i < n; i++) {
      k = "key:" i
      printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$100\r\n%s\r\n", length(k), k, v
    }
  }'
}

ms_now() { date +%s%3N; }

restart() {
  {
    echo "## restart time (kill -9 after loading, then start until PING answers PONG), appendfsync $FSYNC"
    echo
    echo "| keys | cobble restart ms | redis restart ms | speed-up | cobble disk | redis disk | cobble RSS | redis RSS |"
    echo "|---|---|---|---|---|---|---|---|"
  } | tee -a "$OUT"
  for keys in $RESTART_KEYS; do
    rm -rf "$work/cobble" "$work/redis"
    start_cobble "$work/cobble"
    start_redis "$work/redis"
    gen_keys "$keys" > "$work/keys.resp"
    redis-cli -p "$COBBLE_PORT" --pipe < "$work/keys.resp" >/dev/null
    redis-cli -p "$REDIS_PORT" --pipe < "$work/keys.resp" >/dev/null
    rm -f "$work/keys.resp"
    sleep 1.5 # let everysec fsync both logs
    c_rss=$(awk '/VmRSS/ {print int($2/1024)" MB"}' /proc/$cobble_pid/status)
    r_rss=$(awk '/VmRSS/ {print int($2/1024)" MB"}' /proc/$redis_pid/status)
    kill -9 "$cobble_pid" "$redis_pid"; wait "$cobble_pid" "$redis_pid" 2>/dev/null || true
    t0=$(ms_now); start_cobble "$work/cobble"; t1=$(ms_now)
    c_ms=$((t1 - t0))
    [ "$(redis-cli -p "$COBBLE_PORT" dbsize)" = "$keys" ] || echo "cobble lost keys: $(redis-cli -p "$COBBLE_PORT" dbsize)" >&2
    t0=$(ms_now); start_redis "$work/redis"; t1=$(ms_now)
    r_ms=$((t1 - t0))
    [ "$(redis-cli -p "$REDIS_PORT" dbsize)" = "$keys" ] || echo "redis lost keys" >&2
    c_disk=$(du -sh "$work/cobble" | cut -f1); r_disk=$(du -sh "$work/redis" | cut -f1)
    ratio=$(awk -v a="$c_ms" -v b="$r_ms" 'BEGIN { printf "%.1fx", b / (a > 0 ? a : 1) }')
    echo "| $keys | $c_ms | $r_ms | $ratio | $c_disk | $r_disk | $c_rss | $r_rss |" | tee -a "$OUT"
    stop "$cobble_pid" "$COBBLE_PORT"
    stop "$redis_pid" "$REDIS_PORT"
  done
}

# memory: a data set several times the block cache, served with bounded RSS.
memory() {
  keys=${MEM_KEYS:-2000000}
  size=${MEM_VALUE:-1000}
  cache=${MEM_CACHE:-64mb}
  rows=${MEM_ROW_CACHE:-64mb}
  {
    echo "## bounded memory: $keys keys x $size bytes, cache-size $cache, row-cache-size $rows"
    echo
  } | tee -a "$OUT"
  rm -rf "$work/cobble"; mkdir -p "$work/cobble"
  "$work/cobble-server" --port "$COBBLE_PORT" --bind 127.0.0.1 --dir "$work/cobble" \
    --appendonly yes --appendfsync everysec --save "" --cache-size "$cache" --row-cache-size "$rows" --loglevel warning >"$work/cobble/log" 2>&1 &
  cobble_pid=$!; pids+=("$cobble_pid")
  wait_ready "$COBBLE_PORT"
  awk -v n="$keys" -v sz="$size" 'BEGIN {
    v = sprintf("%0" sz "d", 0)
    for (i = 0; i < n; i++) { k = "key:" i; printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, sz, v }
  }' | redis-cli -p "$COBBLE_PORT" --pipe >/dev/null
  sleep 2
  data_mb=$(( keys * size / 1048576 ))
  rss1=$(awk '/VmRSS/ {print int($2/1024)}' /proc/$cobble_pid/status)
  redis-benchmark -p "$COBBLE_PORT" -t get -n "$N" -c "$CLIENTS" -r "$keys" -q >/dev/null 2>&1 || true
  rss2=$(awk '/VmRSS/ {print int($2/1024)}' /proc/$cobble_pid/status)
  hwm=$(awk '/VmHWM/ {print int($2/1024)}' /proc/$cobble_pid/status)
  disk=$(du -sm "$work/cobble" | cut -f1)
  {
    echo "| data set | RSS after load | RSS after random GETs | peak RSS | disk |"
    echo "|---|---|---|---|---|"
    echo "| ${data_mb} MB | ${rss1} MB | ${rss2} MB | ${hwm} MB | ${disk} MB |"
    echo
    echo "per million keys: disk $(( disk * 1000000 / keys )) MB, RSS $(( rss2 * 1000000 / keys )) MB"
  } | tee -a "$OUT"
  stop "$cobble_pid" "$COBBLE_PORT"
}

case "$MODE" in
  throughput) throughput ;;
  restart) : > "$OUT"; restart ;;
  memory) : > "$OUT"; memory ;;
  all) throughput; echo >> "$OUT"; restart; echo >> "$OUT"; memory ;;
  *) echo "usage: $0 [throughput|restart|all]" >&2; exit 2 ;;
esac
echo "results in $OUT"
