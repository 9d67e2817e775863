package rdb

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// collector is a Handler that keeps a copy of everything it is given.
type collector struct {
	entries   []*Entry
	aux       map[string]string
	resize    map[int][2]uint64
	skipped   []string // "db:key:type"
	functions []string
}

func newCollector() *collector {
	return &collector{aux: map[string]string{}, resize: map[int][2]uint64{}}
}

func (c *collector) Aux(k, v []byte) error { c.aux[string(k)] = string(v); return nil }
func (c *collector) ResizeDB(db int, size, expires uint64) error {
	c.resize[db] = [2]uint64{size, expires}
	return nil
}
func (c *collector) Entry(e *Entry) error { c.entries = append(c.entries, e.Clone()); return nil }
func (c *collector) Skipped(db int, key []byte, typeName string) error {
	c.skipped = append(c.skipped, fmt.Sprintf("%d:%s:%s", db, key, typeName))
	return nil
}
func (c *collector) Function(code []byte) error {
	c.functions = append(c.functions, string(code))
	return nil
}

// decodeAll decodes b and returns the entries, failing the test on error.
func decodeAll(t testing.TB, b []byte, opts DecodeOptions) (*collector, Summary) {
	t.Helper()
	c := newCollector()
	sum, err := Decode(bytes.NewReader(b), c, opts)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	return c, sum
}

// canon renders an entry in a canonical text form (sets, hashes and zsets
// sorted) so two entries can be compared whatever their element order and
// encoding. Idle/freq of 0 and -1 mean the same ("not set").
func canon(e *Entry) string {
	var b strings.Builder
	idle, freq := e.IdleSec, e.Freq
	if idle <= 0 {
		idle = -1
	}
	if freq <= 0 {
		freq = -1
	}
	fmt.Fprintf(&b, "db=%d key=%s type=%v exp=%d idle=%d freq=%d", e.DB, q(e.Key), e.Type, e.ExpireAtMs, idle, freq)
	switch e.Type {
	case TypeString:
		b.WriteString(" " + q(e.String))
	case TypeList:
		for _, s := range e.List {
			b.WriteString(" " + q(s))
		}
	case TypeSet:
		var ms []string
		for _, s := range e.Set {
			ms = append(ms, q(s))
		}
		slices.Sort(ms)
		b.WriteString(" " + strings.Join(ms, " "))
	case TypeHash:
		var ps []string
		for i, p := range e.Hash {
			exp := int64(0)
			if e.HashExpireAtMs != nil {
				exp = e.HashExpireAtMs[i]
			}
			ps = append(ps, fmt.Sprintf("%s=%s@%d", q(p[0]), q(p[1]), exp))
		}
		slices.Sort(ps)
		b.WriteString(" " + strings.Join(ps, " "))
	case TypeZSet:
		var ms []string
		for _, m := range e.ZSet {
			ms = append(ms, q(m.Member)+":"+strconv.FormatFloat(m.Score, 'g', -1, 64))
		}
		slices.Sort(ms)
		b.WriteString(" " + strings.Join(ms, " "))
	}
	return b.String()
}

// q quotes a value; a long one is shown by its length and checksum.
func q(b []byte) string {
	if len(b) > 200 {
		return fmt.Sprintf("<%d bytes, crc %016x>", len(b), CRC64(b))
	}
	return strconv.Quote(string(b))
}

func sortedStrings(l [][]byte) []string {
	s := make([]string, len(l))
	for i, b := range l {
		s[i] = string(b)
	}
	slices.Sort(s)
	return s
}

// canonAll renders entries sorted by db and key.
func canonAll(es []*Entry) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = canon(e)
	}
	slices.Sort(out)
	return out
}

// sameEntries fails the test when the two sets of entries differ.
func sameEntries(t *testing.T, got, want []*Entry) {
	t.Helper()
	g, w := canonAll(got), canonAll(want)
	if len(g) != len(w) {
		t.Errorf("got %d entries, want %d", len(g), len(w))
	}
	for i := 0; i < max(len(g), len(w)); i++ {
		var gs, ws string
		if i < len(g) {
			gs = g[i]
		}
		if i < len(w) {
			ws = w[i]
		}
		if gs != ws {
			t.Errorf("entry %d differs:\n got: %.300s\nwant: %.300s", i, gs, ws)
			return
		}
	}
}

// ---- real redis-server ----

const redisMissing = "redis-server not installed: apt-get install redis-server redis-tools"

// needRedis skips the test when the Redis binaries are missing, except in
// CI (env CI set), where it fails.
func needRedis(t testing.TB) {
	t.Helper()
	for _, bin := range []string{"redis-server", "redis-check-rdb"} {
		if _, err := exec.LookPath(bin); err != nil {
			if os.Getenv("CI") != "" {
				t.Fatalf("%s (CI is set, so interop tests must run)", redisMissing)
			}
			t.Skip(redisMissing)
		}
	}
}

// redisInstance is a redis-server child process on a free loopback port.
type redisInstance struct {
	dir    string
	addr   string
	cmd    *exec.Cmd
	client *redis.Client
}

