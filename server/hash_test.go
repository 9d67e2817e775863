package server_test

// End-to-end tests of the hash commands with go-redis: every command with
// its error paths (arity, WRONGTYPE, bad integers and floats, with Redis's
// exact texts), empty hashes vanishing, HRANDFIELD counts, HSCAN cursors,
// RESP3 reply shapes, the effects written to the log (a restart replays
// them) and a million fields whose point operations stay cheap.

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cobbledb/cobble/server/servertest"
)

const wrongTypeText = "WRONGTYPE Operation against a key holding the wrong kind of value"

// mustErr fails unless err's text is exactly text.
func mustErr(t *testing.T, what string, err error, text string) {
	t.Helper()
	if err == nil || err.Error() != text {
		t.Fatalf("%s: error %v, want %q", what, err, text)
	}
}

// mustDo runs a command and fails unless its result equals want.
func mustDo(t *testing.T, c *redis.Client, want any, args ...any) {
	t.Helper()
	got, err := c.Do(ctx, args...).Result()
	if errors.Is(err, redis.Nil) {
		got, err = nil, nil
	}
	if err != nil || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("%v = %v (%v), want %v", args, got, err, want)
	}
}

// mustFail runs a command and fails unless it answers the error text.
func mustFail(t *testing.T, c *redis.Client, text string, args ...any) {
	t.Helper()
	mustErr(t, fmt.Sprint(args...), c.Do(ctx, args...).Err(), text)
}

// logText returns everything the node's log files hold (the effects of the
// writes so far, in RESP).
func logText(t *testing.T, n *servertest.Node) string {
	t.Helper()
	var sb strings.Builder
	err := filepath.WalkDir(n.Dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.Contains(path, ".aof") {
			return err
		}
		b, err := os.ReadFile(path)
		sb.Write(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return sb.String()
}

// resp renders a command as RESP, to look for it in the log.
func resp(args ...string) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&sb, "$%d\r\n%s\r\n", len(a), a)
	}
	return sb.String()
}

// waitLogged waits until the log holds every effect in want (appendfsync
// everysec writes the log in the background).
func waitLogged(t *testing.T, n *servertest.Node, want ...string) {
	t.Helper()
	pollFor(t, 5*time.Second, func() error {
		text := logText(t, n)
		for _, w := range want {
			if !strings.Contains(text, w) {
				return fmt.Errorf("the log lacks %q", w)
			}
		}
		return nil
	})
}

func TestHashes_SetGetDel(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	mustDo(t, c, 2, "HSET", "h", "a", "1", "b", "2")
	mustDo(t, c, 1, "HSET", "h", "a", "10", "c", "3", "c", "30")
	mustDo(t, c, "OK", "HMSET", "h", "d", "")
	mustDo(t, c, 0, "HSETNX", "h", "a", "x")
	mustDo(t, c, 1, "HSETNX", "h", "e", "5")
	mustDo(t, c, "10", "HGET", "h", "a")
	mustDo(t, c, nil, "HGET", "h", "zz")
	mustDo(t, c, nil, "HGET", "nokey", "a")
	mustDo(t, c, "[30 <nil> ]", "HMGET", "h", "c", "zz", "d")
	mustDo(t, c, "[<nil> <nil>]", "HMGET", "nokey", "a", "b")
	mustDo(t, c, 5, "HLEN", "h")
	mustDo(t, c, 0, "HLEN", "nokey")
	mustDo(t, c, 2, "HSTRLEN", "h", "c")
	mustDo(t, c, 0, "HSTRLEN", "h", "d")
	mustDo(t, c, 0, "HSTRLEN", "h", "zz")
	mustDo(t, c, 1, "HEXISTS", "h", "d")
	mustDo(t, c, 0, "HEXISTS", "h", "zz")
	mustDo(t, c, 0, "HEXISTS", "nokey", "a")
	all, err := c.HGetAll(ctx, "h").Result()
	if want := map[string]string{"a": "10", "b": "2", "c": "30", "d": "", "e": "5"}; err != nil || !maps.Equal(all, want) {
		t.Fatalf("HGETALL = %v %v, want %v", all, err, want)
	}
	keys, _ := c.HKeys(ctx, "h").Result()
	vals, _ := c.HVals(ctx, "h").Result()
	slices.Sort(keys)
	slices.Sort(vals)
	if fmt.Sprint(keys, vals) != "[a b c d e] [ 10 2 30 5]" {
		t.Fatalf("HKEYS %q HVALS %q", keys, vals)
	}
	mustDo(t, c, "[]", "HKEYS", "nokey")
	mustDo(t, c, "[]", "HVALS", "nokey")
	mustDo(t, c, "[]", "HGETALL", "nokey")
	mustDo(t, c, "hash", "TYPE", "h")

	// The last field takes the key with it.
	mustDo(t, c, 2, "HDEL", "h", "a", "b", "zz")
	mustDo(t, c, 0, "HDEL", "h", "zz")
	mustDo(t, c, 0, "HDEL", "nokey", "a")
	mustDo(t, c, 3, "HDEL", "h", "c", "d", "e")
	mustDo(t, c, 0, "EXISTS", "h")
	mustDo(t, c, "none", "TYPE", "h")
	mustDo(t, c, 0, "DBSIZE")

	// A TTL survives field writes; the key keeps it until it expires.
	mustDo(t, c, 1, "HSET", "t", "f", "v")
	mustDo(t, c, 1, "PEXPIRE", "t", "100000")
	mustDo(t, c, 1, "HSET", "t", "g", "w")
	mustDo(t, c, 1, "HDEL", "t", "f")
	if ttl, _ := c.PTTL(ctx, "t").Result(); ttl <= 0 {
		t.Fatalf("PTTL after field writes = %v", ttl)
	}
	mustDo(t, c, 1, "PEXPIRE", "t", "1")
	pollFor(t, 5*time.Second, func() error {
		if v, _ := c.Exists(ctx, "t").Result(); v != 0 {
			return errors.New("expired hash still exists")
		}
		return nil
	})
	mustDo(t, c, 0, "HLEN", "t")
}

