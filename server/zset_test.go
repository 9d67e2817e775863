package server_test

// End-to-end tests of the sorted set commands with go-redis: ZADD's
// options and errors, ranges by rank, score (-inf/+inf, exclusive bounds,
// LIMIT) and lex, pops, set operations, RESP3 reply shapes, empty sorted
// sets vanishing, a restart, and a million members whose point operations
// stay cheap.

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/cobbledb/cobble/server/servertest"
)

func zs(pairs ...any) []redis.Z {
	var out []redis.Z
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, redis.Z{Member: pairs[i], Score: toFloat(pairs[i+1])})
	}
	return out
}

func toFloat(v any) float64 {
	switch x := v.(type) {
	case int:
		return float64(x)
	case float64:
		return x
	}
	panic(fmt.Sprintf("score %v", v))
}

func wantZ(t *testing.T, what string, got []redis.Z, err error, want ...redis.Z) {
	t.Helper()
	if err != nil || len(got) != len(want) {
		t.Fatalf("%s = %v (%v), want %v", what, got, err, want)
	}
	for i := range got {
		if fmt.Sprint(got[i].Member) != fmt.Sprint(want[i].Member) || got[i].Score != want[i].Score {
			t.Fatalf("%s = %v, want %v", what, got, want)
		}
	}
}

func TestZSets_AddAndScores(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	add := func(args ...any) any {
		t.Helper()
		v, err := c.Do(ctx, append([]any{"ZADD", "z"}, args...)...).Result()
		if err != nil && !errors.Is(err, redis.Nil) {
			t.Fatalf("ZADD %v: %v", args, err)
		}
		return v
	}
	if v := add(1, "a", 2, "b", 3, "c"); v != int64(3) {
		t.Fatalf("ZADD = %v", v)
	}
	if v := add(1, "a", 2, "b"); v != int64(0) {
		t.Fatalf("ZADD again = %v", v)
	}
	if v := add("CH", 5, "a", 2, "b", 4, "d"); v != int64(2) {
		t.Fatalf("ZADD CH = %v", v)
	}
	if v := add("NX", 10, "a", 10, "e"); v != int64(1) {
		t.Fatalf("ZADD NX = %v", v)
	}
	if v := add("XX", "CH", 11, "a", 11, "f"); v != int64(1) {
		t.Fatalf("ZADD XX CH = %v", v)
	}
	if v := add("GT", "CH", 1, "a", 13, "b"); v != int64(1) {
		t.Fatalf("ZADD GT CH = %v", v)
	}
	if v := add("LT", "CH", 1, "a", 14, "c"); v != int64(1) {
		t.Fatalf("ZADD LT CH = %v", v)
	}
	if v := add("INCR", 1.5, "a"); v != "2.5" {
		t.Fatalf("ZADD INCR = %v", v)
	}
	if v := add("INCR", "GT", -1, "a"); v != nil {
		t.Fatalf("ZADD INCR GT with a decrease = %v", v)
	}
	if v := add("XX", "INCR", 1, "nope"); v != nil {
		t.Fatalf("ZADD XX INCR on a new member = %v", v)
	}
	if s, err := c.ZIncrBy(ctx, "z", -0.5, "a").Result(); err != nil || s != 2 {
		t.Fatalf("ZINCRBY = %v %v", s, err)
	}
	if s, err := c.ZScore(ctx, "z", "a").Result(); err != nil || s != 2 {
		t.Fatalf("ZSCORE = %v %v", s, err)
	}
	if err := c.ZScore(ctx, "z", "nope").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("ZSCORE missing member = %v", err)
	}
	if err := c.ZScore(ctx, "missing", "a").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("ZSCORE missing key = %v", err)
	}
	raw, err := c.Do(ctx, "ZMSCORE", "z", "a", "nope", "d").Result()
	if err != nil || !reflect.DeepEqual(raw, []any{"2", nil, "4"}) {
		t.Fatalf("ZMSCORE = %#v %v", raw, err)
	}
	if card, err := c.ZCard(ctx, "z").Result(); err != nil || card != 5 {
		t.Fatalf("ZCARD = %d %v", card, err)
	}
	if card, _ := c.ZCard(ctx, "missing").Result(); card != 0 {
		t.Fatal("ZCARD of a missing key")
	}
	// Infinities and their NaN sum.
	add("inf", "i", "-inf", "j")
	if s, _ := c.Do(ctx, "ZSCORE", "z", "i").Text(); s != "inf" {
		t.Fatalf("ZSCORE inf = %q", s)
	}
	wantErr(t, c.ZIncrBy(ctx, "z", math.Inf(-1), "i").Err(), "ERR resulting score is not a number (NaN)")
	wantErr(t, c.Do(ctx, "ZADD", "z", "INCR", "-inf", "i").Err(), "ERR resulting score is not a number (NaN)")
	// -0 is stored as 0, as Redis's compact encoding does.
	add("-0", "nz")
	if s, _ := c.Do(ctx, "ZSCORE", "z", "nz").Text(); s != "0" {
		t.Fatalf("ZSCORE of -0 = %q", s)
	}

	wantErr(t, c.Do(ctx, "ZADD", "z", "NX", "XX", 1, "a").Err(), "ERR XX and NX options at the same time are not compatible")
	wantErr(t, c.Do(ctx, "ZADD", "z", "GT", "LT", 1, "a").Err(), "ERR GT, LT, and/or NX options at the same time are not compatible")
	wantErr(t, c.Do(ctx, "ZADD", "z", "GT", "NX", 1, "a").Err(), "ERR GT, LT, and/or NX options at the same time are not compatible")
	wantErr(t, c.Do(ctx, "ZADD", "z", "INCR", 1, "a", 2, "b").Err(), "ERR INCR option supports a single increment-element pair")
	wantErr(t, c.Do(ctx, "ZADD", "z", 1, "a", 2).Err(), "ERR syntax error")
	wantErr(t, c.Do(ctx, "ZADD", "z", "NX", 1).Err(), "ERR syntax error")
	wantErr(t, c.Do(ctx, "ZADD", "z", "abc", "a").Err(), "ERR value is not a valid float")
	wantErr(t, c.Do(ctx, "ZADD", "z", "nan", "a").Err(), "ERR value is not a valid float")
	wantErr(t, c.Do(ctx, "ZINCRBY", "z", "x", "a").Err(), "ERR value is not a valid float")
	wantErr(t, c.Do(ctx, "ZADD", "z", 1).Err(), "ERR wrong number of arguments for 'zadd' command")
	if err := c.Do(ctx, "ZADD", "new", "XX", 1, "a").Err(); err != nil {
		t.Fatal(err)
	}
	if ex, _ := c.Exists(ctx, "new").Result(); ex != 0 {
		t.Fatal("ZADD XX created a key")
	}
	c.Set(ctx, "s", "v", 0)
	wantErr(t, c.ZAdd(ctx, "s", redis.Z{Score: 1, Member: "a"}).Err(), wrongType)
	wantErr(t, c.ZScore(ctx, "s", "a").Err(), wrongType)
	wantErr(t, c.ZCard(ctx, "s").Err(), wrongType)

	if r, err := c.ZRem(ctx, "z", "a", "nope", "b").Result(); err != nil || r != 2 {
		t.Fatalf("ZREM = %d %v", r, err)
	}
	c.ZRem(ctx, "z", "c", "d", "e", "f", "i", "j", "nz")
	if ex, _ := c.Exists(ctx, "z").Result(); ex != 0 {
		t.Fatal("an emptied sorted set still exists")
	}
}

