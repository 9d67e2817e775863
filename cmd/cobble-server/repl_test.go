package main

// Replication on the built binary: masters and replicas (cobble and real
// redis-server) run as separate processes, are stopped with SIGTERM or
// SIGKILL and restarted, and talk through a TCP proxy the test can slow
// down or cut.
//
// Failure cases covered: a replica restarted after SIGTERM and after
// SIGKILL (partial resync from the log, writes in several dbs); a replica
// promoted with REPLICAOF NO ONE and the old master following it (partial
// resync through replid2), then the roles swapped back; a chained
// replica; a master killed in the middle of a full sync (the replica keeps
// serving the whole old data set, never a half-loaded one); a replica
// killed in the middle of a full sync; the link cut half-way through the
// RDB; the stream cut inside a command; a master whose data directory was
// wiped (new replid: full resync); WAIT with a replica killed; real Redis
// on either side of the link, including its compact encodings, MULTI/EXEC,
// PEXPIREAT, PINGs, REPLCONF GETACK, an ACL user for masteruser and a
// partial resync after it restarts.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// node is a cobble-server or redis-server process with its config, which
// can be stopped and started again on the same directory.
type node struct {
	t     *testing.T
	p     *proc
	dir   string
	conf  string
	port  int
	redis bool
	c     *redis.Client
}

// startCobble starts a cobble-server with extra redis.conf lines.
func startCobble(t *testing.T, lines ...string) *node {
	t.Helper()
	dir := t.TempDir()
	port := freePort(t)
	base := []string{"port " + strconv.Itoa(port), "bind 127.0.0.1", "dir " + dir, `save ""`}
	n := &node{t: t, dir: dir, port: port, conf: writeConf(t, dir, append(base, lines...)...)}
	n.start()
	return n
}

// startRedis starts a real redis-server with extra redis.conf lines; the
// test skips when it is not installed (and fails in CI).
func startRedis(t *testing.T, lines ...string) *node {
	t.Helper()
	needRedis(t)
	dir := t.TempDir()
	port := freePort(t)
	base := []string{"port " + strconv.Itoa(port), "bind 127.0.0.1", "dir " + dir, `save ""`,
		"appendonly no", "daemonize no", `logfile ""`, "repl-diskless-sync-delay 0"}
	n := &node{t: t, dir: dir, port: port, redis: true, conf: writeConf(t, dir, append(base, lines...)...)}
	n.start()
	return n
}

func needRedis(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server not installed in CI")
		}
		t.Skip("redis-server not installed: apt-get install redis-server")
	}
}

func (n *node) start() {
	n.t.Helper()
	if !n.redis {
		n.p = startProc(n.t, n.conf, n.port)
	} else {
		logPath := filepath.Join(n.dir, "server.log")
		f, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			n.t.Fatal(err)
		}
		cmd := exec.Command("redis-server", n.conf)
		cmd.Stdout, cmd.Stderr = f, f
		if err := cmd.Start(); err != nil {
			n.t.Fatal(err)
		}
		f.Close()
		p := &proc{cmd: cmd, port: n.port, log: logPath}
		n.t.Cleanup(p.kill)
		n.p = p
		waitFor(n.t, 20*time.Second, func() error {
			c := p.client()
			defer c.Close()
			return c.Ping(context.Background()).Err()
		}, p)
	}
	if n.c != nil {
		n.c.Close()
	}
	n.c = n.p.client()
	n.t.Cleanup(func() { n.c.Close() })
}

// addConf appends lines to the node's redis.conf (for its next start).
func (n *node) addConf(lines ...string) {
	n.t.Helper()
	f, err := os.OpenFile(n.conf, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		n.t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(strings.Join(lines, "\n") + "\n"); err != nil {
		n.t.Fatal(err)
	}
}

func (n *node) addr() string { return fmt.Sprintf("127.0.0.1:%d", n.port) }

func (n *node) String() string {
	if n.redis {
		return "redis:" + strconv.Itoa(n.port)
	}
	return "cobble:" + strconv.Itoa(n.port)
}

// term stops the process with SIGTERM (a clean shutdown) and waits.
func (n *node) term() {
	n.t.Helper()
	n.p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- n.p.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		n.p.kill()
		n.t.Fatalf("%v did not exit after SIGTERM\n%s", n, n.logText())
	}
}

// kill9 stops the process with SIGKILL.
func (n *node) kill9() { n.p.kill() }

func (n *node) logText() string {
	b, _ := os.ReadFile(n.p.log)
	return string(b)
}

// do runs a command and fails the test on an error reply.
func (n *node) do(args ...any) any {
	n.t.Helper()
	v, err := n.c.Do(context.Background(), args...).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		n.t.Fatalf("%v: %v: %v", n, args, err)
	}
	return v
}

// info returns one INFO section as a map.
func (n *node) info(section string) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := n.c.Info(ctx, section).Result()
	if err != nil {
		return nil, err
	}
	m := map[string]string{}
	for _, line := range strings.Split(s, "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = v
		}
	}
	return m, nil
}

func (n *node) mustInfo(section string) map[string]string {
	n.t.Helper()
	m, err := n.info(section)
	if err != nil {
		n.t.Fatalf("%v: INFO %s: %v", n, section, err)
	}
	return m
}

func (n *node) infoInt(section, field string) int64 {
	n.t.Helper()
	v, ok := n.mustInfo(section)[field]
	if !ok {
		n.t.Fatalf("%v: INFO %s has no %s", n, section, field)
	}
	i, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		n.t.Fatalf("%v: INFO %s:%s = %q", n, section, field, v)
	}
	return i
}