// startRedis starts redis-server with its data directory dir (which may
// hold a dump.rdb to load). Extra arguments are config directives.
func startRedis(t testing.TB, dir string, extra ...string) *redisInstance {
	t.Helper()
	needRedis(t)
	var lastErr error
	for attempt := 0; attempt < 5; attempt++ {
		port := freePort(t)
		args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir,
			"--dbfilename", "dump.rdb", "--save", "", "--appendonly", "no", "--daemonize", "no",
			"--logfile", filepath.Join(dir, "redis.log")}
		args = append(args, extra...)
		cmd := exec.Command("redis-server", args...)
		if err := cmd.Start(); err != nil {
			t.Fatalf("start redis-server: %v", err)
		}
		ri := &redisInstance{dir: dir, addr: fmt.Sprintf("127.0.0.1:%d", port), cmd: cmd}
		ri.client = redis.NewClient(&redis.Options{Addr: ri.addr, Protocol: 2, DisableIdentity: true})
		if lastErr = ri.waitReady(); lastErr == nil {
			t.Cleanup(ri.stop)
			return ri
		}
		ri.stop()
	}
	log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
	t.Fatalf("redis-server did not come up: %v\n%s", lastErr, log)
	return nil
}

func (ri *redisInstance) waitReady() error {
	deadline := time.Now().Add(10 * time.Second)
	exited := make(chan struct{})
	go func() { ri.cmd.Process.Wait(); close(exited) }() //nolint:errcheck
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		err := ri.client.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("redis-server exited: %v", err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return err
		}
	}
}

func (ri *redisInstance) stop() {
	ri.client.Close()
	if ri.cmd.Process != nil {
		ri.cmd.Process.Kill() //nolint:errcheck
	}
}

// save runs SAVE and returns the dump file's bytes.
func (ri *redisInstance) save(t testing.TB) []byte {
	t.Helper()
	if err := ri.client.Save(context.Background()).Err(); err != nil {
		t.Fatalf("SAVE: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(ri.dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// checkRDB runs redis-check-rdb on a file and fails the test unless it
// reports the file OK.
func checkRDB(t testing.TB, path string) {
	t.Helper()
	needRedis(t)
	out, err := exec.Command("redis-check-rdb", path).CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("RDB looks OK")) {
		t.Fatalf("redis-check-rdb %s: %v\n%s", filepath.Base(path), err, out)
	}
}

// loadInRedis writes file as dump.rdb in a fresh directory, checks it with
// redis-check-rdb and starts a redis-server that loads it.
func loadInRedis(t testing.TB, file []byte, extra ...string) *redisInstance {
	t.Helper()
	needRedis(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "dump.rdb")
	if err := os.WriteFile(path, file, 0o644); err != nil {
		t.Fatal(err)
	}
	checkRDB(t, path)
	return startRedis(t, dir, extra...)
}

// readBack reads every key of every db from a live Redis as entries, the
// way a client sees them (TYPE, GET/LRANGE/SMEMBERS/HGETALL/ZRANGE, PEXPIRETIME).
func readBack(t testing.TB, ri *redisInstance, dbs []int) []*Entry {
	t.Helper()
	ctx := context.Background()
	var out []*Entry
	for _, db := range dbs {
		c := redis.NewClient(&redis.Options{Addr: ri.addr, DB: db, Protocol: 2, DisableIdentity: true})
		keys, err := c.Keys(ctx, "*").Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			e := &Entry{DB: db, Key: []byte(k), IdleSec: -1, Freq: -1}
			typ, err := c.Type(ctx, k).Result()
			if err != nil {
				t.Fatal(err)
			}
			switch typ {
			case "string":
				e.Type = TypeString
				v, err := c.Get(ctx, k).Result()
				must(t, err)
				e.String = []byte(v)
			case "list":
				e.Type = TypeList
				v, err := c.LRange(ctx, k, 0, -1).Result()
				must(t, err)
				e.List = toBytes(v)
			case "set":
				e.Type = TypeSet
				v, err := c.SMembers(ctx, k).Result()
				must(t, err)
				e.Set = toBytes(v)
			case "hash":
				e.Type = TypeHash
				v, err := c.HGetAll(ctx, k).Result()
				must(t, err)
				for f, val := range v {
					e.Hash = append(e.Hash, [2][]byte{[]byte(f), []byte(val)})
				}
			case "zset":
				e.Type = TypeZSet
				v, err := c.ZRangeWithScores(ctx, k, 0, -1).Result()
				must(t, err)
				for _, z := range v {
					e.ZSet = append(e.ZSet, ZMember{Member: []byte(z.Member.(string)), Score: z.Score})
				}
			default:
				continue // streams and the like are not entries
			}
			exp, err := c.Do(ctx, "PEXPIRETIME", k).Int64()
			must(t, err)
			if exp > 0 {
				e.ExpireAtMs = exp
			}
			out = append(out, e)
		}
		c.Close()
	}
	return out
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func toBytes(v []string) [][]byte {
	out := make([][]byte, len(v))
	for i, s := range v {
		out[i] = []byte(s)
	}
	return out
}

// stripMeta returns copies of entries without IdleSec/Freq, for comparing
// with what a client can read back.
func stripMeta(es []*Entry) []*Entry {
	out := make([]*Entry, len(es))
	for i, e := range es {
		c := e.Clone()
		c.IdleSec, c.Freq = -1, -1
		out[i] = c
	}
	return out
}

var inf = math.Inf(1)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed+1)) }

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// nopHandler discards everything.
type nopHandler struct{}

func (nopHandler) Aux(k, v []byte) error                      { return nil }
func (nopHandler) ResizeDB(db int, size, exp uint64) error    { return nil }
func (nopHandler) Entry(e *Entry) error                       { return nil }
func (nopHandler) Skipped(db int, key []byte, t string) error { return nil }
