package server_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cobbledb/cobble/server/servertest"
)

var ctx = context.Background()

// wantErr checks that err is a Redis error with exactly this text.
func wantErr(t *testing.T, err error, text string) {
	t.Helper()
	if err == nil || err.Error() != text {
		t.Fatalf("error = %v, want %q", err, text)
	}
}

func TestStrings_SetGetAndOptions(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := c.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("GET = %q %v", v, err)
	}
	if _, err := c.Get(ctx, "missing").Result(); !errors.Is(err, redis.Nil) {
		t.Fatalf("GET missing = %v", err)
	}
	if ok, _ := c.SetNX(ctx, "k", "x", 0).Result(); ok {
		t.Fatal("SETNX on existing key succeeded")
	}
	if v, _ := c.Do(ctx, "SET", "k", "v2", "GET").Text(); v != "v" {
		t.Fatalf("SET GET returned %q", v)
	}
	if v, err := c.Do(ctx, "SET", "k", "v3", "NX", "GET").Text(); err != nil || v != "v2" {
		t.Fatalf("SET NX GET = %q %v", v, err)
	}
	if err := c.Do(ctx, "SET", "nx", "v", "XX").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("SET XX on missing = %v", err)
	}
	wantErr(t, c.Do(ctx, "SET", "k", "v", "NX", "XX").Err(), "ERR syntax error")
	wantErr(t, c.Do(ctx, "SET", "k", "v", "EX", "0").Err(), "ERR invalid expire time in 'set' command")
	wantErr(t, c.Do(ctx, "SET", "k", "v", "EX", "abc").Err(), "ERR value is not an integer or out of range")
	wantErr(t, c.Do(ctx, "SET", "k").Err(), "ERR wrong number of arguments for 'set' command")
	if err := c.Set(ctx, "t", "v", 100*time.Second).Err(); err != nil {
		t.Fatal(err)
	}
	if ttl, _ := c.TTL(ctx, "t").Result(); ttl < 99*time.Second || ttl > 100*time.Second {
		t.Fatalf("TTL = %v", ttl)
	}
	c.Do(ctx, "SET", "t", "v2", "KEEPTTL")
	if ttl, _ := c.TTL(ctx, "t").Result(); ttl < 99*time.Second {
		t.Fatalf("KEEPTTL lost the TTL: %v", ttl)
	}
	c.Set(ctx, "t", "v3", 0)
	if ttl, _ := c.TTL(ctx, "t").Result(); ttl != -1 {
		t.Fatalf("plain SET kept the TTL: %v", ttl)
	}
}

func TestStrings_Counters(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	if v, _ := c.Incr(ctx, "n").Result(); v != 1 {
		t.Fatalf("INCR = %d", v)
	}
	if v, _ := c.IncrBy(ctx, "n", 41).Result(); v != 42 {
		t.Fatalf("INCRBY = %d", v)
	}
	if v, _ := c.DecrBy(ctx, "n", 50).Result(); v != -8 {
		t.Fatalf("DECRBY = %d", v)
	}
	c.Set(ctx, "s", "abc", 0)
	wantErr(t, c.Incr(ctx, "s").Err(), "ERR value is not an integer or out of range")
	c.Set(ctx, "big", "9223372036854775807", 0)
	wantErr(t, c.Incr(ctx, "big").Err(), "ERR increment or decrement would overflow")
	if v, _ := c.IncrByFloat(ctx, "f", 10.5).Result(); v != 10.5 {
		t.Fatalf("INCRBYFLOAT = %v", v)
	}
	if v, _ := c.Do(ctx, "INCRBYFLOAT", "f", "0.1").Text(); v != "10.6" {
		t.Fatalf("INCRBYFLOAT text = %q", v)
	}
	wantErr(t, c.Do(ctx, "INCRBYFLOAT", "f", "x").Err(), "ERR value is not a valid float")
	c.HSet(ctx, "h", "f", "v")
	wantErr(t, c.Incr(ctx, "h").Err(), "WRONGTYPE Operation against a key holding the wrong kind of value")
}

