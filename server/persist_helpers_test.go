package server_test

// Helpers of the persistence tests: a real redis-server on a chosen data
// directory, a data set with every type and encoding, and a comparable
// picture of everything a node holds.

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
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

	"github.com/cobbledb/cobble/rdb"
	"github.com/cobbledb/cobble/server/servertest"
)

// redisServer is a real redis-server process for one test.
type redisServer struct {
	Addr string
	Dir  string
	cmd  *exec.Cmd
}

// needRedisServer returns the path of redis-server, skipping the test when
// it is missing (failing in CI).
func needRedisServer(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if isCI() {
			t.Fatal("redis-server not installed in CI")
		}
		t.Skip("redis-server not installed: apt-get install redis-server")
	}
	return bin
}

// runRedisServer starts redis-server on a free port with dir as its data
// directory; it stops with the test.
func runRedisServer(t *testing.T, dir string, args ...string) *redisServer {
	t.Helper()
	bin := needRedisServer(t)
	port := strconv.Itoa(freePort(t))
	cmd := exec.Command(bin, append([]string{"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--logfile", "", "--enable-debug-command", "yes"}, args...)...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	rs := &redisServer{Addr: net.JoinHostPort("127.0.0.1", port), Dir: dir, cmd: cmd}
	t.Cleanup(rs.stop)
	c := rs.client(t, 0)
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := c.Ping(ctx).Err()
		if err == nil {
			break
		}
		if time.Now().After(deadline) || cmd.ProcessState != nil {
			t.Fatalf("redis-server did not start: %v\n%s", err, out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	return rs
}

func (rs *redisServer) stop() {
	if rs.cmd.Process != nil && rs.cmd.ProcessState == nil {
		rs.cmd.Process.Kill()
		rs.cmd.Wait()
	}
}

// client returns a client of db; it is closed with the test.
func (rs *redisServer) client(t *testing.T, db int) *redis.Client {
	return dbClient(t, rs.Addr, db)
}

// dbClient is a plain RESP2 client of one db of addr.
func dbClient(t *testing.T, addr string, db int) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, DB: db, Protocol: 2, DisableIdentity: true,
		MaxRetries: -1, ReadTimeout: 30 * time.Second})
	t.Cleanup(func() { c.Close() })
	return c
}

// fillAllTypes writes keys of every type, in every encoding Redis 7 picks
// for them (int/embstr/raw strings, listpack and quicklist lists, intset,
// listpack and hashtable sets, listpack and hashtable hashes, listpack and
// skiplist sorted sets), some with a TTL, to db 0 and db 3 of addr.
func fillAllTypes(t *testing.T, addr string) {
	t.Helper()
	for _, db := range []int{0, 3} {
		c := dbClient(t, addr, db)
		p := c.Pipeline()
		pre := fmt.Sprintf("db%d:", db)
		p.Set(ctx, pre+"s:int", "12345", 0)
		p.Set(ctx, pre+"s:min", "-9223372036854775808", 0)
		p.Set(ctx, pre+"s:small", "hello", 0)
		p.Set(ctx, pre+"s:empty", "", 0)
		p.Set(ctx, pre+"s:big", strings.Repeat("cobble ", 3000), 0)
		p.Set(ctx, pre+"s:bin", string([]byte{0, 1, 2, 0xff, '\r', '\n', 0x80}), 0)
		p.Set(ctx, pre+"s:ttl", "expires later", 1000*time.Second)
		p.RPush(ctx, pre+"l:small", "a", "1", "", "-7", "a")
		var big []any
		for i := range 2000 {
			big = append(big, strings.Repeat("x", i%90)+strconv.Itoa(i))
		}
		p.RPush(ctx, pre+"l:big", big...)
		p.SAdd(ctx, pre+"set:ints", 3, 1, -2, 9223372036854775807)
		p.SAdd(ctx, pre+"set:small", "a", "b", "c", "")
		var members []any
		for i := range 700 {
			members = append(members, "member:"+strconv.Itoa(i))
		}
		p.SAdd(ctx, pre+"set:big", members...)
		p.HSet(ctx, pre+"h:small", "f1", "v1", "f2", "", "3", "4")
		var fields []any
		for i := range 300 {
			fields = append(fields, "field:"+strconv.Itoa(i), strconv.Itoa(i*7))
		}
		p.HSet(ctx, pre+"h:big", fields...)
		p.HSet(ctx, pre+"h:longval", "f", strings.Repeat("v", 100))
		p.PExpire(ctx, pre+"h:longval", 500000*time.Millisecond)
		p.ZAdd(ctx, pre+"z:small", redis.Z{Score: 1.5, Member: "a"}, redis.Z{Score: -2, Member: "b"}, redis.Z{Score: 0, Member: ""})
		var zs []redis.Z
		for i := range 300 {
			zs = append(zs, redis.Z{Score: float64(i) / 3, Member: "m" + strconv.Itoa(i)})
		}
		zs = append(zs, redis.Z{Score: math.Inf(1), Member: "top"}, redis.Z{Score: math.Inf(-1), Member: "bottom"})
		p.ZAdd(ctx, pre+"z:big", zs...)
		if _, err := p.Exec(ctx); err != nil {
			t.Fatalf("fill db %d: %v", db, err)
		}
	}
}

