package server_test

// End-to-end tests of the set commands with go-redis: every command with
// its error paths (arity, WRONGTYPE, bad counts, with Redis's exact
// texts), empty sets vanishing, SPOP/SRANDMEMBER counts, the set algebra
// and its *STORE forms, SSCAN cursors, RESP3 reply shapes, the effects
// written to the log (SPOP as SREM or DEL: a restart replays them) and a
// million members whose point operations stay cheap.

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/cobbledb/cobble/server/servertest"
)

// sortedMembers returns a set's members in order.
func sortedMembers(t *testing.T, n *servertest.Node, key string) []string {
	t.Helper()
	m, err := n.Client.SMembers(ctx, key).Result()
	if err != nil {
		t.Fatalf("SMEMBERS %s: %v", key, err)
	}
	slices.Sort(m)
	return m
}

func TestSets_AddRemMembers(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	mustDo(t, c, 3, "SADD", "s", "b", "a", "c", "a")
	mustDo(t, c, 1, "SADD", "s", "a", "d")
	mustDo(t, c, 0, "SADD", "s", "a")
	if m := sortedMembers(t, n, "s"); fmt.Sprint(m) != "[a b c d]" {
		t.Fatalf("SMEMBERS = %q", m)
	}
	mustDo(t, c, 4, "SCARD", "s")
	mustDo(t, c, 0, "SCARD", "nokey")
	mustDo(t, c, 1, "SISMEMBER", "s", "a")
	mustDo(t, c, 0, "SISMEMBER", "s", "zz")
	mustDo(t, c, 0, "SISMEMBER", "nokey", "a")
	mustDo(t, c, "[1 0 1]", "SMISMEMBER", "s", "a", "zz", "d")
	mustDo(t, c, "[0 0]", "SMISMEMBER", "nokey", "a", "b")
	mustDo(t, c, "[]", "SMEMBERS", "nokey")
	mustDo(t, c, "set", "TYPE", "s")
	mustDo(t, c, 2, "SREM", "s", "a", "b", "zz")
	mustDo(t, c, 0, "SREM", "s", "zz")
	mustDo(t, c, 0, "SREM", "nokey", "a")
	mustDo(t, c, 2, "SREM", "s", "c", "d")
	mustDo(t, c, 0, "EXISTS", "s")
	mustDo(t, c, 0, "DBSIZE")
	// Empty and binary members are members like any other.
	mustDo(t, c, 2, "SADD", "b", "", "\x00\xff")
	mustDo(t, c, "[1 1]", "SMISMEMBER", "b", "", "\x00\xff")
}

