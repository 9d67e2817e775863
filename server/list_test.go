package server_test

// End-to-end tests of the list commands with go-redis: replies and error
// texts as Redis 7 sends them, negative indexes, empty lists vanishing,
// the effects a restart replays, and a list of a million elements whose
// head and tail operations stay cheap.

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/cobbledb/cobble/server/servertest"
)

const wrongType = "WRONGTYPE Operation against a key holding the wrong kind of value"

func wantStrings(t *testing.T, what string, got []string, err error, want ...string) {
	t.Helper()
	if err != nil || !slices.Equal(got, want) || got == nil && want != nil {
		t.Fatalf("%s = %q (%v), want %q", what, got, err, want)
	}
}

func wantInt(t *testing.T, what string, got int64, err error, want int64) {
	t.Helper()
	if err != nil || got != want {
		t.Fatalf("%s = %d (%v), want %d", what, got, err, want)
	}
}

func TestLists_PushPopRange(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	n1, err := c.RPush(ctx, "l", "a", "b", "c").Result()
	wantInt(t, "RPUSH", n1, err, 3)
	n1, err = c.LPush(ctx, "l", "y", "x").Result()
	wantInt(t, "LPUSH", n1, err, 5)
	got, err := c.LRange(ctx, "l", 0, -1).Result()
	wantStrings(t, "LRANGE 0 -1", got, err, "x", "y", "a", "b", "c")
	got, err = c.LRange(ctx, "l", -2, -1).Result()
	wantStrings(t, "LRANGE -2 -1", got, err, "b", "c")
	got, err = c.LRange(ctx, "l", -100, 1).Result()
	wantStrings(t, "LRANGE -100 1", got, err, "x", "y")
	got, err = c.LRange(ctx, "l", 3, 1).Result()
	wantStrings(t, "LRANGE 3 1", got, err)
	got, err = c.LRange(ctx, "l", 5, 10).Result()
	wantStrings(t, "LRANGE 5 10", got, err)
	got, err = c.LRange(ctx, "missing", 0, -1).Result()
	wantStrings(t, "LRANGE missing", got, err)
	wantErr(t, c.Do(ctx, "LRANGE", "l", "a", "1").Err(), "ERR value is not an integer or out of range")

	n1, err = c.LPushX(ctx, "missing", "v").Result()
	wantInt(t, "LPUSHX missing", n1, err, 0)
	n1, err = c.RPushX(ctx, "l", "z").Result()
	wantInt(t, "RPUSHX", n1, err, 6)
	if ex, _ := c.Exists(ctx, "missing").Result(); ex != 0 {
		t.Fatal("LPUSHX created a key")
	}

	if v, err := c.LPop(ctx, "l").Result(); err != nil || v != "x" {
		t.Fatalf("LPOP = %q %v", v, err)
	}
	if v, err := c.RPop(ctx, "l").Result(); err != nil || v != "z" {
		t.Fatalf("RPOP = %q %v", v, err)
	}
	got, err = c.LPopCount(ctx, "l", 2).Result()
	wantStrings(t, "LPOP 2", got, err, "y", "a")
	got, err = c.RPopCount(ctx, "l", 0).Result()
	wantStrings(t, "RPOP 0", got, err)
	// A missing key: nil, or a null array with a count (RESP2 "*-1").
	if err := c.LPop(ctx, "missing").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("LPOP missing = %v", err)
	}
	if raw, err := c.Do(ctx, "LPOP", "missing", "2").Result(); !errors.Is(err, redis.Nil) {
		t.Fatalf("LPOP missing 2 = %v %v", raw, err)
	}
	wantErr(t, c.Do(ctx, "LPOP", "l", "-1").Err(), "ERR value is out of range, must be positive")
	wantErr(t, c.Do(ctx, "LPOP", "l", "x").Err(), "ERR value is out of range, must be positive")
	wantErr(t, c.Do(ctx, "LPOP", "l", "1", "2").Err(), "ERR wrong number of arguments for 'lpop' command")
	got, err = c.RPopCount(ctx, "l", 10).Result()
	wantStrings(t, "RPOP 10", got, err, "c", "b")
	// The emptied list is gone.
	if ex, _ := c.Exists(ctx, "l").Result(); ex != 0 {
		t.Fatal("an emptied list still exists")
	}
	if typ, _ := c.Type(ctx, "l").Result(); typ != "none" {
		t.Fatalf("TYPE of an emptied list = %q", typ)
	}

	c.Set(ctx, "s", "v", 0)
	wantErr(t, c.LPush(ctx, "s", "a").Err(), wrongType)
	wantErr(t, c.RPushX(ctx, "s", "a").Err(), wrongType)
	wantErr(t, c.LPop(ctx, "s").Err(), wrongType)
	wantErr(t, c.LRange(ctx, "s", 0, 1).Err(), wrongType)
	wantErr(t, c.LLen(ctx, "s").Err(), wrongType)
	wantErr(t, c.Do(ctx, "LPUSH", "l").Err(), "ERR wrong number of arguments for 'lpush' command")
}