func TestHashes_Errors(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	c.Set(ctx, "str", "x", 0)
	arity := func(name string, args ...any) {
		t.Helper()
		mustFail(t, c, fmt.Sprintf("ERR wrong number of arguments for '%s' command", strings.ToLower(name)), append([]any{name}, args...)...)
	}
	arity("HSET", "h", "f")
	arity("HSET", "h", "f", "v", "g")
	arity("HMSET", "h", "f")
	arity("HMSET", "h", "f", "v", "g")
	arity("HSETNX", "h", "f")
	arity("HGET", "h")
	arity("HMGET", "h")
	arity("HDEL", "h")
	arity("HLEN")
	arity("HSTRLEN", "h")
	arity("HEXISTS", "h", "f", "x")
	arity("HKEYS")
	arity("HVALS", "h", "x")
	arity("HGETALL")
	arity("HINCRBY", "h", "f")
	arity("HINCRBYFLOAT", "h", "f")
	arity("HSCAN", "h")
	arity("HRANDFIELD")
	for _, args := range [][]any{
		{"HSET", "str", "f", "v"}, {"HMSET", "str", "f", "v"}, {"HSETNX", "str", "f", "v"},
		{"HGET", "str", "f"}, {"HMGET", "str", "f"}, {"HDEL", "str", "f"}, {"HLEN", "str"},
		{"HSTRLEN", "str", "f"}, {"HEXISTS", "str", "f"}, {"HKEYS", "str"}, {"HVALS", "str"},
		{"HGETALL", "str"}, {"HINCRBY", "str", "f", "1"}, {"HINCRBYFLOAT", "str", "f", "1"},
		{"HSCAN", "str", "0"}, {"HSCAN", "str", "0", "COUNT", "0"}, {"HRANDFIELD", "str"},
		{"HRANDFIELD", "str", "2"}, {"HRANDFIELD", "str", "-2", "WITHVALUES"},
	} {
		mustFail(t, c, wrongTypeText, args...)
	}
	mustDo(t, c, "x", "GET", "str")
}

