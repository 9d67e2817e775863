package rdb

// Files written by a real redis-server, checked in under testdata/ and
// regenerated with COBBLE_RDB_REGEN=1 go test ./rdb -run TestFixtures_Regenerate
// (needs redis-server). The same data is also written live when Redis is
// installed (TestDecode_LiveRedis), so the decoder is checked against the
// Redis on the machine as well as against the recorded files.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// farFuture is an expiry time (2100-01-01) that stays in the future.
const farFuture = 4102444800000

// fixtureEntries is the data of testdata/redis70_compact.rdb. With Redis
// 7.0's default thresholds it covers every encoding 7.0 writes: integer,
// raw and LZF strings; quicklist 2 lists with packed and plain nodes;
// intset and hashtable sets; listpack and hashtable hashes; listpack and
// skiplist zsets; expiry times; three dbs.
func fixtureEntries() []*Entry {
	var es []*Entry
	add := func(db int, key string, fill func(e *Entry)) {
		e := &Entry{DB: db, Key: []byte(key), IdleSec: -1, Freq: -1}
		fill(e)
		es = append(es, e)
	}
	str := func(db int, key, val string) {
		add(db, key, func(e *Entry) { e.Type, e.String = TypeString, []byte(val) })
	}
	str(0, "str:int", "12345")
	str(0, "str:neg", "-7")
	str(0, "str:int64", "4294967296")
	str(0, "str:lead0", "007")
	str(0, "str:raw", "hello world")
	str(0, "str:empty", "")
	str(0, "str:bin", "\x00\xff\r\n\x01")
	str(0, "str:lzf", strings.Repeat("abcdefgh", 40))
	str(0, "12", "int-encoded key")
	add(0, "list:small", func(e *Entry) {
		e.Type, e.List = TypeList, bl("a", "b", "1", "2", "-3", "", "a", "4096", "-70000", "123456789012")
	})
	add(0, "list:big", func(e *Entry) {
		e.Type = TypeList
		for i := 0; i < 700; i++ {
			e.List = append(e.List, []byte(strings.Repeat("x", i%50)+strconv.Itoa(i)))
		}
	})
	add(0, "list:plain", func(e *Entry) {
		// With the packed threshold lowered to 100 bytes, big elements
		// become plain quicklist nodes.
		e.Type, e.List = TypeList, bl("small", strings.Repeat("P", 300), "mid", strings.Repeat("Q", 200))
	})
	add(0, "set:ints", func(e *Entry) { e.Type, e.Set = TypeSet, bl("1", "2", "3", "-5", "1000000", "-4294967296") })
	add(0, "set:bigints", func(e *Entry) {
		e.Type = TypeSet
		for i := 0; i < 600; i++ {
			e.Set = append(e.Set, []byte(strconv.Itoa(i*7-100)))
		}
	})
	add(0, "set:strs", func(e *Entry) { e.Type, e.Set = TypeSet, bl("a", "b", "c", "12", "") })
	add(0, "hash:small", func(e *Entry) {
		e.Type, e.Hash = TypeHash, [][2][]byte{{[]byte("name"), []byte("cobble")}, {[]byte("n"), []byte("42")},
			{[]byte("neg"), []byte("-9000")}, {[]byte("7"), []byte("seven")}, {[]byte("empty"), nil}}
	})
	add(0, "hash:big", func(e *Entry) {
		e.Type = TypeHash
		for i := 0; i < 200; i++ {
			e.Hash = append(e.Hash, [2][]byte{[]byte("f" + strconv.Itoa(i)), []byte(strconv.Itoa(i * i))})
		}
	})
	add(0, "hash:longval", func(e *Entry) {
		e.Type, e.Hash = TypeHash, [][2][]byte{{[]byte("k"), []byte(strings.Repeat("long value ", 10))}, {[]byte("s"), []byte("short")}}
	})
	add(0, "zset:small", func(e *Entry) {
		e.Type, e.ZSet = TypeZSet, []ZMember{{[]byte("a"), 1}, {[]byte("b"), 2.5}, {[]byte("c"), -3},
			{[]byte("d"), 1e20}, {[]byte("e"), 0.1}, {[]byte("top"), inf}, {[]byte("bottom"), -inf}}
	})
	add(0, "zset:big", func(e *Entry) {
		e.Type = TypeZSet
		for i := 0; i < 200; i++ {
			e.ZSet = append(e.ZSet, ZMember{[]byte("m" + strconv.Itoa(i)), float64(i) / 3})
		}
	})
	add(0, "exp:str", func(e *Entry) { e.Type, e.String, e.ExpireAtMs = TypeString, []byte("bye"), farFuture })
	add(0, "exp:hash", func(e *Entry) {
		e.Type, e.Hash, e.ExpireAtMs = TypeHash, [][2][]byte{{[]byte("a"), []byte("1")}}, farFuture+1234
	})
	str(1, "db1:str", "in db one")
	add(1, "db1:list", func(e *Entry) { e.Type, e.List, e.ExpireAtMs = TypeList, bl("x", "y"), farFuture })
	str(5, "db5:str", "in db five")
	add(5, "db5:set", func(e *Entry) { e.Type, e.Set = TypeSet, bl("only") })
	return es
}