func TestLists_IndexSetInsertRemTrim(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	c.RPush(ctx, "l", "a", "b", "c", "d")
	if v, err := c.LIndex(ctx, "l", -1).Result(); err != nil || v != "d" {
		t.Fatalf("LINDEX -1 = %q %v", v, err)
	}
	if v, err := c.LIndex(ctx, "l", 1).Result(); err != nil || v != "b" {
		t.Fatalf("LINDEX 1 = %q %v", v, err)
	}
	for _, i := range []int64{4, -5} {
		if err := c.LIndex(ctx, "l", i).Err(); !errors.Is(err, redis.Nil) {
			t.Fatalf("LINDEX %d = %v", i, err)
		}
	}
	wantErr(t, c.Do(ctx, "LINDEX", "l", "x").Err(), "ERR value is not an integer or out of range")
	// Redis looks the key up before parsing the index.
	if err := c.Do(ctx, "LINDEX", "missing", "x").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("LINDEX missing x = %v", err)
	}

	if err := c.LSet(ctx, "l", -2, "C").Err(); err != nil {
		t.Fatal(err)
	}
	wantErr(t, c.LSet(ctx, "l", 4, "x").Err(), "ERR index out of range")
	wantErr(t, c.LSet(ctx, "missing", 0, "x").Err(), "ERR no such key")
	wantErr(t, c.Do(ctx, "LSET", "missing", "x", "v").Err(), "ERR no such key")
	wantErr(t, c.Do(ctx, "LSET", "l", "x", "v").Err(), "ERR value is not an integer or out of range")

	n1, err := c.LInsertBefore(ctx, "l", "a", "0").Result()
	wantInt(t, "LINSERT BEFORE head", n1, err, 5)
	n1, err = c.LInsertAfter(ctx, "l", "d", "e").Result()
	wantInt(t, "LINSERT AFTER tail", n1, err, 6)
	n1, err = c.LInsertAfter(ctx, "l", "b", "b2").Result()
	wantInt(t, "LINSERT AFTER b", n1, err, 7)
	n1, err = c.LInsertBefore(ctx, "l", "d", "c2").Result()
	wantInt(t, "LINSERT BEFORE d", n1, err, 8)
	n1, err = c.LInsertBefore(ctx, "l", "nope", "x").Result()
	wantInt(t, "LINSERT no pivot", n1, err, -1)
	n1, err = c.LInsertBefore(ctx, "missing", "a", "x").Result()
	wantInt(t, "LINSERT missing", n1, err, 0)
	wantErr(t, c.Do(ctx, "LINSERT", "l", "MIDDLE", "a", "x").Err(), "ERR syntax error")
	got, err := c.LRange(ctx, "l", 0, -1).Result()
	wantStrings(t, "after LINSERT", got, err, "0", "a", "b", "b2", "C", "c2", "d", "e")

	c.Del(ctx, "r")
	c.RPush(ctx, "r", "x", "a", "x", "b", "x", "c", "x")
	n1, err = c.LRem(ctx, "r", 2, "x").Result()
	wantInt(t, "LREM 2", n1, err, 2)
	n1, err = c.LRem(ctx, "r", -1, "x").Result()
	wantInt(t, "LREM -1", n1, err, 1)
	got, err = c.LRange(ctx, "r", 0, -1).Result()
	wantStrings(t, "after LREM", got, err, "a", "b", "x", "c")
	n1, err = c.LRem(ctx, "r", 0, "nope").Result()
	wantInt(t, "LREM nothing", n1, err, 0)
	c.LRem(ctx, "r", 0, "x")
	c.LRem(ctx, "r", 0, "a")
	c.LRem(ctx, "r", 0, "b")
	c.LRem(ctx, "r", 0, "c")
	if ex, _ := c.Exists(ctx, "r").Result(); ex != 0 {
		t.Fatal("a list emptied by LREM still exists")
	}

	c.Del(ctx, "t")
	for i := range 10 {
		c.RPush(ctx, "t", fmt.Sprint(i))
	}
	if err := c.LTrim(ctx, "t", 2, -3).Err(); err != nil {
		t.Fatal(err)
	}
	got, err = c.LRange(ctx, "t", 0, -1).Result()
	wantStrings(t, "LTRIM 2 -3", got, err, "2", "3", "4", "5", "6", "7")
	c.LTrim(ctx, "t", -2, 100)
	got, err = c.LRange(ctx, "t", 0, -1).Result()
	wantStrings(t, "LTRIM -2 100", got, err, "6", "7")
	if err := c.LTrim(ctx, "missing", 0, 1).Err(); err != nil {
		t.Fatalf("LTRIM missing = %v", err)
	}
	c.LTrim(ctx, "t", 5, 1)
	if ex, _ := c.Exists(ctx, "t").Result(); ex != 0 {
		t.Fatal("LTRIM to an empty range left the key")
	}
	if l, err := c.LLen(ctx, "l").Result(); err != nil || l != 8 {
		t.Fatalf("LLEN = %d %v", l, err)
	}
}