func TestZSets_Ranges(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	c.ZAdd(ctx, "z", zs("a", 1, "b", 2, "c", 2, "d", 3.5, "e", math.Inf(1), "f", math.Inf(-1), "g", -1)...)
	all := zs("f", math.Inf(-1), "g", -1, "a", 1, "b", 2, "c", 2, "d", 3.5, "e", math.Inf(1))

	got, err := c.ZRangeWithScores(ctx, "z", 0, -1).Result()
	wantZ(t, "ZRANGE 0 -1", got, err, all...)
	got, err = c.ZRangeWithScores(ctx, "z", -2, -1).Result()
	wantZ(t, "ZRANGE -2 -1", got, err, all[5:]...)
	got, err = c.ZRevRangeWithScores(ctx, "z", 0, 1).Result()
	wantZ(t, "ZREVRANGE 0 1", got, err, all[6], all[5])
	ms, err := c.ZRange(ctx, "z", 5, 1).Result()
	wantStrings(t, "ZRANGE 5 1", ms, err)
	ms, err = c.ZRange(ctx, "missing", 0, -1).Result()
	wantStrings(t, "ZRANGE missing", ms, err)

	byScore := func(min, max string, off, count int64) []redis.Z {
		t.Helper()
		got, err := c.ZRangeByScoreWithScores(ctx, "z", &redis.ZRangeBy{Min: min, Max: max, Offset: off, Count: count}).Result()
		if err != nil {
			t.Fatalf("ZRANGEBYSCORE %s %s: %v", min, max, err)
		}
		return got
	}
	wantZ(t, "-inf +inf", byScore("-inf", "+inf", 0, 0), nil, all...)
	wantZ(t, "(-inf (+inf", byScore("(-inf", "(+inf", 0, 0), nil, all[1:6]...)
	wantZ(t, "(1 2", byScore("(1", "2", 0, 0), nil, all[3:5]...)
	wantZ(t, "1 (2", byScore("1", "(2", 0, 0), nil, all[2])
	wantZ(t, "(2 (2", byScore("(2", "(2", 0, 0), nil)
	wantZ(t, "3 1", byScore("3", "1", 0, 0), nil)
	wantZ(t, "LIMIT 2 3", byScore("-inf", "+inf", 2, 3), nil, all[2:5]...)
	wantZ(t, "LIMIT 5 -1", byScore("-inf", "+inf", 5, -1), nil, all[5:]...)
	wantZ(t, "LIMIT 100 1", byScore("-inf", "+inf", 100, 1), nil)
	// A negative offset selects nothing, as in Redis.
	wantZ(t, "LIMIT -1 2", byScore("-inf", "+inf", -1, 2), nil)
	got, err = c.ZRevRangeByScoreWithScores(ctx, "z", &redis.ZRangeBy{Min: "(1", Max: "+inf", Offset: 1, Count: 2}).Result()
	wantZ(t, "ZREVRANGEBYSCORE +inf (1 LIMIT 1 2", got, err, all[5], all[4])
	raw, err := c.Do(ctx, "ZRANGE", "z", "+inf", "3", "BYSCORE", "REV", "WITHSCORES").Result()
	if err != nil || !reflect.DeepEqual(raw, []any{"e", "inf", "d", "3.5"}) {
		t.Fatalf("ZRANGE BYSCORE REV = %#v %v", raw, err)
	}
	if cnt, err := c.ZCount(ctx, "z", "(-1", "2").Result(); err != nil || cnt != 3 {
		t.Fatalf("ZCOUNT = %d %v", cnt, err)
	}
	if cnt, err := c.ZCount(ctx, "z", "-inf", "+inf").Result(); err != nil || cnt != 7 {
		t.Fatalf("ZCOUNT all = %d %v", cnt, err)
	}
	wantErr(t, c.ZCount(ctx, "z", "abc", "1").Err(), "ERR min or max is not a float")
	wantErr(t, c.Do(ctx, "ZRANGEBYSCORE", "z", "nan", "1").Err(), "ERR min or max is not a float")
	wantErr(t, c.Do(ctx, "ZRANGE", "z", "0", "1", "LIMIT", "0", "1").Err(),
		"ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX")
	wantErr(t, c.Do(ctx, "ZRANGE", "z", "-", "+", "BYLEX", "WITHSCORES").Err(),
		"ERR syntax error, WITHSCORES not supported in combination with BYLEX")
	wantErr(t, c.Do(ctx, "ZRANGEBYSCORE", "z", "0", "1", "REV").Err(), "ERR syntax error")
	wantErr(t, c.Do(ctx, "ZRANGE", "z", "0", "x").Err(), "ERR value is not an integer or out of range")

	c.ZAdd(ctx, "lex", zs("a", 0, "b", 0, "c", 0, "d", 0, "e", 0)...)
	ms, err = c.ZRangeByLex(ctx, "lex", &redis.ZRangeBy{Min: "[b", Max: "(e"}).Result()
	wantStrings(t, "ZRANGEBYLEX [b (e", ms, err, "b", "c", "d")
	ms, err = c.ZRangeByLex(ctx, "lex", &redis.ZRangeBy{Min: "-", Max: "+", Offset: 1, Count: 2}).Result()
	wantStrings(t, "ZRANGEBYLEX LIMIT 1 2", ms, err, "b", "c")
	ms, err = c.ZRevRangeByLex(ctx, "lex", &redis.ZRangeBy{Min: "(a", Max: "[c"}).Result()
	wantStrings(t, "ZREVRANGEBYLEX [c (a", ms, err, "c", "b")
	if cnt, err := c.ZLexCount(ctx, "lex", "(a", "+").Result(); err != nil || cnt != 4 {
		t.Fatalf("ZLEXCOUNT = %d %v", cnt, err)
	}
	wantErr(t, c.ZLexCount(ctx, "lex", "a", "+").Err(), "ERR min or max not valid string range item")
	wantErr(t, c.Do(ctx, "ZRANGEBYLEX", "lex", "-", "++").Err(), "ERR min or max not valid string range item")

	if v, err := c.ZRangeStore(ctx, "dst", redis.ZRangeArgs{Key: "z", Start: "(1", Stop: "+inf", ByScore: true, Offset: 0, Count: 2}).Result(); err != nil || v != 2 {
		t.Fatalf("ZRANGESTORE = %d %v", v, err)
	}
	got, err = c.ZRangeWithScores(ctx, "dst", 0, -1).Result()
	wantZ(t, "stored range", got, err, all[3:5]...)
	if v, err := c.ZRangeStore(ctx, "dst", redis.ZRangeArgs{Key: "missing", Start: 0, Stop: -1}).Result(); err != nil || v != 0 {
		t.Fatalf("ZRANGESTORE of nothing = %d %v", v, err)
	}
	if ex, _ := c.Exists(ctx, "dst").Result(); ex != 0 {
		t.Fatal("ZRANGESTORE of nothing left the destination")
	}
	wantErr(t, c.Do(ctx, "ZRANGESTORE", "dst", "z", "0", "1", "WITHSCORES").Err(), "ERR syntax error")

	if r, err := c.ZRemRangeByRank(ctx, "lex", 0, 1).Result(); err != nil || r != 2 {
		t.Fatalf("ZREMRANGEBYRANK = %d %v", r, err)
	}
	if r, err := c.ZRemRangeByLex(ctx, "lex", "[d", "+").Result(); err != nil || r != 2 {
		t.Fatalf("ZREMRANGEBYLEX = %d %v", r, err)
	}
	if r, err := c.ZRemRangeByScore(ctx, "z", "(2", "+inf").Result(); err != nil || r != 2 {
		t.Fatalf("ZREMRANGEBYSCORE = %d %v", r, err)
	}
	got, err = c.ZRangeWithScores(ctx, "z", 0, -1).Result()
	wantZ(t, "after ZREMRANGEBYSCORE", got, err, all[:5]...)
	c.ZRemRangeByRank(ctx, "lex", 0, -1)
	if ex, _ := c.Exists(ctx, "lex").Result(); ex != 0 {
		t.Fatal("a sorted set emptied by ZREMRANGEBYRANK still exists")
	}
}