func bl(s ...string) [][]byte { return toBytes(s) }

// smallFixtureEntries is the data of testdata/redis70_small.rdb: every
// encoding of the compact fixture with as few elements as each needs, for
// the tests that decode a file once per byte (truncation, flips, fuzz
// seeds).
func smallFixtureEntries() []*Entry {
	z := func(m string, s float64) ZMember { return ZMember{[]byte(m), s} }
	return []*Entry{
		{Key: []byte("i"), Type: TypeString, String: []byte("-300")},
		{Key: []byte("s"), Type: TypeString, String: []byte("raw")},
		{Key: []byte("z"), Type: TypeString, String: []byte(strings.Repeat("lzf!", 10))},
		{Key: []byte("l"), Type: TypeList, List: bl("a", "7", strings.Repeat("p", 120))},
		{Key: []byte("si"), Type: TypeSet, Set: bl("1", "-2", "70000")},
		{Key: []byte("ss"), Type: TypeSet, Set: bl("a", "b")},
		{Key: []byte("h"), Type: TypeHash, Hash: [][2][]byte{{[]byte("f"), []byte("1")}, {[]byte("g"), []byte("v")}}},
		{Key: []byte("hh"), Type: TypeHash, Hash: [][2][]byte{{[]byte("f"), []byte(strings.Repeat("v", 70))}}},
		{Key: []byte("zl"), Type: TypeZSet, ZSet: []ZMember{z("a", 1), z("b", 2.5)}},
		{Key: []byte("zs"), Type: TypeZSet, ZSet: []ZMember{z(strings.Repeat("m", 70), -1)}},
		{Key: []byte("e"), Type: TypeString, String: []byte("x"), ExpireAtMs: farFuture},
		{DB: 1, Key: []byte("d"), Type: TypeString, String: []byte("one")},
	}
}

func withNoMeta(es []*Entry) []*Entry {
	for _, e := range es {
		e.IdleSec, e.Freq = -1, -1
	}
	return es
}

// fixtureFunction is the function library the fixture holds.
const fixtureFunction = "#!lua name=cobblelib\nredis.register_function('cobble_one', function() return 1 end)"

// writeFixture writes fixtureEntries, a stream with a consumer group and a
// function library into a running Redis 7.0.
func writeFixture(t testing.TB, ri *redisInstance) {
	writeFixtureOf(t, ri, fixtureEntries(), 5)
}