// waitNodes polls f until it succeeds, failing with the logs of nodes.
func waitNodes(t *testing.T, d time.Duration, f func() error, nodes ...*node) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			var sb strings.Builder
			for _, n := range nodes {
				fmt.Fprintf(&sb, "--- %v log ---\n%s\n", n, tail(n.logText(), 40))
			}
			t.Fatalf("timed out: %v\n%s", err, sb.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func tail(s string, lines int) string {
	l := strings.Split(s, "\n")
	if len(l) > lines {
		l = l[len(l)-lines:]
	}
	return strings.Join(l, "\n")
}

// synced reports nil once every replica's link is up and its offset is
// the master's.
func synced(master *node, replicas ...*node) error {
	m, err := master.info("replication")
	if err != nil {
		return err
	}
	want := m["master_repl_offset"]
	for _, r := range replicas {
		ri, err := r.info("replication")
		if err != nil {
			return err
		}
		if ri["master_link_status"] != "up" {
			return fmt.Errorf("%v: master_link_status %q", r, ri["master_link_status"])
		}
		if ri["master_repl_offset"] != want || ri["slave_repl_offset"] != want {
			return fmt.Errorf("%v: offset %s/%s, master %v at %s", r, ri["master_repl_offset"], ri["slave_repl_offset"], master, want)
		}
	}
	return nil
}

func waitSynced(t *testing.T, d time.Duration, master *node, replicas ...*node) {
	t.Helper()
	waitNodes(t, d, func() error { return synced(master, replicas...) }, append([]*node{master}, replicas...)...)
}

// --- digest ---------------------------------------------------------------

// dataset is every key of every db: its type and value, and its expiry.
type dataset struct {
	vals map[string]string // "db/key" → "type value"
	exp  map[string]int64  // "db/key" → PEXPIRETIME (ms), for keys with a TTL
	at   int64             // unix ms when it was read
}

const digestDBs = 16

// digest reads the whole data set of a node: SCAN every db, TYPE and
// PEXPIRETIME of every key, then the value by type.
func digest(ctx context.Context, c *redis.Client) (*dataset, error) {
	d := &dataset{vals: map[string]string{}, exp: map[string]int64{}, at: time.Now().UnixMilli()}
	cn := c.Conn()
	defer cn.Close()
	for db := range digestDBs {
		if err := cn.Select(ctx, db).Err(); err != nil {
			return nil, err
		}
		var cursor uint64
		for {
			keys, next, err := cn.Scan(ctx, cursor, "*", 1000).Result()
			if err != nil {
				return nil, fmt.Errorf("db %d: SCAN: %w", db, err)
			}
			if err := digestKeys(ctx, cn, db, keys, d); err != nil {
				return nil, fmt.Errorf("db %d: %w", db, err)
			}
			if cursor = next; cursor == 0 {
				break
			}
		}
	}
	return d, nil
}

func digestKeys(ctx context.Context, cn *redis.Conn, db int, keys []string, d *dataset) error {
	if len(keys) == 0 {
		return nil
	}
	types := make([]*redis.StatusCmd, len(keys))
	exps := make([]*redis.Cmd, len(keys))
	if _, err := cn.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			types[i] = p.Type(ctx, k)
			exps[i] = p.Do(ctx, "PEXPIRETIME", k)
		}
		return nil
	}); err != nil {
		return err
	}
	vals := make([]redis.Cmder, len(keys))
	if _, err := cn.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range keys {
			switch types[i].Val() {
			case "string":
				vals[i] = p.Get(ctx, k)
			case "hash":
				vals[i] = p.HGetAll(ctx, k)
			case "list":
				vals[i] = p.LRange(ctx, k, 0, -1)
			case "set":
				vals[i] = p.SMembers(ctx, k)
			case "zset":
				vals[i] = p.ZRangeWithScores(ctx, k, 0, -1)
			}
		}
		return nil
	}); err != nil && !errors.Is(err, redis.Nil) {
		return err
	}
	for i, k := range keys {
		id := strconv.Itoa(db) + "/" + k
		var v string
		switch c := vals[i].(type) {
		case nil:
			continue // expired between SCAN and TYPE ("none")
		case *redis.StringCmd:
			if c.Err() != nil {
				continue
			}
			v = c.Val()
		case *redis.MapStringStringCmd:
			m := c.Val()
			fs := make([]string, 0, len(m))
			for f, x := range m {
				fs = append(fs, f+"="+x)
			}
			slices.Sort(fs)
			v = strings.Join(fs, ",")
		case *redis.StringSliceCmd:
			l := c.Val()
			if types[i].Val() == "set" {
				l = slices.Clone(l)
				slices.Sort(l)
			}
			v = strings.Join(l, ",")
		case *redis.ZSliceCmd:
			var sb strings.Builder
			for _, z := range c.Val() {
				fmt.Fprintf(&sb, "%v:%s,", z.Member, strconv.FormatFloat(z.Score, 'g', -1, 64))
			}
			v = sb.String()
		}
		d.vals[id] = types[i].Val() + " " + v
		if e, _ := exps[i].Int64(); e > 0 {
			d.exp[id] = e
		}
	}
	return nil
}

// diff compares two data sets. Keys about to expire (or expired but not
// yet deleted) are left out: nodes read at different moments may differ
// on them.
func (d *dataset) diff(o *dataset) error {
	soon := max(d.at, o.at) + 3000
	volatile := func(id string) bool {
		e1, ok1 := d.exp[id]
		e2, ok2 := o.exp[id]
		return ok1 && e1 <= soon || ok2 && e2 <= soon
	}
	var diffs []string
	n := 0
	for id, v := range d.vals {
		if volatile(id) {
			continue
		}
		n++
		w, ok := o.vals[id]
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("%s missing (want %.80s)", id, v))
		case v != w:
			diffs = append(diffs, fmt.Sprintf("%s = %.80s, want %.80s", id, w, v))
		case d.exp[id] != o.exp[id]:
			diffs = append(diffs, fmt.Sprintf("%s expires at %d, want %d", id, o.exp[id], d.exp[id]))
		}
	}
	for id, w := range o.vals {
		if _, ok := d.vals[id]; !ok && !volatile(id) {
			diffs = append(diffs, fmt.Sprintf("%s = %.80s should not exist", id, w))
		}
	}
	if len(diffs) > 0 {
		slices.Sort(diffs)
		return fmt.Errorf("%d of %d keys differ: %s", len(diffs), n, strings.Join(diffs[:min(len(diffs), 10)], "; "))
	}
	return nil
}