func TestStrings_RangesAndBits(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	c.Set(ctx, "s", "Hello World", 0)
	for _, tc := range []struct {
		start, end int64
		want       string
	}{{0, 4, "Hello"}, {-5, -1, "World"}, {0, -1, "Hello World"}, {5, 3, ""}, {-3, 100, "rld"}} {
		if v, _ := c.GetRange(ctx, "s", tc.start, tc.end).Result(); v != tc.want {
			t.Errorf("GETRANGE %d %d = %q", tc.start, tc.end, v)
		}
	}
	if v, _ := c.SetRange(ctx, "s", 6, "Redis").Result(); v != 11 {
		t.Fatalf("SETRANGE = %d", v)
	}
	if v, _ := c.SetRange(ctx, "pad", 3, "x").Result(); v != 4 {
		t.Fatalf("SETRANGE pad = %d", v)
	}
	if v, _ := c.Get(ctx, "pad").Result(); v != "\x00\x00\x00x" {
		t.Fatalf("padded = %q", v)
	}
	if v, _ := c.Append(ctx, "s", "!").Result(); v != 12 {
		t.Fatalf("APPEND = %d", v)
	}
	if v, _ := c.StrLen(ctx, "s").Result(); v != 12 {
		t.Fatalf("STRLEN = %d", v)
	}
	c.SetBit(ctx, "b", 7, 1)
	if v, _ := c.GetBit(ctx, "b", 7).Result(); v != 1 {
		t.Fatal("GETBIT")
	}
	c.Set(ctx, "foobar", "foobar", 0)
	if v, _ := c.BitCount(ctx, "foobar", nil).Result(); v != 26 {
		t.Fatalf("BITCOUNT = %d", v)
	}
	if v, _ := c.BitCount(ctx, "foobar", &redis.BitCount{Start: 1, End: 1}).Result(); v != 6 {
		t.Fatalf("BITCOUNT 1 1 = %d", v)
	}
	if v, _ := c.Do(ctx, "BITCOUNT", "foobar", "5", "30", "BIT").Int64(); v != 17 {
		t.Fatalf("BITCOUNT BIT = %d", v)
	}
	c.Set(ctx, "ff", "\xff\xf0\x00", 0)
	if v, _ := c.BitPos(ctx, "ff", 0).Result(); v != 12 {
		t.Fatalf("BITPOS 0 = %d", v)
	}
	c.Set(ctx, "a1", "\xff\xff", 0)
	if v, _ := c.BitPos(ctx, "a1", 0).Result(); v != 16 {
		t.Fatalf("BITPOS 0 on all ones = %d", v)
	}
	if v, _ := c.BitPos(ctx, "a1", 0, 0, -1).Result(); v != -1 {
		t.Fatalf("BITPOS 0 with end = %d", v)
	}
	c.Set(ctx, "x", "abc", 0)
	c.Set(ctx, "y", "ab", 0)
	if v, _ := c.BitOpXor(ctx, "z", "x", "y").Result(); v != 3 {
		t.Fatalf("BITOP = %d", v)
	}
	if v, _ := c.Get(ctx, "z").Result(); v != "\x00\x00c" {
		t.Fatalf("BITOP result %q", v)
	}
	wantErr(t, c.Do(ctx, "SETBIT", "b", "-1", "1").Err(), "ERR bit offset is not an integer or out of range")
	wantErr(t, c.Do(ctx, "SETBIT", "b", "1", "2").Err(), "ERR bit is not an integer or out of range")
}