func TestSets_Errors(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	c.Set(ctx, "str", "x", 0)
	c.SAdd(ctx, "s", "a")
	arity := func(name string, args ...any) {
		t.Helper()
		mustFail(t, c, fmt.Sprintf("ERR wrong number of arguments for '%s' command", strings.ToLower(name)), append([]any{name}, args...)...)
	}
	arity("SADD", "s")
	arity("SREM", "s")
	arity("SMEMBERS")
	arity("SISMEMBER", "s")
	arity("SMISMEMBER", "s")
	arity("SCARD", "s", "x")
	arity("SPOP")
	arity("SRANDMEMBER")
	arity("SMOVE", "s", "d")
	arity("SINTER")
	arity("SINTERCARD", "1")
	arity("SINTERSTORE", "d")
	arity("SUNION")
	arity("SUNIONSTORE", "d")
	arity("SDIFF")
	arity("SDIFFSTORE", "d")
	arity("SSCAN", "s")
	for _, args := range [][]any{
		{"SADD", "str", "a"}, {"SREM", "str", "a"}, {"SMEMBERS", "str"}, {"SISMEMBER", "str", "a"},
		{"SMISMEMBER", "str", "a"}, {"SCARD", "str"}, {"SPOP", "str"}, {"SPOP", "str", "0"},
		{"SRANDMEMBER", "str"}, {"SRANDMEMBER", "str", "-2"}, {"SMOVE", "str", "s", "a"},
		{"SMOVE", "s", "str", "a"}, {"SMOVE", "s", "str", "zz"}, {"SINTER", "s", "str"},
		{"SINTER", "nokey", "str"}, {"SUNION", "nokey", "str"}, {"SDIFF", "nokey", "str"},
		{"SDIFF", "str", "nokey"}, {"SINTERCARD", "2", "nokey", "str"}, {"SINTERSTORE", "d", "s", "str"},
		{"SUNIONSTORE", "d", "str"}, {"SDIFFSTORE", "d", "s", "str"}, {"SSCAN", "str", "0"},
	} {
		mustFail(t, c, wrongTypeText, args...)
	}
	mustDo(t, c, 0, "SMOVE", "nokey", "str", "a") // a missing source answers 0 before any type check
	mustDo(t, c, 0, "EXISTS", "d")

	mustFail(t, c, "ERR value is out of range, must be positive", "SPOP", "s", "-1")
	mustFail(t, c, "ERR value is out of range, must be positive", "SPOP", "s", "x")
	mustFail(t, c, "ERR syntax error", "SPOP", "s", "1", "2")
	mustFail(t, c, "ERR value is not an integer or out of range", "SRANDMEMBER", "s", "x")
	mustFail(t, c, "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807",
		"SRANDMEMBER", "s", "-9223372036854775808")
	mustFail(t, c, "ERR syntax error", "SRANDMEMBER", "s", "x", "y")
	for _, tc := range []struct {
		text string
		args []any
	}{
		{"ERR numkeys should be greater than 0", []any{"0", "s"}},
		{"ERR numkeys should be greater than 0", []any{"-1", "s"}},
		{"ERR numkeys should be greater than 0", []any{"x", "s"}},
		{"ERR Number of keys can't be greater than number of args", []any{"2", "s"}},
		{"ERR LIMIT can't be negative", []any{"1", "s", "LIMIT", "-1"}},
		{"ERR LIMIT can't be negative", []any{"1", "s", "LIMIT", "x"}},
		{"ERR LIMIT can't be negative", []any{"1", "nokey", "LIMIT", "9223372036854775808"}},
		{"ERR syntax error", []any{"1", "s", "LIMIT"}},
		{"ERR syntax error", []any{"1", "s", "FOO", "1"}},
	} {
		mustFail(t, c, tc.text, append([]any{"SINTERCARD"}, tc.args...)...)
	}
	mustFail(t, c, "ERR invalid cursor", "SSCAN", "s", "x")
	mustFail(t, c, "ERR syntax error", "SSCAN", "s", "0", "COUNT", "0")
	mustFail(t, c, "ERR syntax error", "SSCAN", "s", "0", "NOVALUES")
	mustFail(t, c, "ERR value is not an integer or out of range", "SSCAN", "s", "0", "COUNT", "x")
}

