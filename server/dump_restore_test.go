package server_test

// DUMP and RESTORE: a round trip of every type; Redis's error texts in
// Redis's order of checks; TTLs relative, absolute and already past;
// payloads moving both ways between cobble and a real redis-server for
// every type and encoding; and RESTORE's logged effect, which replays and
// replicates to the same key with the same absolute expiry.

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cobbledb/cobble/server/servertest"
)

func TestDumpRestore_RoundTrip(t *testing.T) {
	n := servertest.Start(t, servertest.Config(`save ""`))
	fillAllTypes(t, n.Addr)
	c := n.Client
	keys := c.Keys(ctx, "*").Val()
	if len(keys) < 15 {
		t.Fatalf("only %d keys", len(keys))
	}
	for _, k := range keys {
		payload, err := c.Dump(ctx, k).Result()
		if err != nil {
			t.Fatalf("DUMP %q: %v", k, err)
		}
		if err := c.Restore(ctx, "copy:"+k, 0, payload).Err(); err != nil {
			t.Fatalf("RESTORE %q: %v", k, err)
		}
		got, want := readKey(t, c, "copy:"+k), readKey(t, c, k)
		want.ExpireMs = -1 // RESTORE with ttl 0 makes no TTL
		if got != want {
			t.Fatalf("RESTORE of DUMP %q = %.200v, want %.200v", k, got, want)
		}
	}
	if err := c.Dump(ctx, "missing").Err(); err != redis.Nil {
		t.Fatalf("DUMP of a missing key: %v", err)
	}
}

func TestRestore_TTLAndReplace(t *testing.T) {
	n := servertest.Start(t, servertest.Config(`save ""`))
	c := n.Client
	c.Set(ctx, "src", "value", 0)
	payload := c.Dump(ctx, "src").Val()

	// Relative TTL in ms.
	if err := c.Restore(ctx, "rel", 5*time.Second, payload).Err(); err != nil {
		t.Fatal(err)
	}
	if ttl := c.PTTL(ctx, "rel").Val(); ttl <= 4*time.Second || ttl > 5*time.Second {
		t.Fatalf("PTTL after RESTORE ttl 5000 = %v", ttl)
	}
	// ABSTTL: a unix time in ms.
	at := time.Now().Add(time.Hour).UnixMilli()
	if err := c.Do(ctx, "RESTORE", "abs", at, payload, "ABSTTL").Err(); err != nil {
		t.Fatal(err)
	}
	if got := c.Do(ctx, "PEXPIRETIME", "abs").Val(); got != at {
		t.Fatalf("PEXPIRETIME after ABSTTL = %v, want %d", got, at)
	}
	// An absolute time already past creates nothing; with REPLACE it removes the key.
	if err := c.Do(ctx, "RESTORE", "past", 1000, payload, "ABSTTL").Err(); err != nil {
		t.Fatal(err)
	}
	if c.Exists(ctx, "past").Val() != 0 {
		t.Fatal("RESTORE with a past ABSTTL created the key")
	}
	c.Set(ctx, "old", "x", 0)
	if err := c.Do(ctx, "RESTORE", "old", 1000, payload, "ABSTTL", "REPLACE").Err(); err != nil {
		t.Fatal(err)
	}
	if c.Exists(ctx, "old").Val() != 0 {
		t.Fatal("RESTORE REPLACE with a past ABSTTL left the old key")
	}
	// BUSYKEY without REPLACE; REPLACE over another type.
	c.RPush(ctx, "list", "a")
	wantErr(t, c.Restore(ctx, "list", 0, payload).Err(), "BUSYKEY Target key name already exists.")
	if err := c.RestoreReplace(ctx, "list", 0, payload).Err(); err != nil {
		t.Fatal(err)
	}
	if got := c.Get(ctx, "list").Val(); got != "value" {
		t.Fatalf("after RESTORE REPLACE: %q", got)
	}
	// IDLETIME and FREQ are accepted (and not tracked).
	if err := c.Do(ctx, "RESTORE", "idle", 0, payload, "IDLETIME", 100).Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, "RESTORE", "freq", 0, payload, "FREQ", 5, "REPLACE").Err(); err != nil {
		t.Fatal(err)
	}
}