func TestZSets_RankPopAndMPop(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	c.ZAdd(ctx, "z", zs("a", 1, "b", 2, "c", 3, "d", 4, "e", 5)...)
	if r, err := c.ZRank(ctx, "z", "b").Result(); err != nil || r != 1 {
		t.Fatalf("ZRANK = %d %v", r, err)
	}
	if r, err := c.ZRevRank(ctx, "z", "b").Result(); err != nil || r != 3 {
		t.Fatalf("ZREVRANK = %d %v", r, err)
	}
	if rs, err := c.ZRankWithScore(ctx, "z", "d").Result(); err != nil || rs.Rank != 3 || rs.Score != 4 {
		t.Fatalf("ZRANK WITHSCORE = %+v %v", rs, err)
	}
	if err := c.ZRank(ctx, "z", "nope").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("ZRANK missing member = %v", err)
	}
	if err := c.Do(ctx, "ZRANK", "missing", "a", "WITHSCORE").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("ZRANK WITHSCORE missing key = %v", err)
	}
	wantErr(t, c.Do(ctx, "ZRANK", "z", "a", "WITHSCORES").Err(), "ERR syntax error")
	wantErr(t, c.Do(ctx, "ZRANK", "z", "a", "WITHSCORE", "x").Err(), "ERR wrong number of arguments for 'zrank' command")

	got, err := c.ZPopMin(ctx, "z").Result()
	wantZ(t, "ZPOPMIN", got, err, zs("a", 1)...)
	got, err = c.ZPopMax(ctx, "z", 2).Result()
	wantZ(t, "ZPOPMAX 2", got, err, zs("e", 5, "d", 4)...)
	got, err = c.ZPopMin(ctx, "z", 0).Result()
	wantZ(t, "ZPOPMIN 0", got, err)
	got, err = c.ZPopMin(ctx, "missing").Result()
	wantZ(t, "ZPOPMIN missing", got, err)
	wantErr(t, c.Do(ctx, "ZPOPMIN", "z", "-1").Err(), "ERR value is out of range, must be positive")
	wantErr(t, c.Do(ctx, "ZPOPMIN", "z", "1", "2").Err(), "ERR syntax error")

	key, items, err := c.ZMPop(ctx, "max", 10, "missing", "z").Result()
	if err != nil || key != "z" {
		t.Fatalf("ZMPOP = %q %v %v", key, items, err)
	}
	wantZ(t, "ZMPOP MAX COUNT 10", items, nil, zs("c", 3, "b", 2)...)
	if ex, _ := c.Exists(ctx, "z").Result(); ex != 0 {
		t.Fatal("an emptied sorted set still exists")
	}
	if _, _, err := c.ZMPop(ctx, "min", 1, "z").Result(); !errors.Is(err, redis.Nil) {
		t.Fatalf("ZMPOP on nothing = %v", err)
	}
	wantErr(t, c.Do(ctx, "ZMPOP", "0", "z", "MIN").Err(), "ERR numkeys should be greater than 0")
	wantErr(t, c.Do(ctx, "ZMPOP", "2", "z", "MIN").Err(), "ERR syntax error")
	wantErr(t, c.Do(ctx, "ZMPOP", "1", "z", "MIDDLE").Err(), "ERR syntax error")
	wantErr(t, c.Do(ctx, "ZMPOP", "1", "z", "MIN", "COUNT", "0").Err(), "ERR count should be greater than 0")
	c.Set(ctx, "s", "v", 0)
	wantErr(t, c.Do(ctx, "ZMPOP", "2", "s", "z", "MIN").Err(), wrongType)
	wantErr(t, c.ZPopMin(ctx, "s").Err(), wrongType)
}