func TestLists_PosMoveMPop(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	c.RPush(ctx, "l", "a", "b", "c", "1", "2", "3", "c", "c")
	if i, err := c.LPos(ctx, "l", "c", redis.LPosArgs{}).Result(); err != nil || i != 2 {
		t.Fatalf("LPOS = %d %v", i, err)
	}
	if i, err := c.LPos(ctx, "l", "c", redis.LPosArgs{Rank: -1}).Result(); err != nil || i != 7 {
		t.Fatalf("LPOS RANK -1 = %d %v", i, err)
	}
	if i, err := c.LPos(ctx, "l", "c", redis.LPosArgs{Rank: 2}).Result(); err != nil || i != 6 {
		t.Fatalf("LPOS RANK 2 = %d %v", i, err)
	}
	if is, err := c.LPosCount(ctx, "l", "c", 0, redis.LPosArgs{}).Result(); err != nil || !slices.Equal(is, []int64{2, 6, 7}) {
		t.Fatalf("LPOS COUNT 0 = %v %v", is, err)
	}
	if is, err := c.LPosCount(ctx, "l", "c", 2, redis.LPosArgs{Rank: -1}).Result(); err != nil || !slices.Equal(is, []int64{7, 6}) {
		t.Fatalf("LPOS RANK -1 COUNT 2 = %v %v", is, err)
	}
	if is, err := c.LPosCount(ctx, "l", "c", 0, redis.LPosArgs{MaxLen: 3}).Result(); err != nil || !slices.Equal(is, []int64{2}) {
		t.Fatalf("LPOS MAXLEN 3 = %v %v", is, err)
	}
	if err := c.LPos(ctx, "l", "nope", redis.LPosArgs{}).Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("LPOS no match = %v", err)
	}
	if is, err := c.LPosCount(ctx, "missing", "c", 1, redis.LPosArgs{}).Result(); err != nil || len(is) != 0 {
		t.Fatalf("LPOS missing COUNT 1 = %v %v", is, err)
	}
	wantErr(t, c.Do(ctx, "LPOS", "l", "c", "RANK", "0").Err(),
		"ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list")
	wantErr(t, c.Do(ctx, "LPOS", "l", "c", "COUNT", "-1").Err(), "ERR COUNT can't be negative")
	wantErr(t, c.Do(ctx, "LPOS", "l", "c", "MAXLEN", "-1").Err(), "ERR MAXLEN can't be negative")
	wantErr(t, c.Do(ctx, "LPOS", "l", "c", "RANK").Err(), "ERR syntax error")

	c.Del(ctx, "a", "b")
	c.RPush(ctx, "a", "1", "2", "3")
	if v, err := c.LMove(ctx, "a", "b", "LEFT", "RIGHT").Result(); err != nil || v != "1" {
		t.Fatalf("LMOVE = %q %v", v, err)
	}
	if v, err := c.RPopLPush(ctx, "a", "b").Result(); err != nil || v != "3" {
		t.Fatalf("RPOPLPUSH = %q %v", v, err)
	}
	if v, err := c.LMove(ctx, "a", "a", "LEFT", "RIGHT").Result(); err != nil || v != "2" {
		t.Fatalf("LMOVE a a = %q %v", v, err)
	}
	got, err := c.LRange(ctx, "b", 0, -1).Result()
	wantStrings(t, "b after LMOVE", got, err, "3", "1")
	if err := c.LMove(ctx, "missing", "b", "LEFT", "LEFT").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("LMOVE missing = %v", err)
	}
	wantErr(t, c.Do(ctx, "LMOVE", "a", "b", "UP", "LEFT").Err(), "ERR syntax error")
	c.Set(ctx, "s", "v", 0)
	wantErr(t, c.LMove(ctx, "a", "s", "LEFT", "LEFT").Err(), wrongType)
	if l, _ := c.LLen(ctx, "a").Result(); l != 1 {
		t.Fatal("LMOVE to a wrong type popped the source")
	}

	key, vals, err := c.LMPop(ctx, "right", 10, "missing", "b").Result()
	if err != nil || key != "b" || !slices.Equal(vals, []string{"1", "3"}) {
		t.Fatalf("LMPOP = %q %q %v", key, vals, err)
	}
	if _, _, err := c.LMPop(ctx, "left", 1, "missing", "b").Result(); !errors.Is(err, redis.Nil) {
		t.Fatalf("LMPOP on nothing = %v", err)
	}
	wantErr(t, c.Do(ctx, "LMPOP", "0", "a", "LEFT").Err(), "ERR numkeys should be greater than 0")
	wantErr(t, c.Do(ctx, "LMPOP", "3", "a", "LEFT").Err(), "ERR syntax error")
	wantErr(t, c.Do(ctx, "LMPOP", "1", "a", "UP").Err(), "ERR syntax error")
	wantErr(t, c.Do(ctx, "LMPOP", "1", "a", "LEFT", "COUNT", "0").Err(), "ERR count should be greater than 0")
	wantErr(t, c.Do(ctx, "LMPOP", "2", "s", "a", "LEFT").Err(), wrongType)
}

