package server_test

// SORT and SORT_RO end to end: numeric and ALPHA order, LIMIT, BY and GET
// patterns (strings, hash fields, "#", nosort), the errors in Redis's
// order, STORE replacing or deleting its destination and logging the
// result rather than the command, the keys COMMAND GETKEYS reports, and an
// interop test holding the replies against a real redis-server.

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cobbledb/cobble/server/servertest"
)

// sortDo runs a command and fails unless it answers want (nil for a null,
// []any for an array, string for a bulk or status, int64 for an integer).
func sortDo(t *testing.T, c *redis.Client, want any, args ...any) {
	t.Helper()
	got, err := c.Do(ctx, args...).Result()
	if err == redis.Nil {
		got, err = nil, nil
	}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("%v = %#v (%v), want %#v", args, got, err, want)
	}
}

func strs(s ...string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

func TestSort_OrderLimitAndPatterns(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	c.RPush(ctx, "l", "3", "1", "2", "10", "-5", "2.5")
	sortDo(t, c, strs("-5", "1", "2", "2.5", "3", "10"), "SORT", "l")
	sortDo(t, c, strs("10", "3", "2.5", "2", "1", "-5"), "SORT", "l", "DESC")
	sortDo(t, c, strs("-5", "1", "10", "2", "2.5", "3"), "SORT", "l", "ALPHA")
	sortDo(t, c, strs("1", "2"), "SORT", "l", "LIMIT", "1", "2")
	sortDo(t, c, strs("-5", "1"), "SORT", "l", "LIMIT", "-1", "2") // a negative offset is 0
	sortDo(t, c, strs("2", "2.5", "3", "10"), "SORT", "l", "LIMIT", "2", "-1")
	sortDo(t, c, strs(), "SORT", "l", "LIMIT", "10", "2")
	sortDo(t, c, strs(), "SORT", "l", "LIMIT", "0", "0")

	// BY without '*' keeps the list's order, reversed by DESC, and LIMIT
	// reads just the window.
	sortDo(t, c, strs("3", "1", "2", "10", "-5", "2.5"), "SORT", "l", "BY", "nosort")
	sortDo(t, c, strs("-5", "10"), "SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "2")

	// BY a pattern: missing weights sort as 0, equal weights by element.
	c.MSet(ctx, "w_3", "30", "w_1", "10", "w_2", "20", "w_10", "5")
	sortDo(t, c, strs("-5", "2.5", "10", "1", "2", "3"), "SORT", "l", "BY", "w_*")
	sortDo(t, c, strs("1", "2", "3", "10"), "SORT", "l", "BY", "w_*", "ALPHA", "LIMIT", "2", "4")
	sortDo(t, c, []any{"1", "10", "2", "20", "3", "30"}, "SORT", "l", "BY", "w_*", "LIMIT", "3", "3", "GET", "#", "GET", "w_*")
	sortDo(t, c, []any{nil, nil, "10", "10"}, "SORT", "l", "LIMIT", "0", "2", "GET", "w_*", "GET", "w_*")

	// Hash fields: "->field" after the '*'; an empty field name is no
	// dereference.
	c.HSet(ctx, "h_1", "f", "3", "g", "x")
	c.HSet(ctx, "h_2", "f", "1")
	c.HSet(ctx, "h_3", "f", "2")
	c.Del(ctx, "l")
	c.RPush(ctx, "l", "1", "2", "3")
	sortDo(t, c, []any{"1", nil, "2", nil, "3", "x"}, "SORT", "l", "BY", "h_*->f", "GET", "h_*->f", "GET", "h_*->g")
	sortDo(t, c, []any{nil, nil, nil}, "SORT", "l", "GET", "h_*->")
	c.Set(ctx, "s_1", "str", 0)
	sortDo(t, c, []any{"3", "str"}, "SORT", "l", "LIMIT", "0", "1", "GET", "h_*->f", "GET", "s_*")
	sortDo(t, c, []any{nil, nil}, "SORT", "l", "LIMIT", "0", "1", "GET", "s_*->f", "GET", "h_*") // wrong types find nothing

	// Sets and sorted sets.
	c.SAdd(ctx, "set", "5", "3", "1", "9")
	sortDo(t, c, strs("9", "5", "3", "1"), "SORT", "set", "DESC")
	sortDo(t, c, strs("3", "5"), "SORT_RO", "set", "LIMIT", "1", "2")
	c.ZAdd(ctx, "z", redis.Z{Score: 1, Member: "c"}, redis.Z{Score: 2, Member: "b"}, redis.Z{Score: 3, Member: "a"})
	sortDo(t, c, strs("a", "b", "c"), "SORT", "z", "ALPHA")
	sortDo(t, c, strs("c", "b", "a"), "SORT", "z", "BY", "nosort")
	sortDo(t, c, strs("b", "c"), "SORT", "z", "BY", "nosort", "DESC", "LIMIT", "1", "5")
	sortDo(t, c, strs(), "SORT", "missing")
}

func TestSort_Errors(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	c.RPush(ctx, "l", "1", "x")
	c.Set(ctx, "str", "v", 0)
	wantErr(t, c.Do(ctx, "SORT", "l").Err(), "ERR One or more scores can't be converted into double")
	wantErr(t, c.Do(ctx, "SORT", "l", "STORE", "dst").Err(), "ERR One or more scores can't be converted into double")
	if ex, _ := c.Exists(ctx, "dst").Result(); ex != 0 {
		t.Fatal("a failed SORT … STORE stored")
	}
	sortDo(t, c, strs("1", "x"), "SORT", "l", "ALPHA")
	sortDo(t, c, strs("1", "x"), "SORT", "l", "BY", "nosort") // nothing is parsed
	wantErr(t, c.Do(ctx, "SORT", "str").Err(), "WRONGTYPE Operation against a key holding the wrong kind of value")
	wantErr(t, c.Do(ctx, "SORT", "str", "FOO").Err(), "ERR syntax error") // options first
	wantErr(t, c.Do(ctx, "SORT", "l", "LIMIT", "1").Err(), "ERR syntax error")
	wantErr(t, c.Do(ctx, "SORT", "l", "LIMIT", "a", "1").Err(), "ERR value is not an integer or out of range")
	wantErr(t, c.Do(ctx, "SORT", "l", "GET").Err(), "ERR syntax error")
	wantErr(t, c.Do(ctx, "SORT_RO", "l", "ALPHA", "STORE", "dst").Err(), "ERR syntax error")

	// What strtod accepts, Redis accepts: leading spaces, hex, inf, "".
	for _, v := range []string{" 5", "0x10", "inf", "", "2.2250738585072014e-308"} {
		c.Del(ctx, "n")
		c.RPush(ctx, "n", v)
		if err := c.Do(ctx, "SORT", "n").Err(); err != nil {
			t.Errorf("SORT of %q: %v", v, err)
		}
	}
	for _, v := range []string{"5 ", "  ", "nan", "1_0", "1e400", "1e-400", "4e-320"} {
		c.Del(ctx, "n")
		c.RPush(ctx, "n", v)
		if err := c.Do(ctx, "SORT", "n").Err(); err == nil {
			t.Errorf("SORT of %q is not an error", v)
		}
	}
}

// TestSort_Store checks that STORE replaces its destination with a list
// (dropping its TTL), deletes it for an empty result, and logs DEL and
// RPUSHes of the result: SORT BY reads keys the command does not name, so
// replaying it verbatim could store something else.
func TestSort_Store(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	c.RPush(ctx, "src", "b", "a", "c")
	c.MSet(ctx, "w_a", "3", "w_b", "2", "w_c", "1")
	c.Set(ctx, "dst", "old", time.Hour)
	sortDo(t, c, int64(3), "SORT", "src", "BY", "w_*", "STORE", "dst")
	wantStrings(t, "stored", c.LRange(ctx, "dst", 0, -1).Val(), nil, "c", "b", "a")
	if ttl := c.TTL(ctx, "dst").Val(); ttl != -1 {
		t.Fatalf("TTL of the stored list = %v, want none", ttl)
	}
	sortDo(t, c, int64(6), "SORT", "src", "ALPHA", "GET", "#", "GET", "nope_*", "STORE", "dst")
	wantStrings(t, "stored GETs", c.LRange(ctx, "dst", 0, -1).Val(), nil, "a", "", "b", "", "c", "")
	sortDo(t, c, int64(0), "SORT", "missing", "STORE", "dst")
	if ex := c.Exists(ctx, "dst").Val(); ex != 0 {
		t.Fatal("an empty result left the destination")
	}
	sortDo(t, c, int64(0), "SORT", "missing", "STORE", "dst")

	// A set kept in its own order is stored sorted (ALPHA), as in Redis.
	c.SAdd(ctx, "set", "z", "x", "y")
	sortDo(t, c, int64(3), "SORT", "set", "BY", "nosort", "STORE", "fromset")
	wantStrings(t, "set stored", c.LRange(ctx, "fromset", 0, -1).Val(), nil, "x", "y", "z")

	// A long result is logged in several RPUSHes.
	big := make([]any, 1200)
	for i := range big {
		big[i] = fmt.Sprintf("%04d", i)
	}
	c.RPush(ctx, "big", big...)
	sortDo(t, c, int64(1200), "SORT", "big", "STORE", "bigdst")

	pollFor(t, 5*time.Second, func() error {
		log := logText(t, n)
		for _, want := range []string{
			resp("DEL", "dst") + resp("RPUSH", "dst", "c", "b", "a"),
			resp("DEL", "dst") + resp("RPUSH", "dst", "a", "", "b", "", "c", ""),
			// 1200 elements: RPUSHes of 512, 512 and 176.
			"*514\r\n$5\r\nRPUSH\r\n$6\r\nbigdst\r\n$4\r\n0000\r\n",
			"*514\r\n$5\r\nRPUSH\r\n$6\r\nbigdst\r\n$4\r\n0512\r\n",
			"*178\r\n$5\r\nRPUSH\r\n$6\r\nbigdst\r\n$4\r\n1024\r\n",
		} {
			if !strings.Contains(log, want) {
				return fmt.Errorf("the log lacks %q", want)
			}
		}
		if strings.Contains(log, "SORT") {
			return fmt.Errorf("SORT was logged verbatim")
		}
		if got := strings.Count(log, resp("DEL", "dst")); got != 3 {
			return fmt.Errorf("DEL dst logged %d times, want 3 (the last SORT changed nothing)", got)
		}
		return nil
	})
	n.Restart()
	wantStrings(t, "after restart", n.Client.LRange(ctx, "fromset", 0, -1).Val(), nil, "x", "y", "z")
	if l := n.Client.LLen(ctx, "bigdst").Val(); l != 1200 {
		t.Fatalf("after restart LLEN bigdst = %d", l)
	}
}

func TestSort_Keys(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	sortDo(t, c, strs("l", "d2"), "COMMAND", "GETKEYS", "SORT", "l", "STORE", "d1", "LIMIT", "0", "1", "STORE", "d2")
	sortDo(t, c, strs("l", "x"), "COMMAND", "GETKEYS", "SORT", "l", "BY", "store", "GET", "store", "STORE", "x")
	sortDo(t, c, strs("l"), "COMMAND", "GETKEYS", "SORT_RO", "l", "GET", "#")
}

// TestInterop_Sort runs the same commands on cobble and a real
// redis-server and compares every reply.
func TestInterop_Sort(t *testing.T) {
	rc := startRedis(t)
	n := servertest.Start(t)
	script := [][]any{
		{"RPUSH", "l", "3", "1", "2", "10", "-5", "2.5"},
		{"MSET", "w_3", "30", "w_1", "10", "w_2", "20", "w_10", "5", "w_-5", "100"},
		{"HSET", "h_3", "f", "3", "g", "x"},
		{"HSET", "h_1", "f", "1"},
		{"SADD", "s", "5", "3", "1", "9"},
		{"ZADD", "z", "1", "c", "2", "b", "3", "a"},
		{"SORT", "l"}, {"SORT", "l", "DESC"}, {"SORT", "l", "ALPHA", "DESC"},
		{"SORT", "l", "LIMIT", "-1", "2"}, {"SORT", "l", "LIMIT", "2", "-1"}, {"SORT", "l", "LIMIT", "10", "2"},
		{"SORT", "l", "BY", "nosort", "DESC", "LIMIT", "1", "2"}, {"SORT", "l", "BY", "nosort", "LIMIT", "7", "1"},
		{"SORT", "l", "BY", "w_*"}, {"SORT", "l", "BY", "w_*", "ALPHA", "DESC"},
		{"SORT", "l", "BY", "w_*", "GET", "#", "GET", "w_*", "GET", "nokey"},
		{"SORT", "l", "BY", "h_*->f", "GET", "h_*->g", "GET", "h_*->f", "GET", "h_*->"},
		{"SORT", "s"}, {"SORT", "s", "DESC", "LIMIT", "1", "2"}, {"SORT", "s", "BY", "nosort", "STORE", "d"},
		{"LRANGE", "d", "0", "-1"},
		{"SORT", "z", "ALPHA"}, {"SORT", "z", "BY", "nosort", "DESC"}, {"SORT", "z", "BY", "nosort", "LIMIT", "1", "1"},
		{"SORT", "l", "GET", "#", "GET", "w_*", "STORE", "d"}, {"LRANGE", "d", "0", "-1"},
		{"SORT", "nokey", "STORE", "d"}, {"EXISTS", "d"},
		{"SORT", "w_1"}, {"SORT", "l", "LIMIT", "1"}, {"SORT", "l", "LIMIT", "x", "1"}, {"SORT_RO", "l", "STORE", "d"},
		{"RPUSH", "bad", "1", "x"}, {"SORT", "bad"}, {"SORT", "bad", "ALPHA"},
	}
	for _, cmd := range script {
		want, werr := rc.Do(ctx, cmd...).Result()
		got, gerr := n.Client.Do(ctx, cmd...).Result()
		if fmt.Sprint(werr) != fmt.Sprint(gerr) || !reflect.DeepEqual(got, want) {
			t.Errorf("%v: cobble %#v (%v), redis %#v (%v)", cmd, got, gerr, want, werr)
		}
	}
}