// sameData checks that every node holds the master's data set, retrying
// while replicas catch up.
func sameData(t *testing.T, master *node, others ...*node) int {
	t.Helper()
	ctx := context.Background()
	var keys int
	waitNodes(t, 30*time.Second, func() error {
		want, err := digest(ctx, master.c)
		if err != nil {
			return err
		}
		keys = len(want.vals)
		for _, o := range others {
			got, err := digest(ctx, o.c)
			if err != nil {
				return err
			}
			if err := want.diff(got); err != nil {
				return fmt.Errorf("%v vs %v: %w", o, master, err)
			}
		}
		return nil
	}, append([]*node{master}, others...)...)
	return keys
}

// --- write load -------------------------------------------------------------

// load sends n writes of every type over dbs 0–3 in pipelines: strings
// with and without TTLs, counters, floats (propagated as SET), hashes,
// lists, sets (SPOP is propagated as SREM), sorted sets, EXPIRE/PERSIST,
// DEL and GETEX. A few keys get TTLs short enough to expire during the
// test, so the master's DELs of expired keys are replicated too (unless
// noShort is set: a test that needs the master's offset to stay still
// once the load is done).
func load(t *testing.T, c *redis.Client, n int, seed uint64) { loadWith(t, c, n, seed, false) }

func loadWith(t *testing.T, c *redis.Client, n int, seed uint64, noShort bool) {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(seed, 7))
	cn := c.Conn()
	defer cn.Close()
	const batch = 1000
	for done := 0; done < n; {
		_, err := cn.Pipelined(ctx, func(p redis.Pipeliner) error {
			db := -1
			for i := 0; i < batch && done < n; i++ {
				if d := rng.IntN(4); d != db || i == 0 {
					db = d
					p.Select(ctx, db)
				}
				loadOne(ctx, p, rng, done, noShort)
				done++
			}
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) && !strings.HasPrefix(err.Error(), "WRONGTYPE") {
			t.Fatalf("load: %v", err)
		}
	}
}

func loadOne(ctx context.Context, p redis.Pipeliner, rng *rand.Rand, i int, noShort bool) {
	k := rng.IntN(2000)
	val := fmt.Sprintf("v%d-%d", i, rng.IntN(1e6))
	switch rng.IntN(24) {
	case 0, 1, 2:
		p.Set(ctx, fmt.Sprintf("s:%d", k), val, 0)
	case 3:
		p.Set(ctx, fmt.Sprintf("s:%d", k), val, time.Duration(100+rng.IntN(900))*time.Second)
	case 4:
		ttl := time.Duration(1+rng.IntN(200)) * time.Millisecond
		if noShort {
			ttl = time.Hour
		}
		p.Set(ctx, fmt.Sprintf("short:%d", k), val, ttl)
	case 5:
		p.Incr(ctx, fmt.Sprintf("ctr:%d", k%100))
	case 6:
		p.IncrByFloat(ctx, fmt.Sprintf("flt:%d", k%50), 1.25)
	case 7, 8:
		p.HSet(ctx, fmt.Sprintf("h:%d", k%800), fmt.Sprintf("f%d", rng.IntN(20)), val)
	case 9:
		p.HDel(ctx, fmt.Sprintf("h:%d", k%800), fmt.Sprintf("f%d", rng.IntN(20)))
	case 10:
		p.RPush(ctx, fmt.Sprintf("l:%d", k%400), val)
	case 11:
		p.LPush(ctx, fmt.Sprintf("l:%d", k%400), val, "x")
	case 12:
		p.LPop(ctx, fmt.Sprintf("l:%d", k%400))
	case 13, 14:
		p.SAdd(ctx, fmt.Sprintf("set:%d", k%400), fmt.Sprintf("m%d", rng.IntN(40)), rng.IntN(1000))
	case 15:
		p.SPop(ctx, fmt.Sprintf("set:%d", k%400))
	case 16:
		p.SRem(ctx, fmt.Sprintf("set:%d", k%400), fmt.Sprintf("m%d", rng.IntN(40)))
	case 17, 18:
		p.ZAdd(ctx, fmt.Sprintf("z:%d", k%400), redis.Z{Score: float64(rng.IntN(1000)) / 4, Member: fmt.Sprintf("m%d", rng.IntN(30))})
	case 19:
		p.ZIncrBy(ctx, fmt.Sprintf("z:%d", k%400), 1.5, fmt.Sprintf("m%d", rng.IntN(30)))
	case 20:
		p.Expire(ctx, fmt.Sprintf("h:%d", k%800), time.Duration(500+rng.IntN(500))*time.Second)
	case 21:
		p.Persist(ctx, fmt.Sprintf("s:%d", k))
	case 22:
		p.Del(ctx, fmt.Sprintf("s:%d", k))
	case 23:
		p.GetEx(ctx, fmt.Sprintf("s:%d", k), time.Duration(300+rng.IntN(300))*time.Second)
	}
}