func TestHashes_Increments(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	mustDo(t, c, -5, "HINCRBY", "h", "n", "-5")
	mustDo(t, c, 5, "HINCRBY", "h", "n", "10")
	mustDo(t, c, "5", "HGET", "h", "n")
	mustDo(t, c, 9223372036854775807, "HINCRBY", "h", "max", "9223372036854775807")
	mustFail(t, c, "ERR increment or decrement would overflow", "HINCRBY", "h", "max", "1")
	mustDo(t, c, -9223372036854775808, "HINCRBY", "h", "min", "-9223372036854775808")
	mustFail(t, c, "ERR increment or decrement would overflow", "HINCRBY", "h", "min", "-1")
	mustFail(t, c, "ERR value is not an integer or out of range", "HINCRBY", "h", "n", "x")
	mustFail(t, c, "ERR value is not an integer or out of range", "HINCRBY", "h", "n", " 1")
	mustFail(t, c, "ERR value is not an integer or out of range", "HINCRBY", "h", "n", "1.5")
	for _, bad := range []string{"abc", " 12", "012", "1.5", ""} {
		c.HSet(ctx, "h", "bad", bad)
		mustFail(t, c, "ERR hash value is not an integer", "HINCRBY", "h", "bad", "1")
	}

	mustDo(t, c, "1.5", "HINCRBYFLOAT", "f", "x", "1.5")
	mustDo(t, c, "0", "HINCRBYFLOAT", "f", "x", "-1.5")
	mustDo(t, c, "3.0000001", "HINCRBYFLOAT", "f", "y", "3.0000001")
	mustDo(t, c, "100000000000000000000", "HINCRBYFLOAT", "f", "big", "1e20")
	mustDo(t, c, "5000", "HINCRBYFLOAT", "f", "e", "5.0e3")
	mustDo(t, c, "-0.25", "HINCRBYFLOAT", "f", "neg", "-.25")
	mustDo(t, c, "16", "HINCRBYFLOAT", "h", "n", "11")
	mustFail(t, c, "ERR value is not a valid float", "HINCRBYFLOAT", "f", "x", "x")
	mustFail(t, c, "ERR value is not a valid float", "HINCRBYFLOAT", "f", "x", "nan")
	mustFail(t, c, "ERR value is NaN or Infinity", "HINCRBYFLOAT", "f", "x", "inf")
	mustFail(t, c, "ERR value is NaN or Infinity", "HINCRBYFLOAT", "f", "x", "-inf")
	for _, bad := range []string{"abc", "1.5 ", " 1", ""} {
		c.HSet(ctx, "f", "bad", bad)
		mustFail(t, c, "ERR hash value is not a float", "HINCRBYFLOAT", "f", "bad", "1")
	}
	c.HSet(ctx, "f", "inf", "inf")
	mustFail(t, c, "ERR increment would produce NaN or Infinity", "HINCRBYFLOAT", "f", "inf", "1")
	mustDo(t, c, "inf", "HGET", "f", "inf")
	// Redis adds in a long double: decimal sums come out as typed, big
	// values keep their digits and overflow past 1.19e4932.
	mustDo(t, c, "0.1", "HINCRBYFLOAT", "f", "sum", "0.1")
	mustDo(t, c, "0.3", "HINCRBYFLOAT", "f", "sum", "0.2")
	mustDo(t, c, "100000000000000000096", "HINCRBYFLOAT", "f", "big", "100")
	mustDo(t, c, "123456789.12345678899873747", "HINCRBYFLOAT", "f", "digits", "123456789.123456789")
	mustDo(t, c, "16.25", "HINCRBYFLOAT", "f", "hex", "0x10.4")
	mustDo(t, c, "0", "HINCRBYFLOAT", "f", "tiny", "-1e-20")
	mustFail(t, c, "ERR value is not a valid float", "HINCRBYFLOAT", "f", "x", "1e5000")
	mustFail(t, c, "ERR value is not a valid float", "HINCRBYFLOAT", "f", "x", "1_0")
	c.HSet(ctx, "f", "top", "1e4932")
	mustFail(t, c, "ERR increment would produce NaN or Infinity", "HINCRBYFLOAT", "f", "top", "1e4932")
}