func TestSets_PopAndRandMember(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	all := map[string]bool{}
	var members []any
	for i := range 40 {
		all[fmt.Sprint("m", i)] = true
		members = append(members, fmt.Sprint("m", i))
	}
	c.SAdd(ctx, "s", members...)
	for _, tc := range []struct{ count, size int }{{0, 0}, {1, 1}, {7, 7}, {40, 40}, {99, 40}, {-5, 5}, {-100, 100}} {
		got, err := c.SRandMemberN(ctx, "s", int64(tc.count)).Result()
		if err != nil || len(got) != tc.size {
			t.Fatalf("SRANDMEMBER s %d: %d members (%v), want %d", tc.count, len(got), err, tc.size)
		}
		seen := map[string]bool{}
		for _, m := range got {
			if !all[m] || (tc.count > 0 && seen[m]) {
				t.Fatalf("SRANDMEMBER s %d: bad or repeated member %q", tc.count, m)
			}
			seen[m] = true
		}
	}
	if m, err := c.SRandMember(ctx, "s").Result(); err != nil || !all[m] {
		t.Fatalf("SRANDMEMBER s = %q %v", m, err)
	}
	mustDo(t, c, nil, "SRANDMEMBER", "nokey")
	mustDo(t, c, "[]", "SRANDMEMBER", "nokey", "5")
	mustDo(t, c, "[]", "SRANDMEMBER", "nokey", "-5")
	mustDo(t, c, 40, "SCARD", "s")

	popped := map[string]bool{}
	take := func(ms ...string) {
		t.Helper()
		for _, m := range ms {
			if !all[m] || popped[m] {
				t.Fatalf("SPOP returned %q: not a member or popped before", m)
			}
			popped[m] = true
		}
	}
	one, err := c.SPop(ctx, "s").Result()
	if err != nil {
		t.Fatal(err)
	}
	take(one)
	some, err := c.SPopN(ctx, "s", 10).Result()
	if err != nil || len(some) != 10 {
		t.Fatalf("SPOP s 10 = %q %v", some, err)
	}
	take(some...)
	mustDo(t, c, "[]", "SPOP", "s", "0")
	mustDo(t, c, 29, "SCARD", "s")
	rest, err := c.SPopN(ctx, "s", 100).Result()
	if err != nil || len(rest) != 29 {
		t.Fatalf("SPOP s 100 = %d members %v", len(rest), err)
	}
	take(rest...)
	mustDo(t, c, 0, "EXISTS", "s")
	mustDo(t, c, nil, "SPOP", "s")
	mustDo(t, c, "[]", "SPOP", "s", "3")
	if len(popped) != 40 {
		t.Fatalf("%d members popped, want 40", len(popped))
	}
	// A last member popped alone takes the key with it too.
	c.SAdd(ctx, "one", "x")
	mustDo(t, c, "x", "SPOP", "one")
	mustDo(t, c, 0, "EXISTS", "one")
}

func TestSets_Move(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	c.SAdd(ctx, "{s}a", "x", "y")
	c.SAdd(ctx, "{s}b", "y")
	mustDo(t, c, 1, "SMOVE", "{s}a", "{s}a", "x")
	mustDo(t, c, 0, "SMOVE", "{s}a", "{s}a", "zz")
	mustDo(t, c, 0, "SMOVE", "{s}a", "{s}b", "zz")
	mustDo(t, c, 1, "SMOVE", "{s}a", "{s}b", "y")
	mustDo(t, c, 1, "SMOVE", "{s}a", "{s}c", "x")
	mustDo(t, c, 0, "EXISTS", "{s}a")
	if b, c2 := sortedMembers(t, n, "{s}b"), sortedMembers(t, n, "{s}c"); fmt.Sprint(b, c2) != "[y] [x]" {
		t.Fatalf("after SMOVE: b %q c %q", b, c2)
	}
	mustDo(t, c, 1, "SCARD", "{s}b")
}