// keyData is one key as commands show it.
type keyData struct {
	Type     string
	Value    string // canonical rendering of the value
	ExpireMs int64  // PEXPIRETIME: -1 = none
}

// dataSet reads every key of every db of addr (dbs 0–15).
func dataSet(t *testing.T, addr string) map[string]keyData {
	t.Helper()
	out := map[string]keyData{}
	for db := range 16 {
		c := dbClient(t, addr, db)
		keys, err := c.Keys(ctx, "*").Result()
		if err != nil {
			t.Fatalf("KEYS db %d: %v", db, err)
		}
		for _, k := range keys {
			out[fmt.Sprintf("%d/%q", db, k)] = readKey(t, c, k)
		}
		c.Close()
	}
	return out
}

func readKey(t *testing.T, c *redis.Client, k string) keyData {
	t.Helper()
	typ := c.Type(ctx, k).Val()
	var v string
	switch typ {
	case "string":
		v = c.Get(ctx, k).Val()
	case "list":
		v = fmt.Sprintf("%q", c.LRange(ctx, k, 0, -1).Val())
	case "set":
		m := c.SMembers(ctx, k).Val()
		slices.Sort(m)
		v = fmt.Sprintf("%q", m)
	case "hash":
		h := c.HGetAll(ctx, k).Val()
		var pairs []string
		for f, x := range h {
			pairs = append(pairs, f+"="+x)
		}
		slices.Sort(pairs)
		v = fmt.Sprintf("%q", pairs)
	case "zset":
		v = fmt.Sprintf("%v", c.ZRangeWithScores(ctx, k, 0, -1).Val())
	default:
		t.Fatalf("key %q has type %q", k, typ)
	}
	exp, err := c.Do(ctx, "PEXPIRETIME", k).Int64()
	if err != nil {
		t.Fatalf("PEXPIRETIME %q: %v", k, err)
	}
	return keyData{Type: typ, Value: v, ExpireMs: exp}
}

// sameData fails the test when two data sets differ.
func sameData(t *testing.T, what string, got, want map[string]keyData) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d keys, want %d", what, len(got), len(want))
	}
	n := 0
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			t.Errorf("%s: key %s missing", what, k)
		case g != w:
			t.Errorf("%s: key %s = %.200v, want %.200v", what, k, g, w)
		default:
			continue
		}
		if n++; n > 10 {
			t.Fatalf("%s: too many differences", what)
		}
	}
}

// countingHandler counts what rdb.Decode reads.
type countingHandler struct {
	keys map[int]int64 // per db
	aux  map[string]string
}

func (h *countingHandler) Aux(k, v []byte) error {
	h.aux[string(k)] = string(v)
	return nil
}
func (h *countingHandler) ResizeDB(int, uint64, uint64) error { return nil }
func (h *countingHandler) Skipped(int, []byte, string) error  { return nil }
func (h *countingHandler) Entry(e *rdb.Entry) error {
	h.keys[e.DB]++
	return nil
}

// decodeFile decodes an RDB file, failing the test when it is invalid.
func decodeFile(t *testing.T, path string) *countingHandler {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := &countingHandler{keys: map[int]int64{}, aux: map[string]string{}}
	sum, err := rdb.Decode(f, h, rdb.DecodeOptions{})
	if err != nil {
		t.Fatalf("decode %s: %v", path, err)
	}
	if !sum.ChecksumChecked {
		t.Fatalf("decode %s: checksum not checked", path)
	}
	return h
}

// copyFile copies src to dst.
func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// withDump starts a node from an RDB file of n string keys key:<i> =
// value:<i> in db 0, loaded at its first start: much faster than writing
// them through the protocol.
func withDump(t *testing.T, n int) servertest.Option {
	return func(node *servertest.Node) {
		f, err := os.Create(filepath.Join(node.Dir, "dump.rdb"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		bw := bufio.NewWriter(f)
		enc := rdb.NewEncoder(bw, rdb.EncoderOptions{})
		if err := enc.Header(); err != nil {
			t.Fatal(err)
		}
		e := rdb.Entry{Type: rdb.TypeString, IdleSec: -1, Freq: -1}
		for i := range n {
			e.Key = strconv.AppendInt(append(e.Key[:0], "key:"...), int64(i), 10)
			e.String = strconv.AppendInt(append(e.String[:0], "value:"...), int64(i), 10)
			if err := enc.Entry(&e); err != nil {
				t.Fatal(err)
			}
		}
		if err := enc.Finish(); err != nil {
			t.Fatal(err)
		}
		if err := bw.Flush(); err != nil {
			t.Fatal(err)
		}
	}
}