// TestRestore_Errors checks Redis 7's texts, in its order of checks:
// options, BUSYKEY, the TTL, the payload.
func TestRestore_Errors(t *testing.T) {
	n := servertest.Start(t, servertest.Config(`save ""`))
	c := n.Client
	c.Set(ctx, "src", "some value", 0)
	good := c.Dump(ctx, "src").Val()
	badCRC := []byte(good)
	badCRC[len(badCRC)-1] ^= 1
	badVersion := []byte(good)
	badVersion[len(badVersion)-10] = 99
	for _, tc := range []struct {
		args []any
		want string
	}{
		{[]any{"RESTORE", "k", 0, "xx"}, "ERR DUMP payload version or checksum are wrong"},
		{[]any{"RESTORE", "k", 0, string(badCRC)}, "ERR DUMP payload version or checksum are wrong"},
		{[]any{"RESTORE", "k", 0, string(badVersion)}, "ERR DUMP payload version or checksum are wrong"},
		{[]any{"RESTORE", "k", -1, good}, "ERR Invalid TTL value, must be >= 0"},
		{[]any{"RESTORE", "k", "abc", good}, "ERR value is not an integer or out of range"},
		{[]any{"RESTORE", "src", -1, "xx"}, "BUSYKEY Target key name already exists."},
		{[]any{"RESTORE", "k", 0, "xx", "IDLETIME", 1, "FREQ", 2}, "ERR syntax error"},
		{[]any{"RESTORE", "k", 0, "xx", "IDLETIME", -1}, "ERR Invalid IDLETIME value, must be >= 0"},
		{[]any{"RESTORE", "k", 0, "xx", "FREQ", 256}, "ERR Invalid FREQ value, must be >= 0 and <= 255"},
		{[]any{"RESTORE", "k", 0, "xx", "IDLETIME"}, "ERR syntax error"},
		{[]any{"RESTORE", "k", 0, "xx", "BOGUS"}, "ERR syntax error"},
		{[]any{"RESTORE", "k", 0}, "ERR wrong number of arguments for 'restore' command"},
		{[]any{"DUMP"}, "ERR wrong number of arguments for 'dump' command"},
	} {
		wantErr(t, c.Do(ctx, tc.args...).Err(), tc.want)
	}
	// A payload with a valid footer around garbage is "Bad data format".
	body := []byte{0, 0xff, 0xfe} // a string whose length byte is invalid
	if err := c.Do(ctx, "RESTORE", "k", 0, string(withFooter(body))).Err(); err == nil || err.Error() != "ERR Bad data format" {
		t.Fatalf("garbage payload: %v", err)
	}
	if c.Exists(ctx, "k").Val() != 0 {
		t.Fatal("a failed RESTORE created the key")
	}
}

// withFooter appends the RDB version 9 and CRC64 footer of a DUMP payload.
func withFooter(body []byte) []byte {
	b := append(bytes.Clone(body), 9, 0)
	crc := crc64Jones(b)
	for i := range 8 {
		b = append(b, byte(crc>>(8*i)))
	}
	return b
}

// crc64Jones is Redis's CRC-64 (Jones polynomial, reflected, no xor).
func crc64Jones(p []byte) uint64 {
	const poly = 0x95ac9329ac4bc9b5
	var crc uint64
	for _, b := range p {
		crc ^= uint64(b)
		for range 8 {
			if crc&1 != 0 {
				crc = crc>>1 ^ poly
			} else {
				crc >>= 1
			}
		}
	}
	return crc
}