func TestSets_Algebra(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	c.SAdd(ctx, "{s}a", "1", "2", "3", "4", "5")
	c.SAdd(ctx, "{s}b", "4", "5", "6")
	c.SAdd(ctx, "{s}c", "5", "6", "7", "4")
	check := func(want string, args ...any) {
		t.Helper()
		got, err := c.Do(ctx, args...).StringSlice()
		slices.Sort(got)
		if err != nil || fmt.Sprint(got) != want {
			t.Fatalf("%v = %q (%v), want %s", args, got, err, want)
		}
	}
	check("[4 5]", "SINTER", "{s}a", "{s}b", "{s}c")
	check("[1 2 3 4 5]", "SINTER", "{s}a")
	check("[]", "SINTER", "{s}a", "{s}nokey")
	check("[1 2 3 4 5 6 7]", "SUNION", "{s}a", "{s}nokey", "{s}c")
	check("[1 2 3]", "SDIFF", "{s}a", "{s}b", "{s}nokey")
	check("[]", "SDIFF", "{s}a", "{s}a")
	check("[]", "SDIFF", "{s}nokey", "{s}a")
	mustDo(t, c, 2, "SINTERCARD", "3", "{s}a", "{s}b", "{s}c")
	mustDo(t, c, 1, "SINTERCARD", "3", "{s}a", "{s}b", "{s}c", "LIMIT", "1")
	mustDo(t, c, 2, "SINTERCARD", "3", "{s}a", "{s}b", "{s}c", "LIMIT", "0")
	mustDo(t, c, 5, "SINTERCARD", "1", "{s}a", "LIMIT", "9", "LIMIT", "7")
	mustDo(t, c, 0, "SINTERCARD", "2", "{s}a", "{s}nokey")

	// *STORE replaces the destination whatever its type, and drops its TTL.
	c.HSet(ctx, "{s}d", "f", "v")
	c.Expire(ctx, "{s}d", time.Hour)
	mustDo(t, c, 2, "SINTERSTORE", "{s}d", "{s}a", "{s}b")
	mustDo(t, c, "set", "TYPE", "{s}d")
	mustDo(t, c, -1, "TTL", "{s}d")
	if m := sortedMembers(t, n, "{s}d"); fmt.Sprint(m) != "[4 5]" {
		t.Fatalf("SINTERSTORE = %q", m)
	}
	mustDo(t, c, 7, "SUNIONSTORE", "{s}d", "{s}a", "{s}c", "{s}d")
	mustDo(t, c, 7, "SCARD", "{s}d")
	mustDo(t, c, 3, "SDIFFSTORE", "{s}d", "{s}a", "{s}b")
	if m := sortedMembers(t, n, "{s}d"); fmt.Sprint(m) != "[1 2 3]" {
		t.Fatalf("SDIFFSTORE = %q", m)
	}
	// The destination may be a source.
	c.SAdd(ctx, "{s}x", "1", "9")
	mustDo(t, c, 2, "SDIFFSTORE", "{s}d", "{s}d", "{s}c", "{s}nokey", "{s}x")
	mustDo(t, c, 2, "SCARD", "{s}d")
	// An empty result deletes the destination.
	mustDo(t, c, 0, "SINTERSTORE", "{s}d", "{s}a", "{s}nokey")
	mustDo(t, c, 0, "EXISTS", "{s}d")
	mustDo(t, c, 0, "SDIFFSTORE", "{s}e", "{s}nokey")
	mustDo(t, c, 0, "EXISTS", "{s}e")
	mustDo(t, c, 4, "DBSIZE")
}

func TestSets_Scan(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	want := map[string]bool{}
	var members []any
	for i := range 1000 {
		want[fmt.Sprint(i)] = true
		members = append(members, fmt.Sprint(i))
	}
	c.SAdd(ctx, "s", members...)
	got := map[string]bool{}
	var cursor uint64
	calls := 0
	for {
		ms, next, err := c.SScan(ctx, "s", cursor, "", 40).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range ms {
			got[m] = true
		}
		calls++
		// Churn during the scan: other members come and go.
		c.SAdd(ctx, "s", fmt.Sprint("new", calls))
		c.SRem(ctx, "s", fmt.Sprint("new", calls-1))
		if next == 0 {
			break
		}
		cursor = next
	}
	for m := range want {
		if !got[m] {
			t.Fatalf("SSCAN missed %q (%d calls)", m, calls)
		}
	}
	if calls < 25 {
		t.Fatalf("SSCAN took %d calls with COUNT 40 over 1000 members", calls)
	}
	ms, _, err := c.SScan(ctx, "s", 0, "99?", 10000).Result()
	slices.Sort(ms)
	if err != nil || fmt.Sprint(ms) != "[990 991 992 993 994 995 996 997 998 999]" {
		t.Fatalf("SSCAN MATCH = %q %v", ms, err)
	}
	c.SAdd(ctx, "small", "a", "b", "c")
	ms, next, _ := c.SScan(ctx, "small", 0, "", 1).Result()
	if slices.Sort(ms); next != 0 || fmt.Sprint(ms) != "[a b c]" {
		t.Fatalf("SSCAN of a small set = %q next %d, want it whole", ms, next)
	}
	mustDo(t, c, "[0 []]", "SSCAN", "nokey", "0", "COUNT", "0")
}

