package main

// Replication measurements, cobble and real Redis side by side on the same
// machine. They take minutes, so they run only when asked:
//
//	COBBLE_REPL_BENCH=1 go test ./cmd/cobble-server -run Bench -v -timeout 30m
//	COBBLE_REPL_BENCH=1 REPL_BENCH_KEYS=500000 go test ./cmd/cobble-server -run BenchRepl_FullSync -v
//
// They report through t.Log: full resync time for a data set of
// REPL_BENCH_KEYS keys (default 2M), and the replication lag while
// redis-benchmark writes to the master.

import (
	"context"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func needBench(t *testing.T) {
	t.Helper()
	if os.Getenv("COBBLE_REPL_BENCH") == "" {
		t.Skip("set COBBLE_REPL_BENCH=1 to run replication measurements")
	}
	needRedis(t)
}

// fill writes keys string keys of 32 random bytes with pipelined MSETs.
func fill(t *testing.T, n *node, keys int) time.Duration {
	t.Helper()
	start := time.Now()
	bulk(t, n, "key", keys, 32)
	return time.Since(start)
}

// TestBenchRepl_FullSync measures how long a fresh replica takes to be
// in sync with a master holding REPL_BENCH_KEYS keys: cobble→cobble and
// Redis→Redis.
func TestBenchRepl_FullSync(t *testing.T) {
	needBench(t)
	keys := 2_000_000
	if v, err := strconv.Atoi(os.Getenv("REPL_BENCH_KEYS")); err == nil {
		keys = v
	}
	for _, kind := range []string{"cobble", "redis"} {
		start := func(lines ...string) *node {
			if kind == "redis" {
				return startRedis(t, lines...)
			}
			return startCobble(t, lines...)
		}
		m := start()
		d := fill(t, m, keys)
		r := start()
		begin := time.Now()
		r.do("REPLICAOF", "127.0.0.1", m.port)
		var sawSync time.Duration
		waitNodes(t, 20*time.Minute, func() error {
			if sawSync == 0 {
				if i, err := r.info("replication"); err == nil && i["master_sync_in_progress"] == "1" {
					sawSync = time.Since(begin)
				}
			}
			return synced(m, r)
		}, m, r)
		total := time.Since(begin)
		size := r.c.DBSize(context.Background()).Val()
		if size != int64(keys) {
			t.Fatalf("%s: replica has %d keys, want %d", kind, size, keys)
		}
		t.Logf("%s: %d keys (filled in %v): full resync %v (%.0f keys/s); load average %s", kind, keys, d.Round(time.Millisecond),
			total.Round(time.Millisecond), float64(keys)/total.Seconds(), loadAvg())
		if kind == "cobble" {
			// Where the time went: the master's send, the replica's load.
			for _, l := range strings.Split(m.logText()+r.logText(), "\n") {
				if strings.Contains(l, "full resync sent") || strings.Contains(l, "full resync loaded") || strings.Contains(l, "full resync from master") {
					t.Log(l)
				}
			}
		}
		m.kill9()
		r.kill9()
	}
}

// TestBenchRepl_Lag samples master_repl_offset minus the replica's offset
// every 50 ms while redis-benchmark -c 50 -P 16 -t set writes to the
// master (REPL_BENCH_REQUESTS requests, default 1M), and how long the
// replica takes to catch up afterwards. It also reports how far back a
// partial resync could reach on the master (repl_backlog_histlen) at the
// end of the load, with the default repl-backlog-size, and how a replica
// stopped during a second such load resyncs when it restarts.
func TestBenchRepl_Lag(t *testing.T) {
	needBench(t)
	bench, err := exec.LookPath("redis-benchmark")
	if err != nil {
		t.Skip("redis-benchmark not installed: apt-get install redis-tools")
	}
	for _, kind := range []string{"cobble", "redis"} {
		var m, r *node
		if kind == "redis" {
			m = startRedis(t)
			r = startRedis(t, "replicaof 127.0.0.1 "+strconv.Itoa(m.port))
		} else {
			m = startCobble(t)
			r = startCobble(t, "replicaof 127.0.0.1 "+strconv.Itoa(m.port))
		}
		waitSynced(t, 30*time.Second, m, r)
		requests := "1000000"
		if v := os.Getenv("REPL_BENCH_REQUESTS"); v != "" {
			requests = v
		}
		cmd := exec.Command(bench, "-p", strconv.Itoa(m.port), "-c", "50", "-t", "set", "-n", requests, "-P", "16", "-r", "1000000", "-q")
		var out strings.Builder
		cmd.Stdout, cmd.Stderr = &out, &out
		startOff := m.infoInt("replication", "master_repl_offset")
		begin := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var lags []int64
		var maxAt time.Duration // when the largest lag was seen
		tick := time.NewTicker(50 * time.Millisecond)
	sample:
		for {
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("redis-benchmark: %v\n%s", err, out.String())
				}
				break sample
			case <-tick.C:
				mo, err1 := m.info("replication")
				ro, err2 := r.info("replication")
				if err1 != nil || err2 != nil {
					continue
				}
				a, _ := strconv.ParseInt(mo["master_repl_offset"], 10, 64)
				b, _ := strconv.ParseInt(ro["slave_repl_offset"], 10, 64)
				if len(lags) == 0 || a-b > slices.Max(lags) {
					maxAt = time.Since(begin)
				}
				lags = append(lags, max(0, a-b))
			}
		}
		tick.Stop()
		loadTime := time.Since(begin)
		endLoad := time.Now()
		waitSynced(t, 5*time.Minute, m, r)
		catchUp := time.Since(endLoad)
		slices.Sort(lags)
		var sum int64
		for _, l := range lags {
			sum += l
		}
		pct := func(p float64) int64 {
			if len(lags) == 0 {
				return 0
			}
			return lags[min(len(lags)-1, int(p*float64(len(lags))))]
		}
		mean := int64(0)
		if len(lags) > 0 {
			mean = sum / int64(len(lags))
		}
		mi := m.mustInfo("replication")
		endOff, _ := strconv.ParseInt(mi["master_repl_offset"], 10, 64)
		rate := float64(endOff-startOff) / loadTime.Seconds() // stream bytes per second
		inTime := func(b int64) time.Duration {
			return time.Duration(float64(b) / rate * float64(time.Second)).Round(time.Millisecond)
		}
		t.Logf("%s: %s; load %v (%.1f MB/s of stream), %d samples: lag bytes mean %d p50 %d p99 %d max %d (at %v), "+
			"i.e. %v / %v / %v / %v of writes; caught up %v after the load; "+
			"backlog: repl_backlog_histlen %s of master_repl_offset %s (first byte %s); load average %s",
			kind, strings.TrimSpace(lastLine(out.String())), loadTime.Round(time.Millisecond), rate/1e6, len(lags),
			mean, pct(0.5), pct(0.99), pct(1), maxAt.Round(time.Millisecond),
			inTime(mean), inTime(pct(0.5)), inTime(pct(0.99)), inTime(pct(1)), catchUp.Round(time.Millisecond),
			mi["repl_backlog_histlen"], mi["master_repl_offset"], mi["repl_backlog_first_byte_offset"], loadAvg())

		// Catch-up: the replica stops, a fifth of the load runs again
		// (~9 MB of stream), the replica restarts: a partial resync when
		// its offset is still in the master's log (cobble: the load stays
		// inside the first 64 MB segment), a full one when it is not
		// (Redis's 1 MB in-memory backlog).
		behindFrom := m.infoInt("replication", "master_repl_offset")
		if kind == "redis" {
			r.c.Do(context.Background(), "SHUTDOWN", "SAVE")
			r.p.cmd.Wait()
		} else {
			r.term()
		}
		n, _ := strconv.Atoi(requests)
		again := exec.Command(bench, "-p", strconv.Itoa(m.port), "-c", "50", "-t", "set", "-n", strconv.Itoa(n/5), "-P", "16", "-r", "1000000", "-q")
		if b, err := again.CombinedOutput(); err != nil {
			t.Fatalf("redis-benchmark: %v\n%s", err, b)
		}
		behind := m.infoInt("replication", "master_repl_offset") - behindFrom
		full0, partial0 := m.infoInt("stats", "sync_full"), m.infoInt("stats", "sync_partial_ok")
		restart := time.Now()
		r.start()
		waitSynced(t, 10*time.Minute, m, r)
		how := "full"
		if m.infoInt("stats", "sync_partial_ok") > partial0 && m.infoInt("stats", "sync_full") == full0 {
			how = "partial"
		}
		took := time.Since(restart)
		t.Logf("%s: replica restarted %d bytes behind: %s resync, in sync %v after its start (%.1f MB/s); load average %s",
			kind, behind, how, took.Round(time.Millisecond), float64(behind)/took.Seconds()/1e6, loadAvg())
		m.kill9()
		r.kill9()
	}
}

// loadAvg is the machine's load averages (1, 5, 15 min), for the record.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexAny(s, "\r\n"); i >= 0 {
		return s[i+1:]
	}
	return s
}