// TestDumpRestore_RedisInterop moves every type, in every encoding Redis 7
// picks, both ways: Redis DUMP → cobble RESTORE, cobble DUMP → Redis
// RESTORE; values and TTLs must come out equal.
func TestDumpRestore_RedisInterop(t *testing.T) {
	rs := runRedisServer(t, t.TempDir())
	n := servertest.Start(t, servertest.Config(`save ""`))
	fillAllTypes(t, rs.Addr)
	redisData := dataSet(t, rs.Addr)
	rc := rs.client(t, 0)
	encodings := map[string]bool{}
	for _, k := range rc.Keys(ctx, "*").Val() {
		encodings[rc.ObjectEncoding(ctx, k).Val()] = true
	}
	for _, want := range []string{"int", "embstr", "raw", "listpack", "quicklist", "intset", "hashtable", "skiplist"} {
		if !encodings[want] {
			t.Errorf("the data set has no %s value: %v", want, encodings)
		}
	}
	move := func(from, to string) {
		t.Helper()
		for db := range 16 {
			src, dst := dbClient(t, from, db), dbClient(t, to, db)
			for _, k := range src.Keys(ctx, "*").Val() {
				payload, err := src.Dump(ctx, k).Result()
				if err != nil {
					t.Fatalf("DUMP %q on %s: %v", k, from, err)
				}
				args := []any{"RESTORE", k, 0, payload, "REPLACE"}
				if at := src.Do(ctx, "PEXPIRETIME", k).Val().(int64); at > 0 {
					args[2] = at
					args = append(args, "ABSTTL")
				}
				if err := dst.Do(ctx, args...).Err(); err != nil {
					t.Fatalf("RESTORE %q on %s of a payload from %s: %v", k, to, from, err)
				}
			}
		}
	}
	move(rs.Addr, n.Addr)
	sameData(t, "cobble RESTORE of Redis DUMP", dataSet(t, n.Addr), redisData)
	if err := rc.FlushAll(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	move(n.Addr, rs.Addr)
	sameData(t, "Redis RESTORE of cobble DUMP", dataSet(t, rs.Addr), redisData)
}

// TestRestore_Effect: the log holds RESTORE with an absolute TTL, so a
// replica (which applies the master's stream) and a replay of the log
// build the same key with the same expiry.
func TestRestore_Effect(t *testing.T) {
	m := servertest.Start(t, servertest.Config(`save ""`))
	r := servertest.Start(t, servertest.Config(`save ""`, "replicaof "+strings.Replace(m.Addr, ":", " ", 1)))
	pollFor(t, 10*time.Second, func() error {
		if st := infoFields(t, r.Client.Info(ctx, "replication").Val())["master_link_status"]; st != "up" {
			return fmt.Errorf("master_link_status %s", st)
		}
		return nil
	})
	c := m.Client
	c.HSet(ctx, "src", "f", "v", "g", "w")
	payload := c.Dump(ctx, "src").Val()
	if err := c.Restore(ctx, "copy", time.Hour, payload).Err(); err != nil {
		t.Fatal(err)
	}
	c.Set(ctx, "busy", "x", 0)
	c.Restore(ctx, "busy", 0, payload) // BUSYKEY: nothing logged
	at := c.Do(ctx, "PEXPIRETIME", "copy").Val()
	pollFor(t, 10*time.Second, func() error {
		if got := r.Client.Do(ctx, "PEXPIRETIME", "copy").Val(); got != at {
			return fmt.Errorf("replica PEXPIRETIME = %v, master %v", got, at)
		}
		return nil
	})
	if got := r.Client.HGetAll(ctx, "copy").Val(); got["f"] != "v" || got["g"] != "w" {
		t.Fatalf("replica's copy = %v", got)
	}
	// The log says RESTORE copy <unix ms> <payload> ABSTTL.
	var log []byte
	segs, _ := filepath.Glob(filepath.Join(m.Dir, "appendonlydir", "*"))
	for _, s := range segs {
		b, _ := os.ReadFile(s)
		log = append(log, b...)
	}
	want := fmt.Sprintf("$7\r\nRESTORE\r\n$4\r\ncopy\r\n$%d\r\n%d\r\n", len(fmt.Sprint(at)), at)
	if !bytes.Contains(log, []byte(want)) || !bytes.Contains(log, []byte("ABSTTL")) {
		t.Fatalf("log does not hold the absolute RESTORE %q", want)
	}
	if bytes.Count(log, []byte("RESTORE")) != 1 {
		t.Fatalf("log holds %d RESTOREs, want 1", bytes.Count(log, []byte("RESTORE")))
	}
}
