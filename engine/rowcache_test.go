package engine

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"
)

func openCached(t *testing.T, size int64) *DB {
	t.Helper()
	db, err := Open(t.TempDir(), Options{Databases: 4, RowCache: size})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func setCommit(t *testing.T, db *DB, off int64, dbi int, key, val string) {
	t.Helper()
	txn := db.WriteTxn()
	if _, _, err := txn.SetString(dbi, []byte(key), []byte(val), SetOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := txn.Commit(off); err != nil {
		t.Fatal(err)
	}
}

func readString(t *testing.T, db *DB, dbi int, key string) (string, bool) {
	t.Helper()
	r := db.ReadTxn(false)
	defer r.Close()
	v, ok, err := r.GetString(dbi, []byte(key))
	if err != nil {
		t.Fatal(err)
	}
	return string(v), ok
}

// TestRowCache_ReadersNeverGoBack races readers that fill the cache with
// a writer that changes the key: once a value is committed, no reader that
// starts afterwards sees an older one. A stale fill needs a rare
// interleaving here; TestRowCache_StaleFillRejected forces it.
func TestRowCache_ReadersNeverGoBack(t *testing.T) {
	db := openCached(t, 1<<20)
	var committed atomic.Int64
	setCommit(t, db, 1, 0, "k", "0")
	raceReaders(t, 3, func(int, int) error {
		floor := committed.Load()
		r := db.ReadTxn(false)
		v, ok, err := r.GetString(0, []byte("k"))
		r.Close()
		if err != nil || !ok {
			return fmt.Errorf("read: %v %v", ok, err)
		}
		if n, _ := strconv.ParseInt(string(v), 10, 64); n < floor {
			return fmt.Errorf("read %d after %d was committed", n, floor)
		}
		return nil
	}, func() {
		for i := int64(1); i <= 3000; i++ {
			setCommit(t, db, i+1, 0, "k", strconv.FormatInt(i, 10))
			committed.Store(i)
		}
	})
}

// raceReaders runs read(reader, iteration) in n goroutines while write
// runs, then stops them; the first error a reader returns fails the test.
func raceReaders(t *testing.T, n int, read func(reader, iter int) error, write func()) {
	t.Helper()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for r := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := read(r, i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	write()
	close(stop)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
}

// TestRowCache_StaleFillRejected commits a new value between a reader's
// cache miss and its fill: the fill of the old value must not land.
func TestRowCache_StaleFillRejected(t *testing.T) {
	db := openCached(t, 1<<20)
	setCommit(t, db, 1, 0, "k", "old")
	db.rows.clear()
	fired := false
	testAfterMissRead = func() {
		if !fired {
			fired = true
			setCommit(t, db, 2, 0, "k", "new")
		}
	}
	defer func() { testAfterMissRead = nil }()
	if v, _ := readString(t, db, 0, "k"); v != "old" {
		t.Fatalf("first read %q", v)
	}
	if v, _ := readString(t, db, 0, "k"); v != "new" {
		t.Fatalf("read after the commit got %q: a stale fill landed", v)
	}
}

// TestRowCache_WritesDeletesFlushSwap checks cached answers (values and
// "no such key") follow every kind of change.
func TestRowCache_WritesDeletesFlushSwap(t *testing.T) {
	db := openCached(t, 1<<20)
	if _, ok := readString(t, db, 0, "a"); ok { // caches "absent"
		t.Fatal("a exists")
	}
	setCommit(t, db, 1, 0, "a", "1")
	if v, ok := readString(t, db, 0, "a"); !ok || v != "1" {
		t.Fatalf("after SET: %q %v", v, ok)
	}
	txn := db.WriteTxn()
	if ok, err := txn.Delete(0, []byte("a")); !ok || err != nil {
		t.Fatal(ok, err)
	}
	txn.Commit(2)
	if _, ok := readString(t, db, 0, "a"); ok {
		t.Fatal("a survives DEL")
	}
	// A failed (closed, uncommitted) write leaves the cache alone.
	txn = db.WriteTxn()
	txn.SetString(0, []byte("a"), []byte("never"), SetOptions{})
	txn.Close()
	if _, ok := readString(t, db, 0, "a"); ok {
		t.Fatal("an uncommitted write is visible")
	}
	// SWAPDB: cached by physical db, so both sides stay right.
	setCommit(t, db, 3, 0, "s", "in0")
	readString(t, db, 1, "s") // cache "absent" in db 1
	txn = db.WriteTxn()
	txn.SwapDB(0, 1)
	txn.Commit(4)
	if v, ok := readString(t, db, 1, "s"); !ok || v != "in0" {
		t.Fatalf("after SWAPDB db1: %q %v", v, ok)
	}
	if _, ok := readString(t, db, 0, "s"); ok {
		t.Fatal("after SWAPDB db0 still has s")
	}
	// FLUSHDB in the same Txn as a write, then reads.
	txn = db.WriteTxn()
	txn.SetString(1, []byte("t"), []byte("x"), SetOptions{})
	txn.FlushDB(1)
	if _, ok, _ := txn.GetString(1, []byte("t")); ok {
		t.Fatal("t visible after FLUSHDB in the same txn")
	}
	txn.SetString(1, []byte("u"), []byte("y"), SetOptions{})
	txn.Commit(5)
	if _, ok := readString(t, db, 1, "s"); ok {
		t.Fatal("s survives FLUSHDB")
	}
	if v, ok := readString(t, db, 1, "u"); !ok || v != "y" {
		t.Fatalf("u after FLUSHDB+SET: %q %v", v, ok)
	}
	// In-place changes by the executor do not reach the shared copy.
	setCommit(t, db, 6, 2, "p", "abc")
	readString(t, db, 2, "p")
	txn = db.WriteTxn()
	v, _, _ := txn.GetString(2, []byte("p"))
	v[0] = 'X'
	txn.Close()
	if got, _ := readString(t, db, 2, "p"); got != "abc" {
		t.Fatalf("cached value changed in place: %q", got)
	}
}

// TestRowCache_Bounded checks the budget holds with many keys.
func TestRowCache_Bounded(t *testing.T) {
	db := openCached(t, 64<<10)
	txn := db.WriteTxn()
	for i := range 20000 {
		txn.SetString(0, fmt.Appendf(nil, "key:%d", i), make([]byte, 100), SetOptions{})
	}
	txn.Commit(1)
	var bytes int64
	for i := range db.rows.shards {
		bytes += db.rows.shards[i].bytes
	}
	if bytes > 64<<10 {
		t.Fatalf("cache holds %d bytes, budget %d", bytes, 64<<10)
	}
	if n := db.rows.len(); n == 0 || n >= 20000 {
		t.Fatalf("cache entries %d", n)
	}
	for i := range 20000 { // every key still right, cached or not
		if v, ok := readString(t, db, 0, fmt.Sprintf("key:%d", i)); !ok || len(v) != 100 {
			t.Fatalf("key:%d: %v", i, ok)
		}
	}
}

func TestRowCache_Stats(t *testing.T) {
	db := openCached(t, 1<<20)
	setCommit(t, db, 1, 0, "a", "1") // the SET's own lookup of a: miss
	readString(t, db, 0, "a")        // hit: the commit cached it
	readString(t, db, 0, "b")        // miss, then cached as absent
	readString(t, db, 0, "b")        // hit
	st := db.RowCacheStats()
	if st.Hits != 2 || st.Misses != 2 || st.Entries != 2 || st.Bytes <= 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TestRowCache_Prefetch checks a prefetch fills the entry the executor's
// lookup then hits, for a key that exists and one that does not.
func TestRowCache_Prefetch(t *testing.T) {
	db := openCached(t, 1<<20)
	setCommit(t, db, 1, 1, "a", "1")
	db.rows.clear()
	db.Prefetch(1, []byte("a"))
	db.Prefetch(1, []byte("none"))
	before := db.RowCacheStats()
	txn := db.WriteTxn()
	defer txn.Close()
	if v, ok, err := txn.GetString(1, []byte("a")); err != nil || !ok || string(v) != "1" {
		t.Fatalf("a: %q %v %v", v, ok, err)
	}
	if _, ok, err := txn.GetString(1, []byte("none")); err != nil || ok {
		t.Fatalf("none: %v %v", ok, err)
	}
	after := db.RowCacheStats()
	if after.Hits-before.Hits != 2 || after.Misses != before.Misses {
		t.Fatalf("lookups after prefetch: %+v → %+v, want 2 hits", before, after)
	}
	db.Prefetch(99, []byte("a")) // a db out of range is ignored
}

func TestRowCache_Off(t *testing.T) {
	db := openCached(t, -1)
	if db.rows != nil {
		t.Fatal("row cache present with RowCache < 0")
	}
	setCommit(t, db, 1, 0, "a", "1")
	if v, ok := readString(t, db, 0, "a"); !ok || v != "1" {
		t.Fatal("read without cache")
	}
}

// shardKeys returns n distinct keys (named by prefix and index) that hash
// to shard 0 of c, so a test can fill one shard in a known order.
func shardKeys(c *rowCache, prefix string, n int) [][]byte {
	var keys [][]byte
	for i := 0; len(keys) < n; i++ {
		k := fmt.Appendf(nil, "%s:%d", prefix, i)
		if _, s := c.hash(k); s == &c.shards[0] {
			keys = append(keys, k)
		}
	}
	return keys
}

func cachedValue(t *testing.T, c *rowCache, k []byte) (string, bool) {
	t.Helper()
	rec, hit, _ := c.get(k)
	if hit && cap(rec) != len(rec) {
		t.Fatalf("%s: record has spare capacity %d > %d", k, cap(rec), len(rec))
	}
	return string(rec), hit
}

// newTestCache returns a cache whose shards hold 64 KiB: 16 chunks of
// 4 KiB.
func newTestCache(t *testing.T) *rowCache {
	t.Helper()
	c := newRowCache(rowCacheShards * 64 << 10)
	if c.budget != 64<<10 || c.chunk != 4<<10 {
		t.Fatalf("budget %d chunk %d", c.budget, c.chunk)
	}
	return c
}

func TestRowCache_ChunkSizes(t *testing.T) {
	for _, tc := range []struct{ size, chunk int64 }{
		{256 << 20, 256 << 10}, // the default: 16 chunks a shard
		{64 << 30, 1 << 20},    // capped at 1 MiB
		{rowCacheShards * 32 << 10, 4 << 10},
		{rowCacheShards * 1 << 10, 1 << 10}, // never more than the budget
		{rowCacheShards - 1, 0},             // nothing cached
	} {
		c := newRowCache(tc.size)
		if int64(c.chunk) != tc.chunk {
			t.Errorf("size %d: chunk %d, want %d", tc.size, c.chunk, tc.chunk)
		}
	}
	if sz := unsafe.Sizeof(rowShard{}); sz%64 != 0 {
		t.Errorf("rowShard is %d bytes, not whole cache lines", sz)
	}
}

// TestRowCache_ChunksGrow checks a shard's first chunks double from
// minChunk to the chunk size: a few keys take a few KiB, a full shard is
// full-size chunks within the budget.
func TestRowCache_ChunksGrow(t *testing.T) {
	c := newRowCache(256 << 20)
	s := &c.shards[0]
	keys := shardKeys(c, "k", 40000) // 8 MiB of entries
	c.set(keys[0], []byte("v"))
	if s.bytes != minChunk {
		t.Fatalf("one key: %d bytes", s.bytes)
	}
	var sizes []int
	for _, k := range keys {
		c.set(k, make([]byte, 200))
		if n := len(s.chunks); s.first == 0 && n > len(sizes) {
			sizes = append(sizes, cap(s.chunks[n-1]))
		}
		if s.bytes > c.budget {
			t.Fatalf("%d bytes, budget %d", s.bytes, c.budget)
		}
	}
	want := []int{4 << 10, 4 << 10, 8 << 10, 16 << 10, 32 << 10, 64 << 10, 128 << 10, 256 << 10, 256 << 10}
	if len(sizes) < len(want) || fmt.Sprint(sizes[:len(want)]) != fmt.Sprint(want) {
		t.Fatalf("chunk sizes %v", sizes)
	}
	if s.first == 0 || s.bytes < c.budget-int64(c.chunk) {
		t.Fatalf("%d chunks dropped, %d bytes held", s.first, s.bytes)
	}
	for _, ch := range s.chunks {
		if cap(ch) != c.chunk {
			t.Fatalf("after the small chunks were dropped: a chunk of %d", cap(ch))
		}
	}
}

// TestRowCache_EvictsOldestFirst fills one shard far past its budget: it
// stays within the budget and what it keeps is the newest keys, nearly a
// budget's worth of them.
func TestRowCache_EvictsOldestFirst(t *testing.T) {
	c := newTestCache(t)
	s := &c.shards[0]
	keys := shardKeys(c, "k", 5000)
	val := make([]byte, 60)
	for i, k := range keys {
		c.set(k, val)
		if s.bytes > c.budget || len(s.chunks) > rowCacheChunks {
			t.Fatalf("after %d sets: %d bytes in %d chunks, budget %d", i+1, s.bytes, len(s.chunks), c.budget)
		}
	}
	oldest := -1 // the oldest key still cached
	for i, k := range keys {
		_, hit := cachedValue(t, c, k)
		if hit && oldest < 0 {
			oldest = i
		}
		if !hit && oldest >= 0 {
			t.Fatalf("key %d evicted, key %d (older) still cached", i, oldest)
		}
	}
	// At least the chunks but the one being filled and the one dropped
	// last are full of the newest keys.
	longest := 0
	for _, k := range keys {
		longest = max(longest, len(k))
	}
	entry := 8 + 1 + 1 + longest + 1 + len(val) // hash, lengths, key, present, value
	want := (rowCacheChunks - 2) * (c.chunk / entry)
	if kept := len(keys) - oldest; kept < want || kept != c.len() {
		t.Fatalf("kept %d keys (len %d), want at least %d", kept, c.len(), want)
	}
}

// TestRowCache_OverwriteSurvivesDrop sets keys again in newer chunks: the
// drop of the chunk holding their old entries must keep the new ones, and
// must forget keys whose newest entry was in the dropped chunk.
func TestRowCache_OverwriteSurvivesDrop(t *testing.T) {
	c := newTestCache(t)
	s := &c.shards[0]
	moved, twice, gone := shardKeys(c, "moved", 1)[0], shardKeys(c, "twice", 1)[0], shardKeys(c, "gone", 1)[0]
	c.set(moved, []byte("old"))
	c.set(twice, []byte("first"))
	c.set(twice, []byte("second")) // both in chunk 0
	c.set(gone, nil)
	if n := len(s.chunks); n != 1 {
		t.Fatalf("%d chunks", n)
	}
	filler := shardKeys(c, "f", 10000)
	i := 0
	for len(s.chunks) < 3 { // moved's new entry lands in a later chunk
		c.set(filler[i], make([]byte, 50))
		i++
	}
	c.set(moved, []byte("new"))
	first := s.first
	h, _ := c.hash(moved)
	movedChunk := s.m[h] >> offsetBits
	if movedChunk <= first {
		t.Fatalf("moved's new entry in chunk %d", movedChunk)
	}
	for s.first == first { // until chunk 0 is dropped
		c.set(filler[i], make([]byte, 50))
		i++
	}
	if v, hit := cachedValue(t, c, moved); !hit || v != "new" {
		t.Fatalf("moved: %q %v", v, hit)
	}
	if v, hit := cachedValue(t, c, twice); hit {
		t.Fatalf("twice still cached (%q) after its chunk was dropped", v)
	}
	if _, hit := cachedValue(t, c, gone); hit {
		t.Fatal("gone still cached after its chunk was dropped")
	}
	if v, hit := cachedValue(t, c, filler[0]); hit {
		t.Fatalf("filler 0 still cached (%q)", v)
	}
	if _, hit := cachedValue(t, c, filler[i-1]); !hit {
		t.Fatal("newest filler not cached")
	}
	for s.first <= movedChunk { // and the drop of its new chunk forgets moved
		c.set(filler[i], make([]byte, 50))
		i++
	}
	if _, hit := cachedValue(t, c, moved); hit {
		t.Fatal("moved still cached after its chunk was dropped")
	}
}

// TestRowCache_RecordsStayPut holds records returned by get while the
// cache changes and drops every chunk: they never change, and appending to
// one does not reach the cache.
func TestRowCache_RecordsStayPut(t *testing.T) {
	c := newTestCache(t)
	keys := shardKeys(c, "k", 20000)
	c.set(keys[0], []byte("value-0"))
	c.set(keys[1], nil)
	c.set(keys[2], []byte("value-2"))
	rec0, _, _ := c.get(keys[0])
	rec1, hit1, _ := c.get(keys[1])
	if !hit1 || rec1 == nil || len(rec1) != 0 {
		t.Fatalf("absent: %q %v", rec1, hit1)
	}
	_ = append(rec0, "XXXXXXXX"...) // a holder's append must not touch keys[2]'s entry
	if v, _ := cachedValue(t, c, keys[2]); v != "value-2" {
		t.Fatalf("next entry changed by an append: %q", v)
	}
	for i := range 20000 {
		c.set(keys[0], fmt.Appendf(nil, "value-%d", i+1)) // overwrite the same key
		c.set(keys[3+i%(len(keys)-3)], make([]byte, 100))
	}
	if c.shards[0].first < 2*rowCacheChunks {
		t.Fatalf("only %d chunks dropped", c.shards[0].first)
	}
	if string(rec0) != "value-0" || len(rec1) != 0 {
		t.Fatalf("held records changed: %q %q", rec0, rec1)
	}
	if v, hit := cachedValue(t, c, keys[0]); !hit || v != "value-20000" {
		t.Fatalf("keys[0]: %q %v", v, hit)
	}
}

// TestRowCache_LargeEntries checks an entry larger than a chunk is not
// cached, and that it replaces (forgets) the key's cached smaller value.
func TestRowCache_LargeEntries(t *testing.T) {
	c := newTestCache(t)
	s := &c.shards[0]
	k := shardKeys(c, "big", 1)[0]
	c.set(k, []byte("small"))
	c.set(k, make([]byte, c.chunk))
	if v, hit := cachedValue(t, c, k); hit {
		t.Fatalf("a stale or too large value is cached: %d bytes", len(v))
	}
	_, _, seq := c.get(k)
	c.fill(k, make([]byte, 2*c.chunk), seq)
	if _, hit := cachedValue(t, c, k); hit {
		t.Fatal("a too large fill is cached")
	}
	// The largest entry that fits a chunk is cached, in a chunk of its own
	// when the current one has started.
	c.set(shardKeys(c, "other", 1)[0], []byte("x"))
	max := c.chunk - 8 - 2 - 1 - len(k) - 1 // hash, body length, key length, key, present
	v := make([]byte, max)
	v[max-1] = 'z'
	c.set(k, v)
	if got, hit := cachedValue(t, c, k); !hit || got != string(v) {
		t.Fatalf("a value of %d bytes (entry: a whole chunk) is not cached", max)
	}
	if n := len(s.chunks); n != 2 || len(s.chunks[1]) != c.chunk {
		t.Fatalf("%d chunks, last holds %d bytes", n, len(s.chunks[n-1]))
	}
	c.set(k, make([]byte, max+1))
	if _, hit := cachedValue(t, c, k); hit {
		t.Fatal("an entry one byte larger than a chunk is cached")
	}
	if s.bytes > c.budget {
		t.Fatalf("%d bytes", s.bytes)
	}
}

func TestRowCache_Clear(t *testing.T) {
	c := newTestCache(t)
	keys := shardKeys(c, "k", 2000)
	for _, k := range keys {
		c.set(k, []byte("v"))
	}
	held, _, _ := c.get(keys[len(keys)-1])
	_, _, seq := c.get([]byte("not cached"))
	c.clear()
	if n := c.len(); n != 0 || c.shards[0].bytes != 0 || len(c.shards[0].chunks) != 0 {
		t.Fatalf("after clear: %d entries, %d bytes", n, c.shards[0].bytes)
	}
	for _, k := range keys {
		if _, hit := cachedValue(t, c, k); hit {
			t.Fatalf("%s cached after clear", k)
		}
	}
	c.fill([]byte("not cached"), []byte("stale"), seq) // clear changed the shard
	if _, hit := cachedValue(t, c, []byte("not cached")); hit {
		t.Fatal("a fill from before the clear landed")
	}
	c.set(keys[0], []byte("again"))
	if v, hit := cachedValue(t, c, keys[0]); !hit || v != "again" || string(held) != "v" {
		t.Fatalf("after clear and set: %q %v, held %q", v, hit, held)
	}
}

// TestRowCache_Collision puts k's entry in the slot of another key's hash
// (as a collision would): a lookup of the other key must miss.
func TestRowCache_Collision(t *testing.T) {
	c := newTestCache(t)
	h, s := c.hash([]byte("other"))
	s.put(h, []byte("k"), []byte("v"), c)
	if _, hit := cachedValue(t, c, []byte("other")); hit {
		t.Fatal("a colliding key's record returned")
	}
}

// TestRowCache_ConcurrentReaders reads records (all bytes) while a writer
// appends next to them and drops chunks (run with -race).
func TestRowCache_ConcurrentReaders(t *testing.T) {
	c := newTestCache(t)
	keys := shardKeys(c, "k", 50)
	val := func(i int) []byte { return []byte(strings.Repeat(strconv.Itoa(i%10), 1+i%40)) }
	for i, k := range keys {
		c.set(k, val(i))
	}
	raceReaders(t, 2, func(r, i int) error {
		n := (r + i) % len(keys)
		rec, hit, seq := c.get(keys[n])
		if !hit {
			c.fill(keys[n], val(n), seq)
		} else if want := val(n); string(rec) != string(want) {
			return fmt.Errorf("%s: %q, want %q", keys[n], rec, want)
		}
		return nil
	}, func() {
		for n := range 100000 {
			i := n % len(keys)
			c.set(keys[i], val(i)) // the same value: a reader may hold either copy
		}
	})
}

// TestRowCache_Model runs random sets, fills, clears and gets of a few
// hundred keys with values of every size against a plain map: a hit is
// always the latest value, and shards stay within budget.
func TestRowCache_Model(t *testing.T) {
	c := newTestCache(t)
	rng := rand.New(rand.NewPCG(1, 2))
	model := map[string][]byte{} // nil: absent
	keys := make([][]byte, 300)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "key:%d", i)
	}
	var hits int
	for n := range 200000 {
		k := keys[rng.IntN(len(keys))]
		switch op := rng.IntN(100); {
		case op < 40:
			var v []byte
			if rng.IntN(10) > 0 {
				v = make([]byte, 1+rng.IntN(300)) // records are never empty
				if rng.IntN(100) == 0 {
					v = make([]byte, c.chunk-40+rng.IntN(80))
				}
				for i := range v {
					v[i] = byte(n + i)
				}
			}
			c.set(k, v)
			model[string(k)] = v
		case op < 41 && n%10 == 0:
			c.clear()
		default:
			rec, hit, seq := c.get(k)
			if !hit {
				c.fill(k, model[string(k)], seq)
				continue
			}
			hits++
			want := model[string(k)]
			if string(rec) != string(want) || (want == nil) != (len(rec) == 0) {
				t.Fatalf("op %d: %s: cached %d bytes, want %d", n, k, len(rec), len(want))
			}
		}
	}
	for i := range c.shards {
		if s := &c.shards[i]; s.bytes > c.budget || s.bytes != int64(len(s.chunks)*c.chunk) {
			t.Fatalf("shard %d: %d bytes in %d chunks", i, s.bytes, len(s.chunks))
		}
	}
	if hits < 50000 {
		t.Fatalf("only %d hits", hits)
	}
}

// benchKeys returns n meta-key-like keys.
func benchKeys(n int) [][]byte {
	keys := make([][]byte, n)
	for i := range keys {
		keys[i] = fmt.Appendf(nil, "\x00\x00\x00\x01key:%08d\x00", i)
	}
	return keys
}

// filledCache is a default-sized cache holding n keys of 32-byte values.
func filledCache(n int) (*rowCache, [][]byte) {
	c := newRowCache(256 << 20)
	keys := benchKeys(n)
	val := make([]byte, 32)
	for _, k := range keys {
		c.set(k, val)
	}
	return c, keys
}

// BenchmarkRowCache_GetHit reads cached 32-byte values of 100k keys.
func BenchmarkRowCache_GetHit(b *testing.B) {
	c, keys := filledCache(100_000)
	// Read in random order: in insertion order, entries allocated one
	// after the other would be read from consecutive memory.
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(keys), func(i, j int) { keys[i], keys[j] = keys[j], keys[i] })
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, hit, _ := c.get(keys[i%len(keys)]); !hit {
			b.Fatal("miss")
		}
	}
}

// BenchmarkRowCache_Set writes 32-byte values of 1M keys into a 32 MiB
// cache: the steady state includes eviction.
func BenchmarkRowCache_Set(b *testing.B) {
	c := newRowCache(32 << 20)
	keys := benchKeys(1_000_000)
	val := make([]byte, 32)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c.set(keys[i%len(keys)], val)
	}
}

// BenchmarkRowCache_GC measures a full garbage collection with 1M cached
// entries: the marking work the cache's layout costs.
func BenchmarkRowCache_GC(b *testing.B) {
	c, _ := filledCache(1_000_000)
	if n := c.len(); n < 900_000 {
		b.Fatalf("only %d entries cached", n)
	}
	runtime.GC()
	gcCPU := func() float64 {
		s := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}}
		metrics.Read(s)
		return s[0].Value.Float64()
	}
	before := gcCPU()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		runtime.GC()
	}
	b.StopTimer()
	b.ReportMetric((gcCPU()-before)*1e9/float64(b.N), "gc-cpu-ns/op")
	runtime.KeepAlive(c)
}