// TestLists_RESP3 checks the replies whose RESP3 form differs.
func TestLists_RESP3(t *testing.T) {
	n := servertest.Start(t)
	c := redis.NewClient(&redis.Options{Addr: n.Addr, Protocol: 3, DisableIdentity: true})
	defer c.Close()
	if err := c.Do(ctx, "LPOP", "missing", "2").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("LPOP missing 2 = %v", err)
	}
	if err := c.Do(ctx, "LMPOP", "1", "missing", "LEFT").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("LMPOP missing = %v", err)
	}
	c.RPush(ctx, "l", "a")
	if v, err := c.Do(ctx, "LPOS", "l", "zz").Result(); !errors.Is(err, redis.Nil) {
		t.Fatalf("LPOS no match = %v %v", v, err)
	}
}

// TestLists_Restart checks that every element of several lists, shaped by
// every kind of write, is there after a restart (which replays the log).
func TestLists_Restart(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	for i := range 50 {
		c.RPush(ctx, "l1", fmt.Sprint("r", i))
		c.LPush(ctx, "l1", fmt.Sprint("l", i))
	}
	c.LPop(ctx, "l1")
	c.RPopCount(ctx, "l1", 3)
	c.LSet(ctx, "l1", 5, "set")
	c.LInsertAfter(ctx, "l1", "r10", "ins")
	c.LRem(ctx, "l1", 0, "r20")
	c.LTrim(ctx, "l1", 2, -2)
	c.RPush(ctx, "l2", "a", "b", "c", "d")
	c.LMove(ctx, "l2", "l3", "RIGHT", "LEFT")
	c.LMPop(ctx, "left", 2, "l2")
	c.RPush(ctx, "gone", "x")
	c.LPop(ctx, "gone")
	want := map[string][]string{}
	for _, k := range []string{"l1", "l2", "l3"} {
		want[k], _ = c.LRange(ctx, k, 0, -1).Result()
	}
	n.Restart()
	c = n.Client
	for k, w := range want {
		got, err := c.LRange(ctx, k, 0, -1).Result()
		wantStrings(t, "after restart LRANGE "+k, got, err, w...)
		if l, _ := c.LLen(ctx, k).Result(); l != int64(len(w)) {
			t.Fatalf("after restart LLEN %s = %d, want %d", k, l, len(w))
		}
	}
	if ex, _ := c.Exists(ctx, "gone").Result(); ex != 0 {
		t.Fatal("an emptied list came back")
	}
}