func TestSets_RESP3(t *testing.T) {
	n := servertest.Start(t)
	n.Client.SAdd(ctx, "s", "m")
	nc, r := respConn(t, n)
	check := func(want string, args ...string) {
		t.Helper()
		if got := shape(rawCmd(t, nc, r, args...)); got != want {
			t.Fatalf("%v = %s, want %s", args, got, want)
		}
	}
	check("~[m]", "SMEMBERS", "s")
	check("~[]", "SMEMBERS", "nokey")
	check("~[m]", "SINTER", "s")
	check("~[m]", "SUNION", "s", "nokey")
	check("~[m]", "SDIFF", "s", "nokey")
	check("*[:1 :0]", "SMISMEMBER", "s", "m", "zz")
	check(":1", "SISMEMBER", "s", "m")
	check("m", "SRANDMEMBER", "s")
	check("_", "SRANDMEMBER", "nokey")
	check("*[m m]", "SRANDMEMBER", "s", "-2")
	check("*[]", "SRANDMEMBER", "nokey", "2")
	check("*[0 *[m]]", "SSCAN", "s", "0")
	check("~[]", "SPOP", "nokey", "2")
	check("~[]", "SPOP", "s", "0")
	check("_", "SPOP", "nokey")
	check("~[m]", "SPOP", "s", "5")
}

// TestSets_EffectsReplay writes with every set command, SPOP with and
// without a count included, then restarts (which replays the log) and
// compares every set. SPOP is random, so only its effects (SREM or DEL)
// can make the replay agree; the log must not hold SPOP itself.
func TestSets_EffectsReplay(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	var members []any
	for i := range 3000 {
		members = append(members, fmt.Sprint("m", i))
	}
	c.SAdd(ctx, "{s}big", members...)
	c.SAdd(ctx, "{s}small", "a", "b", "c", "d", "e")
	c.SPop(ctx, "{s}big")
	c.SPopN(ctx, "{s}big", 10)   // seeks
	c.SPopN(ctx, "{s}big", 1500) // one pass over the set
	c.SPopN(ctx, "{s}small", 2)
	c.SRem(ctx, "{s}big", "m1", "m2", "m3")
	c.SMove(ctx, "{s}big", "{s}moved", "m100")
	c.SMove(ctx, "{s}small", "{s}moved", "a")
	c.SAdd(ctx, "{s}small", "m2000", "m2001", "m2002")
	c.SInterStore(ctx, "{s}inter", "{s}big", "{s}small")
	c.SUnionStore(ctx, "{s}union", "{s}small", "{s}moved")
	c.SDiffStore(ctx, "{s}diff", "{s}big", "{s}moved")
	c.SAdd(ctx, "{s}gone", "x", "y")
	c.SPopN(ctx, "{s}gone", 5)
	c.SAdd(ctx, "{s}dst", "old")
	c.SInterStore(ctx, "{s}dst", "{s}nokey", "{s}big")
	keys := []string{"{s}big", "{s}small", "{s}moved", "{s}inter", "{s}union", "{s}diff"}
	want := map[string][]string{}
	for _, k := range keys {
		want[k] = sortedMembers(t, n, k)
	}
	// 1511 popped, then up to 4 more removed (SREM, SMOVE) unless popped.
	if l := len(want["{s}big"]); l < 3000-1511-4 || l > 3000-1511 {
		t.Fatalf("before restart: %d members", len(want["{s}big"]))
	}
	waitLogged(t, n, resp("DEL", "{s}gone"), resp("DEL", "{s}dst"))
	text := strings.ToLower(logText(t, n))
	if strings.Contains(text, "spop") {
		t.Fatal("SPOP was logged as itself")
	}
	if strings.Count(text, "srem") < 5 {
		t.Fatal("SPOP's SREM effects are missing from the log")
	}
	n.Restart()
	c = n.Client
	for _, k := range keys {
		if got := sortedMembers(t, n, k); !slices.Equal(got, want[k]) {
			t.Fatalf("after restart %s: %d members, want %d", k, len(got), len(want[k]))
		}
		if card, _ := c.SCard(ctx, k).Result(); card != int64(len(want[k])) {
			t.Fatalf("after restart SCARD %s = %d, want %d", k, card, len(want[k]))
		}
	}
	mustDo(t, c, 0, "EXISTS", "{s}gone")
	mustDo(t, c, 0, "EXISTS", "{s}dst")
	live := 0
	for _, k := range keys {
		if len(want[k]) > 0 {
			live++
		}
	}
	mustDo(t, c, live, "DBSIZE")
}