func TestZSets_SetOperations(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	c.ZAdd(ctx, "{u}1", zs("a", 1, "b", 2, "c", 3)...)
	c.ZAdd(ctx, "{u}2", zs("b", 10, "c", 20, "d", 30)...)
	got, err := c.ZUnionWithScores(ctx, redis.ZStore{Keys: []string{"{u}1", "{u}2"}}).Result()
	wantZ(t, "ZUNION", got, err, zs("a", 1, "b", 12, "c", 23, "d", 30)...)
	got, err = c.ZUnionWithScores(ctx, redis.ZStore{Keys: []string{"{u}1", "{u}2"}, Weights: []float64{2, 0.5}, Aggregate: "MAX"}).Result()
	wantZ(t, "ZUNION WEIGHTS AGGREGATE MAX", got, err, zs("a", 2, "b", 5, "c", 10, "d", 15)...)
	got, err = c.ZInterWithScores(ctx, &redis.ZStore{Keys: []string{"{u}1", "{u}2"}, Aggregate: "MIN"}).Result()
	wantZ(t, "ZINTER AGGREGATE MIN", got, err, zs("b", 2, "c", 3)...)
	got, err = c.ZDiffWithScores(ctx, "{u}1", "{u}2").Result()
	wantZ(t, "ZDIFF", got, err, zs("a", 1)...)
	ms, err := c.ZUnion(ctx, redis.ZStore{Keys: []string{"{u}1", "{u}missing"}}).Result()
	wantStrings(t, "ZUNION with a missing key", ms, err, "a", "b", "c")

	if v, err := c.ZUnionStore(ctx, "{u}3", &redis.ZStore{Keys: []string{"{u}1", "{u}2"}}).Result(); err != nil || v != 4 {
		t.Fatalf("ZUNIONSTORE = %d %v", v, err)
	}
	if v, err := c.ZInterStore(ctx, "{u}3", &redis.ZStore{Keys: []string{"{u}1", "{u}2"}, Weights: []float64{1, -1}}).Result(); err != nil || v != 2 {
		t.Fatalf("ZINTERSTORE = %d %v", v, err)
	}
	got, err = c.ZRangeWithScores(ctx, "{u}3", 0, -1).Result()
	wantZ(t, "stored ZINTER", got, err, zs("c", -17, "b", -8)...)
	if v, err := c.ZDiffStore(ctx, "{u}3", "{u}1", "{u}1").Result(); err != nil || v != 0 {
		t.Fatalf("ZDIFFSTORE to nothing = %d %v", v, err)
	}
	if ex, _ := c.Exists(ctx, "{u}3").Result(); ex != 0 {
		t.Fatal("an empty store left the destination")
	}
	if v, err := c.ZInterCard(ctx, 0, "{u}1", "{u}2").Result(); err != nil || v != 2 {
		t.Fatalf("ZINTERCARD = %d %v", v, err)
	}
	if v, err := c.ZInterCard(ctx, 1, "{u}1", "{u}2").Result(); err != nil || v != 1 {
		t.Fatalf("ZINTERCARD LIMIT 1 = %d %v", v, err)
	}
	// inf + -inf sums to 0, and 0 * inf weighs 0, as Redis.
	c.ZAdd(ctx, "{u}i1", zs("x", math.Inf(1), "y", 0)...)
	c.ZAdd(ctx, "{u}i2", zs("x", math.Inf(-1), "y", 1)...)
	got, err = c.ZInterWithScores(ctx, &redis.ZStore{Keys: []string{"{u}i1", "{u}i2"}}).Result()
	wantZ(t, "ZINTER of infinities", got, err, zs("x", 0, "y", 1)...)
	got, err = c.ZUnionWithScores(ctx, redis.ZStore{Keys: []string{"{u}i1"}, Weights: []float64{math.Inf(1)}}).Result()
	wantZ(t, "ZUNION WEIGHTS inf", got, err, zs("y", 0, "x", math.Inf(1))...)

	wantErr(t, c.Do(ctx, "ZUNION", "0", "{u}1").Err(), "ERR at least 1 input key is needed for 'zunion' command")
	wantErr(t, c.Do(ctx, "ZUNIONSTORE", "{u}3", "0", "{u}1").Err(), "ERR at least 1 input key is needed for 'zunionstore' command")
	wantErr(t, c.Do(ctx, "ZINTERCARD", "0", "{u}1").Err(), "ERR at least 1 input key is needed for 'zintercard' command")
	wantErr(t, c.Do(ctx, "ZUNION", "3", "{u}1", "{u}2").Err(), "ERR syntax error")
	wantErr(t, c.Do(ctx, "ZUNION", "x", "{u}1").Err(), "ERR value is not an integer or out of range")
	wantErr(t, c.Do(ctx, "ZUNION", "2", "{u}1", "{u}2", "WEIGHTS", "1", "x").Err(), "ERR weight value is not a float")
	wantErr(t, c.Do(ctx, "ZUNION", "2", "{u}1", "{u}2", "WEIGHTS", "1").Err(), "ERR syntax error")
	wantErr(t, c.Do(ctx, "ZUNION", "2", "{u}1", "{u}2", "AGGREGATE", "AVG").Err(), "ERR syntax error")
	wantErr(t, c.Do(ctx, "ZDIFF", "2", "{u}1", "{u}2", "WEIGHTS", "1", "2").Err(), "ERR syntax error")
	wantErr(t, c.Do(ctx, "ZUNIONSTORE", "{u}3", "2", "{u}1", "{u}2", "WITHSCORES").Err(), "ERR syntax error")
	wantErr(t, c.Do(ctx, "ZINTERCARD", "2", "{u}1", "{u}2", "LIMIT", "-1").Err(), "ERR LIMIT can't be negative")
	c.Set(ctx, "{u}s", "v", 0)
	// The types are checked before the options.
	wantErr(t, c.Do(ctx, "ZUNION", "2", "{u}1", "{u}s", "BOGUS").Err(), wrongType)
}