func writeFixtureOf(t testing.TB, ri *redisInstance, es []*Entry, streamLen int) {
	t.Helper()
	ctx := context.Background()
	c := ri.client
	must(t, c.Do(ctx, "DEBUG", "QUICKLIST-PACKED-THRESHOLD", "100").Err())
	writeEntries(t, ri, es)
	for i := 1; i <= streamLen; i++ {
		must(t, c.XAdd(ctx, &redis.XAddArgs{Stream: "stream:s", ID: fmt.Sprintf("%d-1", i), Values: []string{"f", "v" + strconv.Itoa(i)}}).Err())
	}
	must(t, c.XGroupCreate(ctx, "stream:s", "grp", "0").Err())
	must(t, c.XReadGroup(ctx, &redis.XReadGroupArgs{Group: "grp", Consumer: "alice", Streams: []string{"stream:s", ">"}, Count: 2}).Err())
	must(t, c.Do(ctx, "FUNCTION", "LOAD", fixtureFunction).Err())
}

// writeEntries writes entries into a live Redis with ordinary commands.
func writeEntries(t testing.TB, ri *redisInstance, es []*Entry) {
	t.Helper()
	ctx := context.Background()
	clients := map[int]*redis.Client{}
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	for _, e := range es {
		c := clients[e.DB]
		if c == nil {
			c = redis.NewClient(&redis.Options{Addr: ri.addr, DB: e.DB, Protocol: 2, DisableIdentity: true})
			clients[e.DB] = c
		}
		k := string(e.Key)
		switch e.Type {
		case TypeString:
			must(t, c.Set(ctx, k, e.String, 0).Err())
		case TypeList:
			must(t, c.RPush(ctx, k, anys(e.List)...).Err())
		case TypeSet:
			must(t, c.SAdd(ctx, k, anys(e.Set)...).Err())
		case TypeHash:
			var args []any
			for _, p := range e.Hash {
				args = append(args, p[0], p[1])
			}
			must(t, c.HSet(ctx, k, args...).Err())
		case TypeZSet:
			var zs []redis.Z
			for _, m := range e.ZSet {
				zs = append(zs, redis.Z{Score: m.Score, Member: m.Member})
			}
			must(t, c.ZAdd(ctx, k, zs...).Err())
		}
		if e.ExpireAtMs != 0 {
			must(t, c.Do(ctx, "PEXPIREAT", k, e.ExpireAtMs).Err())
		}
	}
}

func anys(l [][]byte) []any {
	out := make([]any, len(l))
	for i, b := range l {
		out[i] = b
	}
	return out
}

// fixtureEncodings are the value types redis70_compact.rdb must contain.
var fixtureEncodings = []ObjectType{ObjString, ObjListQuicklist2, ObjSetIntset, ObjSet, ObjHashListpack,
	ObjHash, ObjZSetListpack, ObjZSet2, ObjStreamListpacks2}

func readFixture(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// checkCompactFile checks a file holding the fixture data, as recorded or
// as written live.
func checkCompactFile(t *testing.T, file []byte) {
	checkFixtureFile(t, file, fixtureEntries(), 3)
}

func checkFixtureFile(t *testing.T, file []byte, want []*Entry, expires int) {
	t.Helper()
	c, sum := decodeAll(t, file, DecodeOptions{SkipUnsupported: true})
	sameEntries(t, c.entries, withNoMeta(want))
	for _, typ := range fixtureEncodings {
		if sum.Encodings[typ] == 0 {
			t.Errorf("file has no %s value; encodings %v", typ, sum.Encodings)
		}
	}
	if sum.Magic != "REDIS" || sum.Version != 10 {
		t.Errorf("header %s%d, want REDIS 10", sum.Magic, sum.Version)
	}
	if !sum.ChecksumChecked || sum.Checksum == 0 {
		t.Errorf("checksum not checked: %+v", sum)
	}
	if got := strings.Join(c.skipped, ","); got != "0:stream:s:stream" {
		t.Errorf("skipped %q, want the stream", got)
	}
	if len(c.functions) != 1 || c.functions[0] != fixtureFunction || sum.Functions != 1 {
		t.Errorf("functions %q", c.functions)
	}
	if c.aux["redis-ver"] == "" || len(sum.Aux) == 0 {
		t.Errorf("aux fields missing: %v", c.aux)
	}
	if got := c.resize[0]; got[0] != uint64(sum.Keys[TypeString]+1) && got[0] == 0 {
		t.Errorf("resizedb of db 0: %v", got)
	}
	if sum.Expires != expires {
		t.Errorf("Summary.Expires = %d, want %d", sum.Expires, expires)
	}
	for _, e := range c.entries {
		if e.IdleSec != -1 || e.Freq != -1 {
			t.Errorf("%s: idle %d freq %d without an eviction policy", e.Key, e.IdleSec, e.Freq)
		}
	}
	// Without SkipUnsupported the stream fails the decode, named.
	_, err := Decode(bytes.NewReader(file), newCollector(), DecodeOptions{})
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), `"stream:s"`) {
		t.Errorf("decode without SkipUnsupported: %v", err)
	}
}