func TestHashes_RandField(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	want := map[string]string{}
	for i := range 50 {
		want[fmt.Sprint("f", i)] = fmt.Sprint("v", i)
	}
	c.HSet(ctx, "h", want)
	c.Set(ctx, "str", "x", 0)

	f, err := c.HRandField(ctx, "h", 1).Result()
	if err != nil || len(f) != 1 || want[f[0]] == "" {
		t.Fatalf("HRANDFIELD h 1 = %q %v", f, err)
	}
	one, err := c.Do(ctx, "HRANDFIELD", "h").Text()
	if err != nil || want[one] == "" {
		t.Fatalf("HRANDFIELD h = %q %v", one, err)
	}
	for _, tc := range []struct {
		count int
		size  int
	}{{0, 0}, {5, 5}, {49, 49}, {50, 50}, {80, 50}, {-3, 3}, {-120, 120}} {
		f, err := c.HRandField(ctx, "h", tc.count).Result()
		if err != nil || len(f) != tc.size {
			t.Fatalf("HRANDFIELD h %d: %d fields (%v), want %d", tc.count, len(f), err, tc.size)
		}
		seen := map[string]bool{}
		for _, x := range f {
			if want[x] == "" || (tc.count > 0 && seen[x]) {
				t.Fatalf("HRANDFIELD h %d: bad or repeated field %q", tc.count, x)
			}
			seen[x] = true
		}
		kv, err := c.HRandFieldWithValues(ctx, "h", tc.count).Result()
		if err != nil || len(kv) != tc.size {
			t.Fatalf("HRANDFIELD h %d WITHVALUES: %d pairs (%v)", tc.count, len(kv), err)
		}
		for _, p := range kv {
			if want[p.Key] != p.Value {
				t.Fatalf("HRANDFIELD WITHVALUES: %q came with %q", p.Key, p.Value)
			}
		}
	}
	mustDo(t, c, nil, "HRANDFIELD", "nokey")
	mustDo(t, c, "[]", "HRANDFIELD", "nokey", "3")
	mustDo(t, c, "[]", "HRANDFIELD", "nokey", "-3", "WITHVALUES")
	mustFail(t, c, "ERR value is not an integer or out of range", "HRANDFIELD", "h", "x")
	mustFail(t, c, "ERR value is not an integer or out of range", "HRANDFIELD", "nokey", "x", "WITHVALUES")
	mustFail(t, c, "ERR syntax error", "HRANDFIELD", "h", "1", "foo")
	mustFail(t, c, "ERR syntax error", "HRANDFIELD", "h", "1", "WITHVALUES", "x")
	mustFail(t, c, "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
		"HRANDFIELD", "h", "-9223372036854775808")
	mustFail(t, c, "ERR value is out of range", "HRANDFIELD", "h", "-4611686018427387904", "WITHVALUES")
	mustFail(t, c, "ERR value is out of range", "HRANDFIELD", "h", "4611686018427387904", "WITHVALUES")
}

func TestHashes_Scan(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	want := map[string]string{}
	for i := range 1000 {
		want[fmt.Sprint("f", i)] = fmt.Sprint(i)
	}
	c.HSet(ctx, "h", want)
	got := map[string]string{}
	var cursor uint64
	calls := 0
	for {
		kv, next, err := c.HScan(ctx, "h", cursor, "", 50).Result()
		if err != nil || len(kv)%2 != 0 {
			t.Fatalf("HSCAN: %v %v", kv, err)
		}
		for i := 0; i < len(kv); i += 2 {
			got[kv[i]] = kv[i+1]
		}
		calls++
		if next == 0 {
			break
		}
		cursor = next
	}
	if !maps.Equal(got, want) || calls < 20 {
		t.Fatalf("HSCAN returned %d fields in %d calls, want all %d in ≥ 20", len(got), calls, len(want))
	}
	// MATCH filters what is returned; NOVALUES drops the values.
	kv, _, err := c.HScan(ctx, "h", 0, "f99*", 1000).Result()
	slices.Sort(kv)
	if err != nil || fmt.Sprint(kv) != "[99 990 991 992 993 994 995 996 997 998 999 f99 f990 f991 f992 f993 f994 f995 f996 f997 f998 f999]" {
		t.Fatalf("HSCAN MATCH = %q %v", kv, err)
	}
	keys, _, err := c.HScanNoValues(ctx, "h", 0, "f1?", 1000).Result()
	slices.Sort(keys)
	if err != nil || fmt.Sprint(keys) != "[f10 f11 f12 f13 f14 f15 f16 f17 f18 f19]" {
		t.Fatalf("HSCAN NOVALUES = %q %v", keys, err)
	}
	// A small hash comes whole in the first call, whatever COUNT says.
	c.HSet(ctx, "small", "a", "1", "b", "2", "c", "3")
	mustDo(t, c, "[0 [a 1 b 2 c 3]]", "HSCAN", "small", "0", "COUNT", "1")
	mustDo(t, c, "[0 []]", "HSCAN", "nokey", "0")
	mustDo(t, c, "[0 []]", "HSCAN", "nokey", "0", "COUNT", "0") // the key is looked up before the options
	mustDo(t, c, "[0 [a 1 b 2 c 3]]", "HSCAN", "small", "-1")
	mustFail(t, c, "ERR invalid cursor", "HSCAN", "small", "x")
	mustFail(t, c, "ERR invalid cursor", "HSCAN", "small", " 0")
	mustFail(t, c, "ERR invalid cursor", "HSCAN", "small", "18446744073709551616")
	mustFail(t, c, "ERR syntax error", "HSCAN", "small", "0", "COUNT", "0")
	mustFail(t, c, "ERR syntax error", "HSCAN", "small", "0", "MATCH")
	mustFail(t, c, "ERR syntax error", "HSCAN", "small", "0", "TYPE", "hash")
	mustFail(t, c, "ERR value is not an integer or out of range", "HSCAN", "small", "0", "COUNT", "x")
}