func TestZSets_RandMemberAndScan(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	want := map[string]float64{}
	var items []redis.Z
	for i := range 300 {
		m := fmt.Sprintf("m%03d", i)
		want[m] = float64(i) / 4
		items = append(items, redis.Z{Member: m, Score: want[m]})
	}
	c.ZAdd(ctx, "z", items...)
	seen := map[string]float64{}
	var cursor uint64
	for calls := 0; ; calls++ {
		keys, next, err := c.ZScan(ctx, "z", cursor, "", 25).Result()
		if err != nil || calls > 100 || len(keys)%2 != 0 {
			t.Fatalf("ZSCAN: %v after %d calls", err, calls)
		}
		for i := 0; i < len(keys); i += 2 {
			var s float64
			fmt.Sscan(keys[i+1], &s)
			seen[keys[i]] = s
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	if !reflect.DeepEqual(seen, want) {
		t.Fatalf("ZSCAN saw %d members", len(seen))
	}
	keys, cur, err := c.ZScan(ctx, "z", 0, "m29*", 1000).Result()
	if err != nil || cur != 0 || len(keys) != 20 {
		t.Fatalf("ZSCAN MATCH = %d items, cursor %d, %v", len(keys), cur, err)
	}
	if keys, cur, err := c.ZScan(ctx, "missing", 0, "", 0).Result(); err != nil || cur != 0 || len(keys) != 0 {
		t.Fatalf("ZSCAN missing = %v %d %v", keys, cur, err)
	}
	wantErr(t, c.Do(ctx, "ZSCAN", "z", "x").Err(), "ERR invalid cursor")
	wantErr(t, c.Do(ctx, "ZSCAN", "z", "0", "COUNT", "0").Err(), "ERR syntax error")

	if m, err := c.ZRandMember(ctx, "z", 1).Result(); err != nil || len(m) != 1 || want[m[0]] == 0 && m[0] != "m000" {
		t.Fatalf("ZRANDMEMBER 1 = %v %v", m, err)
	}
	uniq, err := c.ZRandMemberWithScores(ctx, "z", 50).Result()
	if err != nil || len(uniq) != 50 {
		t.Fatalf("ZRANDMEMBER 50 WITHSCORES = %d %v", len(uniq), err)
	}
	distinct := map[string]bool{}
	for _, z := range uniq {
		distinct[z.Member.(string)] = true
		if want[z.Member.(string)] != z.Score {
			t.Fatalf("ZRANDMEMBER score of %v = %g", z.Member, z.Score)
		}
	}
	if len(distinct) != 50 {
		t.Fatalf("ZRANDMEMBER 50 gave %d distinct members", len(distinct))
	}
	if m, _ := c.ZRandMember(ctx, "z", -1000).Result(); len(m) != 1000 {
		t.Fatalf("ZRANDMEMBER -1000 = %d", len(m))
	}
	if m, _ := c.ZRandMember(ctx, "z", 1000).Result(); len(m) != 300 {
		t.Fatalf("ZRANDMEMBER 1000 = %d", len(m))
	}
	if err := c.Do(ctx, "ZRANDMEMBER", "missing").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("ZRANDMEMBER missing = %v", err)
	}
	wantErr(t, c.Do(ctx, "ZRANDMEMBER", "z", "1", "WITHSCORE").Err(), "ERR syntax error")
	wantErr(t, c.Do(ctx, "ZRANDMEMBER", "z", "-9223372036854775807", "WITHSCORES").Err(), "ERR value is out of range")
}

// TestZSets_RESP3 checks the reply shapes RESP3 changes: doubles, and
// [member, score] pairs for WITHSCORES and counted pops.
func TestZSets_RESP3(t *testing.T) {
	n := servertest.Start(t)
	c := redis.NewClient(&redis.Options{Addr: n.Addr, Protocol: 3, DisableIdentity: true})
	defer c.Close()
	c.ZAdd(ctx, "z", zs("a", 1.5, "b", 2)...)
	check := func(want any, args ...any) {
		t.Helper()
		got, err := c.Do(ctx, args...).Result()
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%v = %#v (%v), want %#v", args, got, err, want)
		}
	}
	check(1.5, "ZSCORE", "z", "a")
	check([]any{1.5, nil}, "ZMSCORE", "z", "a", "nope")
	check([]any{[]any{"a", 1.5}, []any{"b", 2.0}}, "ZRANGE", "z", "0", "-1", "WITHSCORES")
	check([]any{"a", "b"}, "ZRANGE", "z", "0", "-1")
	check([]any{[]any{"b", 2.0}}, "ZRANGEBYSCORE", "z", "(1.5", "+inf", "WITHSCORES")
	check([]any{[]any{"a", 1.5}, []any{"b", 2.0}}, "ZUNION", "1", "z", "WITHSCORES")
	check([]any{int64(1), 2.0}, "ZRANK", "z", "b", "WITHSCORE")
	check(3.5, "ZINCRBY", "z", "2", "a")
	check([]any{"b", 2.0}, "ZPOPMIN", "z")
	c.ZAdd(ctx, "z", zs("b", 2)...)
	check([]any{[]any{"b", 2.0}}, "ZPOPMIN", "z", "1")
	c.ZAdd(ctx, "z", zs("b", 2)...)
	check([]any{"z", []any{[]any{"a", 3.5}}}, "ZMPOP", "1", "z", "MAX")
	if err := c.Do(ctx, "ZRANK", "z", "nope", "WITHSCORE").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("ZRANK WITHSCORE missing = %v", err)
	}
}