func TestFixtures_Compact(t *testing.T) {
	checkCompactFile(t, readFixture(t, "redis70_compact.rdb"))
	checkFixtureFile(t, readFixture(t, "redis70_small.rdb"), smallFixtureEntries(), 1)
}

func TestDecode_LiveRedis(t *testing.T) {
	ri := startRedis(t, t.TempDir(), "--enable-debug-command", "yes")
	writeFixture(t, ri)
	checkCompactFile(t, ri.save(t))
}

func writeSmallFixture(t testing.TB) []byte {
	ri := startRedis(t, t.TempDir(), "--enable-debug-command", "yes")
	writeFixtureOf(t, ri, smallFixtureEntries(), 2)
	return ri.save(t)
}

// The LFU and LRU fixtures hold FREQ and IDLE opcodes.
func TestFixtures_EvictionMetadata(t *testing.T) {
	for _, tc := range []struct {
		file string
		lfu  bool
	}{{"redis70_lfu.rdb", true}, {"redis70_lru.rdb", false}} {
		t.Run(tc.file, func(t *testing.T) {
			c, _ := decodeAll(t, readFixture(t, tc.file), DecodeOptions{})
			if len(c.entries) != 3 {
				t.Fatalf("%d entries, want 3", len(c.entries))
			}
			for _, e := range c.entries {
				if tc.lfu && (e.Freq < 0 || e.IdleSec != -1) {
					t.Errorf("%s: freq %d idle %d, want a frequency", e.Key, e.Freq, e.IdleSec)
				}
				if !tc.lfu && (e.IdleSec < 0 || e.Freq != -1) {
					t.Errorf("%s: freq %d idle %d, want an idle time", e.Key, e.Freq, e.IdleSec)
				}
			}
		})
	}
}

func TestFixtures_Regenerate(t *testing.T) {
	if os.Getenv("COBBLE_RDB_REGEN") == "" {
		t.Skip("set COBBLE_RDB_REGEN=1 to rewrite testdata/ from a real redis-server")
	}
	ri := startRedis(t, t.TempDir(), "--enable-debug-command", "yes")
	writeFixture(t, ri)
	writeTestdata(t, "redis70_compact.rdb", ri.save(t))
	writeTestdata(t, "redis70_small.rdb", writeSmallFixture(t))
	for _, policy := range []string{"lfu", "lru"} {
		ri := startRedis(t, t.TempDir(), "--maxmemory-policy", "allkeys-"+policy)
		ctx := context.Background()
		for i := 0; i < 3; i++ {
			k := "key" + strconv.Itoa(i)
			must(t, ri.client.Set(ctx, k, i, 0).Err())
			for j := 0; j < i*10; j++ {
				ri.client.Get(ctx, k)
			}
		}
		writeTestdata(t, "redis70_"+policy+".rdb", ri.save(t))
	}
}

func writeTestdata(t testing.TB, name string, b []byte) {
	t.Helper()
	must(t, os.MkdirAll("testdata", 0o755))
	must(t, os.WriteFile(filepath.Join("testdata", name), b, 0o644))
	t.Logf("wrote testdata/%s (%d bytes)", name, len(b))
}