// TestSets_Million builds a set of a million members and shows that point
// operations stay cheap: SCARD comes from a kept count, SISMEMBER, SADD
// and SREM touch one member, SPOP and SRANDMEMBER read a few.
func TestSets_Million(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("a million elements")
	}
	const total, batch = 1_000_000, 5000
	n := servertest.Start(t)
	c := n.Client
	start := time.Now()
	pipe := c.Pipeline()
	args := make([]any, batch)
	for i := 0; i < total; i += batch {
		for j := range batch {
			args[j] = i + j
		}
		pipe.SAdd(ctx, "big", args...)
		if (i/batch)%4 == 3 {
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d members written in %v", total, time.Since(start))
	start = time.Now()
	for i := range 200 {
		if card, err := c.SCard(ctx, "big").Result(); err != nil || card != int64(total+i) {
			t.Fatalf("SCARD = %d %v, want %d", card, err, total+i)
		}
		m := fmt.Sprint(i * 4999)
		if ok, err := c.SIsMember(ctx, "big", m).Result(); err != nil || !ok {
			t.Fatalf("SISMEMBER %s = %v %v", m, ok, err)
		}
		if ok, _ := c.SIsMember(ctx, "big", "x"+m).Result(); ok {
			t.Fatalf("SISMEMBER x%s = true", m)
		}
		if added, _ := c.SAdd(ctx, "big", "new:"+m).Result(); added != 1 {
			t.Fatalf("SADD new:%s = %d", m, added)
		}
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("200 rounds of point operations took %v: not O(1)", d)
	} else {
		t.Logf("200 rounds of SCARD, SISMEMBER×2, SADD in %v", d)
	}
	start = time.Now()
	popped, err := c.SPopN(ctx, "big", 100).Result()
	if err != nil || len(popped) != 100 {
		t.Fatalf("SPOP 100 = %d %v", len(popped), err)
	}
	for range 20 {
		m, err := c.SPop(ctx, "big").Result()
		if err != nil {
			t.Fatal(err)
		}
		popped = append(popped, m)
	}
	for _, m := range popped {
		if ok, _ := c.SIsMember(ctx, "big", m).Result(); ok {
			t.Fatalf("popped %q is still a member", m)
		}
	}
	if r, _ := c.SRandMemberN(ctx, "big", 50).Result(); len(r) != 50 {
		t.Fatalf("SRANDMEMBER 50 = %d", len(r))
	}
	t.Logf("SPOP 100, SPOP×20, SRANDMEMBER 50 in %v", time.Since(start))
	mustDo(t, c, total+200-120, "SCARD", "big")
}