// TestZSets_Restart checks every member and score after a restart.
func TestZSets_Restart(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	for i := range 100 {
		c.ZAdd(ctx, "z1", redis.Z{Score: float64(i%13) - 6.5, Member: fmt.Sprint("m", i)})
	}
	c.ZIncrBy(ctx, "z1", 100, "m5")
	c.Do(ctx, "ZADD", "z1", "GT", "CH", "-100", "m6", "50", "m7")
	c.ZRem(ctx, "z1", "m8", "m9")
	c.ZPopMin(ctx, "z1", 2)
	c.ZMPop(ctx, "max", 1, "z1")
	c.ZRemRangeByScore(ctx, "z1", "(0", "1")
	c.ZAdd(ctx, "{a}1", zs("x", 1, "y", 2)...)
	c.ZUnionStore(ctx, "{a}2", &redis.ZStore{Keys: []string{"{a}1", "{a}1"}})
	c.ZRangeStore(ctx, "{a}3", redis.ZRangeArgs{Key: "{a}1", Start: 0, Stop: 0})
	c.ZAdd(ctx, "gone", zs("x", 1)...)
	c.ZPopMax(ctx, "gone")
	want := map[string][]redis.Z{}
	for _, k := range []string{"z1", "{a}1", "{a}2", "{a}3"} {
		want[k], _ = c.ZRangeWithScores(ctx, k, 0, -1).Result()
	}
	n.Restart()
	c = n.Client
	for k, w := range want {
		got, err := c.ZRangeWithScores(ctx, k, 0, -1).Result()
		wantZ(t, "after restart "+k, got, err, w...)
		if card, _ := c.ZCard(ctx, k).Result(); card != int64(len(w)) {
			t.Fatalf("after restart ZCARD %s = %d, want %d", k, card, len(w))
		}
		for _, z := range w {
			if s, err := c.ZScore(ctx, k, z.Member.(string)).Result(); err != nil || s != z.Score {
				t.Fatalf("after restart ZSCORE %s %v = %g %v", k, z.Member, s, err)
			}
		}
	}
	if ex, _ := c.Exists(ctx, "gone").Result(); ex != 0 {
		t.Fatal("an emptied sorted set came back")
	}
}

