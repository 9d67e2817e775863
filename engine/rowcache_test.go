package engine

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
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
// starts afterwards sees an older one (a stale fill would).
func TestRowCache_ReadersNeverGoBack(t *testing.T) {
	db := openCached(t, 1<<20)
	var committed atomic.Int64
	setCommit(t, db, 1, 0, "k", "0")
	stop := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				floor := committed.Load()
				r := db.ReadTxn(false)
				v, ok, err := r.GetString(0, []byte("k"))
				r.Close()
				if err != nil || !ok {
					errs <- fmt.Errorf("read: %v %v", ok, err)
					return
				}
				n, _ := strconv.ParseInt(string(v), 10, 64)
				if n < floor {
					errs <- fmt.Errorf("read %d after %d was committed", n, floor)
					return
				}
			}
		}()
	}
	for i := int64(1); i <= 3000; i++ {
		setCommit(t, db, i+1, 0, "k", strconv.FormatInt(i, 10))
		committed.Store(i)
	}
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