// selectAndSet writes key=val in db over one connection, so the master's
// stream is left in db.
func selectAndSet(t *testing.T, n *node, db int, pairs ...string) {
	t.Helper()
	ctx := context.Background()
	cn := n.c.Conn()
	defer cn.Close()
	if _, err := cn.Pipelined(ctx, func(p redis.Pipeliner) error {
		p.Select(ctx, db)
		for i := 0; i+1 < len(pairs); i += 2 {
			p.Set(ctx, pairs[i], pairs[i+1], 0)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}

// --- proxy ------------------------------------------------------------------

// proxy forwards TCP connections to a target. The master→replica direction
// can be slowed down (rate) or cut after a number of bytes (cutAfter), and
// every connection can be cut at once.
type proxy struct {
	t      *testing.T
	ln     net.Listener
	target string
	rate   atomic.Int64 // bytes per second towards the replica; 0 = unlimited
	cutAt  atomic.Int64 // cut when this many more bytes went to the replica; 0 = never
	down   atomic.Int64 // bytes sent towards replicas so far
	mu     sync.Mutex
	conns  map[net.Conn]bool
	wg     sync.WaitGroup
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{t: t, ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *proxy) port() int { return p.ln.Addr().(*net.TCPAddr).Port }

func (p *proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		up, err := net.DialTimeout("tcp", p.target, time.Second)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns[c], p.conns[up] = true, true
		p.mu.Unlock()
		p.wg.Add(2)
		go func() {
			defer p.wg.Done()
			io.Copy(up, c)
			up.Close()
			c.Close()
		}()
		go func() {
			defer p.wg.Done()
			p.pump(c, up)
			up.Close()
			c.Close()
		}()
	}
}

// pump copies master→replica bytes, applying rate and cutAt.
func (p *proxy) pump(dst, src net.Conn) {
	buf := make([]byte, 16<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			b := buf[:n]
			if left := p.cutAt.Load(); left > 0 {
				if int64(n) >= left {
					dst.Write(b[:left])
					p.down.Add(left)
					p.cutAt.Store(0)
					return
				}
				p.cutAt.Add(-int64(n))
			}
			if _, werr := dst.Write(b); werr != nil {
				return
			}
			p.down.Add(int64(n))
			if r := p.rate.Load(); r > 0 {
				time.Sleep(time.Duration(int64(n) * int64(time.Second) / r)) // simulates a slow link
			}
		}
		if err != nil {
			return
		}
	}
}

// cut closes every connection through the proxy; new ones are accepted.
func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

func (p *proxy) close() {
	p.ln.Close()
	p.cut()
	p.wg.Wait()
}

// --- tests ------------------------------------------------------------------

// writes scales the write loads: smaller with -short.
func writes(n int) int {
	if testing.Short() {
		return n / 5
	}
	return n
}

// TestRepl_TwoReplicasSameData: one replica configured with replicaof in
// redis.conf, one attached at runtime with REPLICAOF half-way through the
// load; ~100k writes of every type; both end with the master's data set
// and offset.
func TestRepl_TwoReplicasSameData(t *testing.T) {
	m := startCobble(t)
	r1 := startCobble(t, "replicaof 127.0.0.1 "+strconv.Itoa(m.port))
	r2 := startCobble(t)
	waitSynced(t, 20*time.Second, m, r1)
	n := writes(100_000)
	start := time.Now()
	load(t, m.c, n/2, 1)
	r2.do("REPLICAOF", "127.0.0.1", m.port)
	load(t, m.c, n/2, 2)
	loaded := time.Since(start)
	waitSynced(t, 60*time.Second, m, r1, r2)
	t.Logf("%d writes in %v, replicas caught up %v later", n, loaded, time.Since(start)-loaded)
	keys := sameData(t, m, r1, r2)
	if keys < 1000 {
		t.Fatalf("only %d keys", keys)
	}
	if got := r2.mustInfo("replication")["master_replid"]; got != m.mustInfo("replication")["master_replid"] {
		t.Fatalf("replica replid %s, master %s", got, m.mustInfo("replication")["master_replid"])
	}
	if full := m.infoInt("stats", "sync_full"); full != 2 {
		t.Fatalf("sync_full = %d, want 2", full)
	}
	// WAIT counts the replicas that acknowledged this client's writes.
	ctx := context.Background()
	m.c.Set(ctx, "waited", "1", 0)
	if n, err := m.c.Wait(ctx, 2, 10*time.Second).Result(); err != nil || n != 2 {
		t.Fatalf("WAIT 2 10000 = %d, %v; want 2", n, err)
	}
	r2.kill9()
	m.c.Set(ctx, "waited", "2", 0)
	start = time.Now()
	if n, err := m.c.Wait(ctx, 2, 500*time.Millisecond).Result(); err != nil || n != 1 || time.Since(start) < 500*time.Millisecond {
		t.Fatalf("WAIT 2 500 with one replica killed = %d, %v after %v; want 1 after 500ms", n, err, time.Since(start))
	}
	if n, err := m.c.Wait(ctx, 1, 10*time.Second).Result(); err != nil || n != 1 {
		t.Fatalf("WAIT 1 10000 = %d, %v; want 1", n, err)
	}
}

// TestRepl_LinkCutDuringFullSync cuts the link half-way through the RDB
// (the master stays up): the replica drops what it received, keeps its old
// data set and ends with the master's after a second full resync.
func TestRepl_LinkCutDuringFullSync(t *testing.T) {
	m := startCobble(t)
	bulk(t, m, "new", 20000, 200)
	px := newProxy(t, m.addr())
	r := startCobble(t)
	bulk(t, r, "old", 1000, 10)
	px.cutAt.Store(1 << 20) // inside the ~4.5 MB RDB
	r.do("REPLICAOF", "127.0.0.1", px.port())
	waitSynced(t, 30*time.Second, m, r)
	if full := m.infoInt("stats", "sync_full"); full != 2 {
		t.Fatalf("sync_full = %d, want 2 (the cut one and the next)", full)
	}
	if n := r.c.Exists(context.Background(), "old:1").Val(); n != 0 {
		t.Fatal("the replica kept a key of its old data set")
	}
	sameData(t, m, r)
}

// TestRepl_RestartedReplicaResyncsPartially stops a replica with SIGKILL
// right after its full resync (its new replid must already be durable),
// with SIGTERM and with SIGKILL again while the master keeps writing (in a
// db other than 0, so a replica that forgot which db the stream had
// selected puts keys in the wrong db): each restart continues from the
// replica's log.
func TestRepl_RestartedReplicaResyncsPartially(t *testing.T) {
	m := startCobble(t)
	load(t, m.c, writes(20_000), 3)
	selectAndSet(t, m, 2, "before", "1")
	r := startCobble(t, "replicaof 127.0.0.1 "+strconv.Itoa(m.port))
	waitSynced(t, 30*time.Second, m, r)
	for _, stop := range []struct {
		name string
		f    func()
	}{{"SIGKILL-after-full-sync", r.kill9}, {"SIGTERM", r.term}, {"SIGKILL", r.kill9}} {
		full, partial := m.infoInt("stats", "sync_full"), m.infoInt("stats", "sync_partial_ok")
		stop.f()
		// Still in db 2: the master sends no SELECT before these.
		selectAndSet(t, m, 2, "during-"+stop.name, "2")
		load(t, m.c, writes(5_000), 4)
		selectAndSet(t, m, 2, "after-"+stop.name, "3")
		r.start()
		waitSynced(t, 30*time.Second, m, r)
		if got := m.infoInt("stats", "sync_full"); got != full {
			t.Fatalf("%s: sync_full %d → %d: the restarted replica did a full resync\n%s", stop.name, full, got, r.logText())
		}
		if got := m.infoInt("stats", "sync_partial_ok"); got != partial+1 {
			t.Fatalf("%s: sync_partial_ok %d → %d", stop.name, partial, got)
		}
		sameData(t, m, r)
	}
}

// TestRepl_ChainedReplica: A → B → C; C gets A's writes through B with
// A's offsets. C's full resync from B happens while A's stream is in db 3
// and A's next write sends no SELECT: C must learn the db from B's RDB.
func TestRepl_ChainedReplica(t *testing.T) {
	a := startCobble(t)
	b := startCobble(t, "replicaof 127.0.0.1 "+strconv.Itoa(a.port))
	loadWith(t, a.c, writes(10_000), 5, true)
	selectAndSet(t, a, 3, "before-c", "1")
	waitSynced(t, 30*time.Second, a, b)
	c := startCobble(t)
	c.do("REPLICAOF", "127.0.0.1", b.port)
	waitSynced(t, 30*time.Second, a, b, c)
	selectAndSet(t, a, 3, "after-c", "1")
	loadWith(t, a.c, writes(10_000), 6, true)
	waitSynced(t, 30*time.Second, a, b, c)
	sameData(t, a, b, c)
	if got, want := c.mustInfo("replication")["master_replid"], a.mustInfo("replication")["master_replid"]; got != want {
		t.Fatalf("chained replica replid %s, want %s", got, want)
	}
}

// TestRepl_PromoteAndFollow: REPLICAOF NO ONE on the replica, the old
// master follows it with a partial resync (replid2), then the roles swap
// back the same way. z, a replica of x throughout, follows x through both
// changes: x writes as a master, applies y's stream as a replica, then
// writes as a master again, first in the db it last wrote in itself, which
// is not the db y's stream left selected.
func TestRepl_PromoteAndFollow(t *testing.T) {
	x := startCobble(t)
	y := startCobble(t, "replicaof 127.0.0.1 "+strconv.Itoa(x.port))
	z := startCobble(t, "replicaof 127.0.0.1 "+strconv.Itoa(x.port))
	// No short TTLs: a master that expires keys after its replica was
	// promoted has moved past the promotion point, and (as in Redis) can
	// only resync fully.
	loadWith(t, x.c, writes(10_000), 7, true)
	selectAndSet(t, x, 3, "x-last", "1")
	waitSynced(t, 30*time.Second, x, y, z)
	for round, pair := range [][2]*node{{x, y}, {y, x}} {
		master, replica := pair[0], pair[1]
		mi := master.mustInfo("replication")
		oldID, oldOff := mi["master_replid"], mi["master_repl_offset"]
		replica.do("REPLICAOF", "NO", "ONE")
		ri := replica.mustInfo("replication")
		off, _ := strconv.ParseInt(oldOff, 10, 64)
		if ri["role"] != "master" || ri["master_replid2"] != oldID || ri["second_repl_offset"] != strconv.FormatInt(off+1, 10) ||
			ri["master_replid"] == oldID || ri["master_repl_offset"] != oldOff {
			t.Fatalf("round %d: after REPLICAOF NO ONE: role=%s replid=%s replid2=%s (old %s) offset=%s second=%s (old offset %s)", round,
				ri["role"], ri["master_replid"], ri["master_replid2"], oldID, ri["master_repl_offset"], ri["second_repl_offset"], oldOff)
		}
		newID := ri["master_replid"]
		// The promoted node takes writes: first in db 3, last in db 5.
		selectAndSet(t, replica, 3, fmt.Sprintf("promoted-%d", round), "1")
		loadWith(t, replica.c, writes(2_000), uint64(10+round), true)
		selectAndSet(t, replica, 5, fmt.Sprintf("last-%d", round), "1")
		partial := replica.infoInt("stats", "sync_partial_ok")
		full := replica.infoInt("stats", "sync_full")
		master.do("REPLICAOF", "127.0.0.1", replica.port)
		waitSynced(t, 30*time.Second, replica, master)
		if got := replica.infoInt("stats", "sync_partial_ok"); got != partial+1 {
			t.Fatalf("round %d: sync_partial_ok on the promoted node %d → %d\n%s", round, partial, got, replica.logText())
		}
		if got := replica.infoInt("stats", "sync_full"); got != full {
			t.Fatalf("round %d: sync_full on the promoted node %d → %d", round, full, got)
		}
		fi := master.mustInfo("replication")
		if fi["role"] != "slave" || fi["master_replid"] != newID || fi["master_replid2"] != oldID || fi["second_repl_offset"] != strconv.FormatInt(off+1, 10) {
			t.Fatalf("round %d: old master: role=%s replid=%s (want %s) replid2=%s (want %s) second=%s (want %d)", round,
				fi["role"], fi["master_replid"], newID, fi["master_replid2"], oldID, fi["second_repl_offset"], off+1)
		}
		waitSynced(t, 30*time.Second, x, z)
		sameData(t, replica, master, z)
	}
}

// TestRepl_MasterKilledDuringFullSync kills the master while the replica
// loads its RDB (through a slow link): the replica keeps serving its old
// data set whole, and after the master restarts it ends with the new one.
// A reader checks throughout that every read sees one whole data set.
func TestRepl_MasterKilledDuringFullSync(t *testing.T) {
	const oldKeys, newKeys = 3000, 20000
	m := startCobble(t)
	ctx := context.Background()
	bulk(t, m, "new", newKeys, 200)
	m.c.Set(ctx, "gen", "new", 0)
	r := startCobble(t)
	bulk(t, r, "old", oldKeys, 10)
	r.c.Set(ctx, "gen", "old", 0)
	px := newProxy(t, m.addr())
	px.rate.Store(2 << 20) // ~2 s for the ~4.5 MB RDB

	seen, stopReader := consistentReader(t, r, map[string]int64{"old": oldKeys + 1, "new": newKeys + 1})
	r.do("REPLICAOF", "127.0.0.1", px.port())
	waitNodes(t, 20*time.Second, func() error {
		i, err := r.info("replication")
		if err != nil {
			return err
		}
		if n, _ := strconv.Atoi(i["master_sync_read_bytes"]); n < 512<<10 {
			return fmt.Errorf("sync_in_progress=%s read_bytes=%s", i["master_sync_in_progress"], i["master_sync_read_bytes"])
		}
		return nil
	}, m, r)
	m.kill9()
	waitNodes(t, 10*time.Second, func() error {
		if i, err := r.info("replication"); err != nil || i["master_sync_in_progress"] != "0" {
			return fmt.Errorf("sync still in progress (%v)", err)
		}
		return nil
	}, r)
	if n := r.c.DBSize(ctx).Val(); n != oldKeys+1 {
		t.Fatalf("after the master died mid-sync the replica has %d keys, want the old %d", n, oldKeys+1)
	}
	px.rate.Store(0)
	m.start()
	waitSynced(t, 30*time.Second, m, r)
	sameData(t, m, r)
	stopReader()
	if seen["old"].Load() == 0 || seen["new"].Load() == 0 {
		t.Fatalf("reader saw old %d times, new %d times", seen["old"].Load(), seen["new"].Load())
	}
}

// TestRepl_ReplicaKilledDuringFullSync kills the replica while it loads:
// it restarts with its old data set whole, then syncs again.
func TestRepl_ReplicaKilledDuringFullSync(t *testing.T) {
	const oldKeys, newKeys = 3000, 20000
	m := startCobble(t)
	ctx := context.Background()
	bulk(t, m, "new", newKeys, 200)
	px := newProxy(t, m.addr())
	px.rate.Store(2 << 20)
	r := startCobble(t)
	bulk(t, r, "old", oldKeys, 10)
	r.do("REPLICAOF", "127.0.0.1", px.port())
	r.addConf("replicaof 127.0.0.1 " + strconv.Itoa(px.port())) // for the restart
	waitNodes(t, 20*time.Second, func() error {
		i, err := r.info("replication")
		if err != nil {
			return err
		}
		if n, _ := strconv.Atoi(i["master_sync_read_bytes"]); n < 512<<10 {
			return fmt.Errorf("read_bytes=%s", i["master_sync_read_bytes"])
		}
		return nil
	}, m, r)
	r.kill9()
	px.cut()
	px.rate.Store(32 << 10) // slow enough that the next sync is still running when we look
	r.start()
	if n := r.c.DBSize(ctx).Val(); n != oldKeys {
		t.Fatalf("restarted mid-sync replica has %d keys, want the old %d", n, oldKeys)
	}
	if v := r.c.Get(ctx, "new:1").Val(); v != "" {
		t.Fatalf("restarted mid-sync replica serves a key of the unfinished load")
	}
	px.rate.Store(0)
	waitSynced(t, 30*time.Second, m, r)
	sameData(t, m, r)
}

// TestRepl_StreamCutInsideCommand cuts the link in the middle of a large
// command: the replica reconnects and continues where its log ends.
func TestRepl_StreamCutInsideCommand(t *testing.T) {
	m := startCobble(t)
	px := newProxy(t, m.addr())
	r := startCobble(t, "replicaof 127.0.0.1 "+strconv.Itoa(px.port()))
	load(t, m.c, writes(5_000), 8)
	waitSynced(t, 30*time.Second, m, r)
	full, partial := m.infoInt("stats", "sync_full"), m.infoInt("stats", "sync_partial_ok")
	px.cutAt.Store(40 << 10)
	big := strings.Repeat("b", 100<<10)
	selectAndSet(t, m, 1, "big", big, "after-big", "1")
	load(t, m.c, writes(2_000), 9)
	waitSynced(t, 30*time.Second, m, r)
	if got := m.infoInt("stats", "sync_full"); got != full {
		t.Fatalf("sync_full %d → %d after a cut", full, got)
	}
	if got := m.infoInt("stats", "sync_partial_ok"); got != partial+1 {
		t.Fatalf("sync_partial_ok %d → %d after a cut", partial, got)
	}
	sameData(t, m, r)
}

// TestRepl_MasterWithNewReplIDForcesFullSync wipes the master's data
// directory: it comes back with a new replid, and the replica must drop
// its data set for the master's, not continue.
func TestRepl_MasterWithNewReplIDForcesFullSync(t *testing.T) {
	m := startCobble(t)
	r := startCobble(t, "replicaof 127.0.0.1 "+strconv.Itoa(m.port))
	load(t, m.c, writes(5_000), 10)
	waitSynced(t, 30*time.Second, m, r)
	oldID := m.mustInfo("replication")["master_replid"]
	m.term()
	entries, _ := os.ReadDir(m.dir)
	for _, e := range entries {
		if e.Name() != "redis.conf" && e.Name() != "server.log" {
			os.RemoveAll(filepath.Join(m.dir, e.Name()))
		}
	}
	m.start()
	selectAndSet(t, m, 0, "fresh", "1")
	waitSynced(t, 30*time.Second, m, r)
	if id := m.mustInfo("replication")["master_replid"]; id == oldID {
		t.Fatal("wiped master kept its replid")
	}
	if full, perr := m.infoInt("stats", "sync_full"), m.infoInt("stats", "sync_partial_err"); full != 1 || perr != 1 {
		t.Fatalf("sync_full=%d sync_partial_err=%d, want 1 and 1", full, perr)
	}
	if n := sameData(t, m, r); n != 1 {
		t.Fatalf("%d keys, want 1", n)
	}
}

// TestInterop_RedisReplicaOfCobble: a real redis-server follows a cobble
// master: full sync, live stream, and a partial resync after it restarts
// (it keeps its replid across restarts through the RDB SHUTDOWN SAVE
// writes).
func TestInterop_RedisReplicaOfCobble(t *testing.T) {
	needRedis(t)
	m := startCobble(t)
	load(t, m.c, writes(10_000), 11)
	compactLoad(t, m)
	r := startRedis(t, "replicaof 127.0.0.1 "+strconv.Itoa(m.port))
	waitSynced(t, 30*time.Second, m, r)
	sameData(t, m, r)
	load(t, m.c, writes(10_000), 12)
	waitSynced(t, 30*time.Second, m, r)
	sameData(t, m, r)
	partial := m.infoInt("stats", "sync_partial_ok")
	full := m.infoInt("stats", "sync_full")
	r.c.Do(context.Background(), "SHUTDOWN", "SAVE")
	r.p.cmd.Wait()
	load(t, m.c, writes(2_000), 13)
	selectAndSet(t, m, 3, "while-down", "1")
	r.start()
	waitSynced(t, 30*time.Second, m, r)
	if got := m.infoInt("stats", "sync_partial_ok"); got != partial+1 {
		t.Fatalf("sync_partial_ok %d → %d after the Redis replica restarted\n%s", partial, got, r.logText())
	}
	if !strings.Contains(r.logText(), "Successful partial resynchronization with master") {
		t.Fatalf("the Redis replica did not log a partial resync\n%s", tail(r.logText(), 30))
	}
	// WAIT: cobble's REPLCONF GETACK is answered by the Redis replica.
	m.c.Set(context.Background(), "waited", "1", 0)
	if n, err := m.c.Wait(context.Background(), 1, 10*time.Second).Result(); err != nil || n != 1 {
		t.Fatalf("WAIT 1 with a Redis replica = %d, %v", n, err)
	}
	if got := m.infoInt("stats", "sync_full"); got != full {
		t.Fatalf("sync_full %d → %d", full, got)
	}
	sameData(t, m, r)
}

// TestInterop_CobbleReplicaOfRedis: a cobble replica follows a real Redis
// master: its RDB with compact encodings (listpacks, intsets, quicklists)
// in several dbs, then a stream with MULTI/EXEC and expiries.
func TestInterop_CobbleReplicaOfRedis(t *testing.T) {
	m := startRedis(t, "repl-ping-replica-period 1")
	compactLoad(t, m)
	load(t, m.c, writes(10_000), 14)
	r := startCobble(t, "replicaof 127.0.0.1 "+strconv.Itoa(m.port))
	waitSynced(t, 30*time.Second, m, r)
	sameData(t, m, r)
	load(t, m.c, writes(10_000), 15)
	compactLoad(t, m)
	// Redis propagates EXPIRE and EXPIREAT as PEXPIREAT, SET … EX as SET
	// … PXAT.
	ctx := context.Background()
	m.do("SELECT", 9)
	m.do("SET", "ex:1", "v", "EX", 5000)
	m.do("SET", "ex:2", "v")
	m.do("EXPIRE", "ex:2", 6000)
	m.do("SET", "ex:3", "v")
	m.do("EXPIREAT", "ex:3", time.Now().Add(7000*time.Second).Unix())
	m.do("SELECT", 0)
	waitSynced(t, 30*time.Second, m, r)
	sameData(t, m, r)
	// An idle Redis master PINGs every repl-ping-replica-period: the
	// replica's offset follows.
	idle := m.infoInt("replication", "master_repl_offset")
	waitNodes(t, 10*time.Second, func() error {
		if off := m.infoInt("replication", "master_repl_offset"); off <= idle {
			return fmt.Errorf("the master has sent no PING (offset %d)", off)
		}
		return synced(m, r)
	}, m, r)
	// WAIT makes Redis send REPLCONF GETACK; the cobble replica answers.
	m.c.Set(ctx, "waited", "1", 0)
	if n, err := m.c.Wait(ctx, 1, 10*time.Second).Result(); err != nil || n != 1 {
		t.Fatalf("WAIT 1 on the Redis master = %d, %v", n, err)
	}
	// And a partial resync when the cobble replica restarts.
	partial := m.infoInt("stats", "sync_partial_ok")
	r.term()
	selectAndSet(t, m, 6, "while-down", "1")
	r.start()
	waitSynced(t, 30*time.Second, m, r)
	if got := m.infoInt("stats", "sync_partial_ok"); got != partial+1 {
		t.Fatalf("sync_partial_ok %d → %d after the cobble replica restarted", partial, got)
	}
	sameData(t, m, r)
}

// compactLoad writes values Redis keeps in its compact encodings (small
// hashes, sorted sets and lists as listpacks, sets of integers as
// intsets) and larger ones in the general encodings, over several dbs, in
// MULTI/EXEC blocks, with TTLs.
func compactLoad(t *testing.T, n *node) {
	t.Helper()
	ctx := context.Background()
	cn := n.c.Conn()
	defer cn.Close()
	for db := 0; db < 8; db += 3 {
		_, err := cn.Pipelined(ctx, func(p redis.Pipeliner) error {
			p.Select(ctx, db)
			for i := range 50 {
				p.HSet(ctx, fmt.Sprintf("ch:%d", i), "a", i, "b", "x")
				p.ZAdd(ctx, fmt.Sprintf("cz:%d", i), redis.Z{Score: 1, Member: "a"}, redis.Z{Score: float64(i) + 0.5, Member: "b"})
				p.SAdd(ctx, fmt.Sprintf("ci:%d", i), 1, 2, i+3, -7)
				p.RPush(ctx, fmt.Sprintf("cl:%d", i), "a", i, "c")
				p.Set(ctx, fmt.Sprintf("cx:%d", i), i, time.Duration(1000+i)*time.Second)
			}
			big := make([]any, 0, 1200)
			for i := range 600 {
				big = append(big, i)
			}
			p.SAdd(ctx, "bigintset", big...)
			p.SAdd(ctx, "bigset", "x", "y", strings.Repeat("z", 100))
			hash := make([]any, 0, 400)
			for i := range 200 {
				hash = append(hash, fmt.Sprintf("f%d", i), i)
			}
			p.HSet(ctx, "bighash", hash...)
			for i := range 200 {
				p.ZAdd(ctx, "bigzset", redis.Z{Score: float64(i), Member: fmt.Sprintf("m%d", i)})
			}
			for i := range 1000 {
				p.RPush(ctx, "biglist", i)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cn.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Incr(ctx, "tx:counter")
			p.HSet(ctx, "tx:hash", "f", db)
			p.Set(ctx, "tx:ex", "v", 2000*time.Second)
			p.SPop(ctx, "bigset")
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
}

// bulk writes n keys prefix:i with size-byte random values (MSET
// batches), which an RDB cannot compress.
func bulk(t *testing.T, n *node, prefix string, keys, size int) {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(uint64(keys), uint64(size)))
	val := make([]byte, size)
	for i := 0; i < keys; i += 1000 {
		args := []any{}
		for j := i; j < min(keys, i+1000); j++ {
			for k := range val {
				val[k] = 'a' + byte(rng.IntN(26))
			}
			args = append(args, fmt.Sprintf("%s:%d", prefix, j), string(val))
		}
		if err := n.c.MSet(ctx, args...).Err(); err != nil {
			t.Fatal(err)
		}
	}
}

// consistentReader polls a node with MULTI DBSIZE / GET gen / EXEC and
// checks every answer is one of the whole data sets (gen → DBSIZE). It
// counts how often each was seen; stop ends it and fails the test on a
// mixed answer.
func consistentReader(t *testing.T, n *node, sets map[string]int64) (map[string]*atomic.Int64, func()) {
	seen := map[string]*atomic.Int64{}
	for k := range sets {
		seen[k] = &atomic.Int64{}
	}
	c := n.p.client()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		defer c.Close()
		for ctx.Err() == nil {
			var size *redis.IntCmd
			var gen *redis.StringCmd
			_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
				size = p.DBSize(ctx)
				gen = p.Get(ctx, "gen")
				return nil
			})
			if err != nil {
				continue // the node may be restarting
			}
			want, ok := sets[gen.Val()]
			if !ok || size.Val() != want {
				errc <- fmt.Errorf("read a mixed data set: gen=%q dbsize=%d", gen.Val(), size.Val())
				return
			}
			seen[gen.Val()].Add(1)
			time.Sleep(5 * time.Millisecond) // pace the polling
		}
		errc <- nil
	}()
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			if err := <-errc; err != nil {
				t.Error(err)
			}
		})
	}
	t.Cleanup(stop)
	return seen, stop
}