// TestZSets_Million builds a sorted set of a million members and shows
// that point operations stay cheap: ZADD, ZSCORE, ZINCRBY, ZREM, ZCARD and
// the pops at both ends answer right without reading the set.
func TestZSets_Million(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("a million members")
	}
	const total, batch = 1_000_000, 5000
	const big = "big"
	n := servertest.Start(t)
	c := n.Client
	pipe := c.Pipeline()
	items := make([]redis.Z, batch)
	for i := 0; i < total; i += batch {
		for j := range batch {
			items[j] = redis.Z{Score: float64(i + j), Member: i + j}
		}
		pipe.ZAdd(ctx, big, items...)
		if (i/batch)%20 == 19 {
			if _, err := pipe.Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if card, err := c.ZCard(ctx, big).Result(); err != nil || card != total {
		t.Fatalf("ZCARD = %d %v", card, err)
	}
	for i := range 200 {
		m := fmt.Sprint(i * 4999)
		if s, err := c.ZScore(ctx, big, m).Result(); err != nil || s != float64(i*4999) {
			t.Fatalf("ZSCORE %s = %g %v", m, s, err)
		}
		if v, _ := c.ZAdd(ctx, big, redis.Z{Score: -1, Member: fmt.Sprint("new", i)}).Result(); v != 1 {
			t.Fatalf("ZADD new%d = %d", i, v)
		}
	}
	if s, err := c.ZIncrBy(ctx, big, 0.5, "500000").Result(); err != nil || s != 500000.5 {
		t.Fatalf("ZINCRBY = %g %v", s, err)
	}
	if r, _ := c.ZRem(ctx, big, "new0", "new1").Result(); r != 2 {
		t.Fatalf("ZREM = %d", r)
	}
	if card, _ := c.ZCard(ctx, big).Result(); card != total+198 {
		t.Fatalf("ZCARD = %d", card)
	}
	got, err := c.ZPopMax(ctx, big, 2).Result()
	wantZ(t, "ZPOPMAX 2", got, err, zs("999999", 999999, "999998", 999998)...)
	got, err = c.ZPopMin(ctx, big).Result()
	wantZ(t, "ZPOPMIN", got, err, zs("new10", -1)...)
	got, err = c.ZRangeByScoreWithScores(ctx, big, &redis.ZRangeBy{Min: "(499999", Max: "500001"}).Result()
	wantZ(t, "ZRANGEBYSCORE around 500000", got, err, zs("500000", 500000.5, "500001", 500001)...)
	if r, err := c.ZRevRank(ctx, big, "999990").Result(); err != nil || r != 7 {
		t.Fatalf("ZREVRANK near the top = %d %v", r, err)
	}
	if r, err := c.ZRank(ctx, big, "new99").Result(); err != nil || r != 196 {
		t.Fatalf("ZRANK near the bottom = %d %v", r, err)
	}
	ms, err := c.ZRange(ctx, big, -3, -1).Result()
	wantStrings(t, "ZRANGE -3 -1", ms, err, "999995", "999996", "999997")
	if card, _ := c.ZCard(ctx, big).Result(); card != total+195 {
		t.Fatalf("ZCARD after pops = %d", card)
	}
}