// respConn is a raw RESP3 connection, to see reply types (map, set,
// array) that go-redis does not tell apart.
func respConn(t *testing.T, n *servertest.Node) (net.Conn, *bufio.Reader) {
	t.Helper()
	nc, err := net.Dial("tcp", n.Addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	r := bufio.NewReader(nc)
	if rep := rawCmd(t, nc, r, "HELLO", "3"); rep.kind != '%' {
		t.Fatalf("HELLO 3 = %+v", rep)
	}
	return nc, r
}

// shape renders a raw reply's types and texts, e.g. %[a 1] or ~[x] or *[*[f v]].
func shape(r rawReply) string {
	if r.elems == nil && strings.ContainsRune("*%~>", rune(r.kind)) {
		return string(r.kind) + "[]"
	}
	if r.elems == nil {
		if r.kind == '$' || r.kind == '+' {
			return r.str
		}
		return string(r.kind) + r.str
	}
	parts := make([]string, len(r.elems))
	for i, e := range r.elems {
		parts[i] = shape(e)
	}
	return string(r.kind) + "[" + strings.Join(parts, " ") + "]"
}

func TestHashes_RESP3(t *testing.T) {
	n := servertest.Start(t)
	n.Client.HSet(ctx, "h", "f", "v")
	nc, r := respConn(t, n)
	check := func(want string, args ...string) {
		t.Helper()
		if got := shape(rawCmd(t, nc, r, args...)); got != want {
			t.Fatalf("%v = %s, want %s", args, got, want)
		}
	}
	check("%[f v]", "HGETALL", "h")
	check("%[]", "HGETALL", "nokey")
	check("*[f]", "HKEYS", "h")
	check("*[v]", "HVALS", "h")
	check("f", "HRANDFIELD", "h")
	check("_", "HRANDFIELD", "nokey")
	check("*[f]", "HRANDFIELD", "h", "1")
	check("*[*[f v]]", "HRANDFIELD", "h", "1", "WITHVALUES")
	check("*[*[f v] *[f v]]", "HRANDFIELD", "h", "-2", "WITHVALUES")
	check("*[]", "HRANDFIELD", "nokey", "-2", "WITHVALUES")
	check("*[v _]", "HMGET", "h", "f", "zz")
	check("_", "HGET", "h", "zz")
	check("*[0 *[f v]]", "HSCAN", "h", "0")
	check("1.5", "HINCRBYFLOAT", "h", "n", "1.5") // a bulk string, not a double
}

// TestHashes_Restart checks every field and value of hashes shaped by
// every kind of write after a restart, which replays the log; and that
// HINCRBYFLOAT is logged as HSET of its result.
func TestHashes_Restart(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	for i := range 100 {
		c.HSet(ctx, "h1", fmt.Sprint("f", i), fmt.Sprint(i))
	}
	c.HDel(ctx, "h1", "f1", "f2", "f3")
	c.HIncrBy(ctx, "h1", "f4", 10)
	c.HIncrByFloat(ctx, "h1", "fl", 0.1)
	c.HIncrByFloat(ctx, "h1", "fl", 0.2)
	c.HSetNX(ctx, "h1", "f5", "no")
	c.HSetNX(ctx, "h1", "nx", "yes")
	c.HMSet(ctx, "h2", "a", "1", "b", "2")
	c.Expire(ctx, "h2", time.Hour)
	c.HSet(ctx, "gone", "a", "1")
	c.HDel(ctx, "gone", "a")
	c.HSet(ctx, "replaced", "a", "1")
	c.Set(ctx, "replaced", "now a string", 0)
	want := map[string]map[string]string{}
	for _, k := range []string{"h1", "h2"} {
		want[k], _ = c.HGetAll(ctx, k).Result()
	}
	if want["h1"]["fl"] != "0.3" || want["h1"]["f5"] != "5" || want["h1"]["nx"] != "yes" {
		t.Fatalf("before restart: %v", want["h1"])
	}
	waitLogged(t, n, resp("HSET", "h1", "fl", "0.1"), resp("HSET", "h1", "fl", "0.3"))
	if strings.Contains(strings.ToLower(logText(t, n)), "hincrbyfloat") {
		t.Fatal("HINCRBYFLOAT was logged as itself, not as HSET")
	}
	n.Restart()
	c = n.Client
	for k, w := range want {
		got, err := c.HGetAll(ctx, k).Result()
		if err != nil || !maps.Equal(got, w) {
			t.Fatalf("after restart %s = %v %v, want %v", k, got, err, w)
		}
		if l, _ := c.HLen(ctx, k).Result(); l != int64(len(w)) {
			t.Fatalf("after restart HLEN %s = %d, want %d", k, l, len(w))
		}
		for f, v := range w {
			if got, _ := c.HGet(ctx, k, f).Result(); got != v {
				t.Fatalf("after restart HGET %s %s = %q, want %q", k, f, got, v)
			}
		}
	}
	if ttl, _ := c.TTL(ctx, "h2").Result(); ttl <= 0 {
		t.Fatalf("after restart TTL h2 = %v", ttl)
	}
	mustDo(t, c, 0, "EXISTS", "gone")
	mustDo(t, c, "string", "TYPE", "replaced")
	mustDo(t, c, 3, "DBSIZE")
}

// TestHashes_Million builds a hash of a million fields and shows that
// point operations stay cheap: HLEN comes from a kept count, HGET, HSET,
// HEXISTS and HDEL touch one field, HRANDFIELD and HSCAN read a few.
func TestHashes_Million(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("a million elements")
	}
	const total, batch = 1_000_000, 2000
	n := servertest.Start(t)
	c := n.Client
	start := time.Now()
	pipe := c.Pipeline()
	args := make([]any, 0, 2*batch)
	for i := 0; i < total; i += batch {
		args = args[:0]
		for j := i; j < i+batch; j++ {
			args = append(args, fmt.Sprint("field:", j), fmt.Sprint(j))
		}
		pipe.HSet(ctx, "big", args...)
		if (i/batch)%10 == 9 {
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d fields written in %v", total, time.Since(start))
	start = time.Now()
	for i := range 200 {
		if l, err := c.HLen(ctx, "big").Result(); err != nil || l != int64(total+i) {
			t.Fatalf("HLEN = %d %v, want %d", l, err, total+i)
		}
		f := fmt.Sprint("field:", i*4999)
		if v, err := c.HGet(ctx, "big", f).Result(); err != nil || v != fmt.Sprint(i*4999) {
			t.Fatalf("HGET %s = %q %v", f, v, err)
		}
		if ok, _ := c.HExists(ctx, "big", f).Result(); !ok {
			t.Fatalf("HEXISTS %s = false", f)
		}
		if added, _ := c.HSet(ctx, "big", fmt.Sprint("new:", i), "x").Result(); added != 1 {
			t.Fatalf("HSET new:%d = %d", i, added)
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("200 rounds of point operations took %v: not O(1)", d)
	} else {
		t.Logf("200 rounds of HLEN, HGET, HEXISTS, HSET in %v", d)
	}
	if del, _ := c.HDel(ctx, "big", "new:0", "field:0", "nope").Result(); del != 2 {
		t.Fatalf("HDEL = %d", del)
	}
	mustDo(t, c, total+198, "HLEN", "big")
	kv, err := c.HRandFieldWithValues(ctx, "big", 20).Result()
	if err != nil || len(kv) != 20 {
		t.Fatalf("HRANDFIELD 20 WITHVALUES = %d pairs %v", len(kv), err)
	}
	for _, p := range kv {
		if want, _ := c.HGet(ctx, "big", p.Key).Result(); want != p.Value {
			t.Fatalf("HRANDFIELD pair %s=%s, HGET says %s", p.Key, p.Value, want)
		}
	}
	if f, _ := c.HRandField(ctx, "big", -50).Result(); len(f) != 50 {
		t.Fatalf("HRANDFIELD -50 = %d fields", len(f))
	}
	kvs, next, err := c.HScan(ctx, "big", 0, "", 100).Result()
	if err != nil || next == 0 || len(kvs) != 200 {
		t.Fatalf("HSCAN COUNT 100 = %d items, next %d, %v", len(kvs), next, err)
	}
}