// TestInterop_CobbleReplicaOfRedisACLUser: masteruser/masterauth against a
// real Redis master whose default user may not PSYNC: the cobble replica
// syncs as the replication user.
func TestInterop_CobbleReplicaOfRedisACLUser(t *testing.T) {
	m := startRedis(t, "user default on nopass ~* &* +@all -psync -sync",
		"user repl on >replpass +psync +replconf +ping")
	selectAndSet(t, m, 0, "k", "v")
	r := startCobble(t, "masteruser repl", "masterauth replpass", "replicaof 127.0.0.1 "+strconv.Itoa(m.port))
	waitSynced(t, 30*time.Second, m, r)
	sameData(t, m, r)
}

// TestRepl_RestartedMasterContinues: the master's log is its backlog and
// its replid is persisted, so a replica continues partially after the
// master restarts, whether it was stopped cleanly or killed.
func TestRepl_RestartedMasterContinues(t *testing.T) {
	m := startCobble(t)
	r := startCobble(t, "replicaof 127.0.0.1 "+strconv.Itoa(m.port))
	loadWith(t, m.c, writes(5_000), 16, true)
	waitSynced(t, 30*time.Second, m, r)
	for _, stop := range []struct {
		name string
		f    func()
	}{{"SIGTERM", m.term}, {"SIGKILL", m.kill9}} {
		id := m.mustInfo("replication")["master_replid"]
		stop.f()
		m.start()
		selectAndSet(t, m, 4, "after-"+stop.name, "1")
		loadWith(t, m.c, writes(2_000), 17, true)
		waitSynced(t, 30*time.Second, m, r)
		// The counters start at 0 with the process.
		if full, partial := m.infoInt("stats", "sync_full"), m.infoInt("stats", "sync_partial_ok"); full != 0 || partial != 1 {
			t.Fatalf("%s: after the master restarted sync_full=%d sync_partial_ok=%d, want 0 and 1\n%s", stop.name, full, partial, r.logText())
		}
		if got := m.mustInfo("replication")["master_replid"]; got != id {
			t.Fatalf("%s: the master's replid changed across a restart", stop.name)
		}
		sameData(t, m, r)
	}
}