// TestLists_Million builds a list of a million elements and shows that its
// ends and indexes are served without reading it: pushes, pops, LINDEX,
// LSET and LLEN at both ends answer right while the list stays whole.
func TestLists_Million(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("a million elements")
	}
	const total, batch = 1_000_000, 5000
	n := servertest.Start(t)
	c := n.Client
	pipe := c.Pipeline()
	args := make([]any, batch)
	for i := 0; i < total; i += batch {
		for j := range batch {
			args[j] = i + j
		}
		pipe.RPush(ctx, "big", args...)
		if (i/batch)%20 == 19 {
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if l, err := c.LLen(ctx, "big").Result(); err != nil || l != total {
		t.Fatalf("LLEN = %d %v", l, err)
	}
	for range 200 {
		c.LPush(ctx, "big", "head")
		c.RPush(ctx, "big", "tail")
		if v, _ := c.LPop(ctx, "big").Result(); v != "head" {
			t.Fatalf("LPOP = %q", v)
		}
		if v, _ := c.RPop(ctx, "big").Result(); v != "tail" {
			t.Fatalf("RPOP = %q", v)
		}
	}
	checks := map[int64]string{0: "0", -1: "999999", 500000: "500000", -500000: "500000", 123456: "123456"}
	for i, want := range checks {
		if v, err := c.LIndex(ctx, "big", i).Result(); err != nil || v != want {
			t.Fatalf("LINDEX %d = %q %v, want %q", i, v, err, want)
		}
	}
	if err := c.LSet(ctx, "big", 777777, "seven").Err(); err != nil {
		t.Fatal(err)
	}
	got, err := c.LRange(ctx, "big", 777776, 777778).Result()
	wantStrings(t, "LRANGE around LSET", got, err, "777776", "seven", "777778")
	got, err = c.LPopCount(ctx, "big", 3).Result()
	wantStrings(t, "LPOP 3", got, err, "0", "1", "2")
	got, err = c.RPopCount(ctx, "big", 2).Result()
	wantStrings(t, "RPOP 2", got, err, "999999", "999998")
	if l, _ := c.LLen(ctx, "big").Result(); l != total-5 {
		t.Fatalf("LLEN = %d", l)
	}
	got, err = c.LRange(ctx, "big", -2, -1).Result()
	wantStrings(t, "LRANGE -2 -1", got, err, "999996", "999997")
}