func TestKeys_ExpireScanAndRestart(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	for i := range 300 {
		c.Set(ctx, fmt.Sprint("key:", i), i, 0)
	}
	c.Expire(ctx, "key:1", time.Hour)
	c.PExpire(ctx, "key:2", 30*time.Millisecond)
	if v, _ := c.Do(ctx, "EXPIRE", "key:1", "100", "GT").Int(); v != 0 {
		t.Fatal("EXPIRE GT with a smaller TTL applied")
	}
	if v, _ := c.Do(ctx, "EXPIRE", "key:3", "100", "XX").Int(); v != 0 {
		t.Fatal("EXPIRE XX on a key without TTL applied")
	}
	deadline := time.Now().Add(5 * time.Second)
	for c.Exists(ctx, "key:2").Val() == 1 {
		if time.Now().After(deadline) {
			t.Fatal("key:2 never expired")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Active expiry removes it from DBSIZE too.
	for c.DBSize(ctx).Val() != 299 {
		if time.Now().After(deadline) {
			t.Fatalf("DBSIZE stays %d", c.DBSize(ctx).Val())
		}
		time.Sleep(10 * time.Millisecond)
	}
	var all []string
	iter := c.Scan(ctx, 0, "key:1*", 20).Iterator()
	for iter.Next(ctx) {
		all = append(all, iter.Val())
	}
	if len(all) != 111 { // key:1, key:10-19, key:100-199
		t.Fatalf("SCAN MATCH found %d keys", len(all))
	}
	keys, _ := c.Keys(ctx, "key:2?").Result()
	if len(keys) != 10 {
		t.Fatalf("KEYS found %d", len(keys))
	}
	c.Rename(ctx, "key:5", "renamed")
	c.Do(ctx, "COPY", "key:6", "copied", "DB", "3")
	c.Do(ctx, "SELECT", "0")
	n.Restart()
	c = n.Client
	if v, _ := c.DBSize(ctx).Result(); v != 299 {
		t.Fatalf("DBSIZE after restart = %d", v)
	}
	if ttl, _ := c.TTL(ctx, "key:1").Result(); ttl < 59*time.Minute {
		t.Fatalf("TTL after restart = %v", ttl)
	}
	if v, _ := c.Get(ctx, "renamed").Result(); v != "5" {
		t.Fatalf("renamed = %q", v)
	}
	if s, _ := c.Type(ctx, "renamed").Result(); s != "string" {
		t.Fatalf("TYPE = %q", s)
	}
}

func TestStrings_LCS(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	c.MSet(ctx, "a", "ohmytext", "b", "mynewtext")
	if v, err := c.Do(ctx, "LCS", "a", "b").Text(); err != nil || v != "mytext" {
		t.Fatalf("LCS = %q %v", v, err)
	}
	if v, err := c.Do(ctx, "LCS", "a", "b", "LEN").Int64(); err != nil || v != 6 {
		t.Fatalf("LCS LEN = %d %v", v, err)
	}
	v, err := c.Do(ctx, "LCS", "a", "b", "IDX", "MINMATCHLEN", "4", "WITHMATCHLEN").Result()
	want := []any{"matches", []any{[]any{[]any{int64(4), int64(7)}, []any{int64(5), int64(8)}, int64(4)}}, "len", int64(6)}
	if err != nil || fmt.Sprint(v) != fmt.Sprint(want) {
		t.Fatalf("LCS IDX = %v %v, want %v", v, err, want)
	}
	if v, err := c.Do(ctx, "LCS", "a", "missing").Text(); err != nil || v != "" {
		t.Fatalf("LCS with a missing key = %q %v", v, err)
	}
	c.RPush(ctx, "l", "x")
	wantErr(t, c.Do(ctx, "LCS", "a", "l").Err(), "ERR The specified keys must contain string values")
	wantErr(t, c.Do(ctx, "LCS", "a", "b", "LEN", "IDX").Err(), "ERR If you want both the length and indexes, please just use IDX.")
	wantErr(t, c.Do(ctx, "LCS", "a", "b", "MINMATCHLEN").Err(), "ERR syntax error")
}

func TestStrings_SetRangeHugeOffset(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	for _, off := range []string{"9223372036854775807", "2147483647", "536870912"} {
		wantErr(t, c.Do(ctx, "SETRANGE", "k", off, "A").Err(), "ERR string exceeds maximum allowed size (proto-max-bulk-len)")
	}
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatal(err)
	}
}
