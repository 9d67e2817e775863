package engine

import (
	"fmt"
	"testing"
)

func openTest(t *testing.T, now *int64) *DB {
	t.Helper()
	db, err := Open(t.TempDir(), Options{Databases: 4, CacheSize: 8 << 20, Now: func() int64 { return *now }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func commit(t *testing.T, db *DB, off int64, fn func(*Txn)) {
	t.Helper()
	txn := db.WriteTxn()
	fn(txn)
	if err := txn.Commit(off); err != nil {
		t.Fatal(err)
	}
}

func TestDB_CountsSurviveReopen(t *testing.T) {
	now := int64(1000)
	dir := t.TempDir()
	db, err := Open(dir, Options{Databases: 4, CacheSize: 8 << 20, Now: func() int64 { return now }})
	if err != nil {
		t.Fatal(err)
	}
	commit(t, db, 10, func(txn *Txn) {
		for i := range 100 {
			txn.SetString(0, []byte(fmt.Sprint("k", i)), []byte("v"), SetOptions{})
		}
		txn.SetString(1, []byte("a"), []byte("v"), SetOptions{ExpireAt: 5000})
	})
	commit(t, db, 20, func(txn *Txn) {
		txn.Delete(0, []byte("k1"))
		txn.Delete(0, []byte("missing"))
	})
	if db.DBSize(0) != 99 || db.DBSize(1) != 1 || db.Expires(1) != 1 {
		t.Fatalf("sizes %d %d %d", db.DBSize(0), db.DBSize(1), db.Expires(1))
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(dir, Options{Databases: 4, CacheSize: 8 << 20, Now: func() int64 { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.DBSize(0) != 99 || db.DBSize(1) != 1 || db.Expires(1) != 1 || db.AppliedOffset() != 20 {
		t.Fatalf("after reopen: sizes %d %d %d offset %d", db.DBSize(0), db.DBSize(1), db.Expires(1), db.AppliedOffset())
	}
	var sum int64
	for s := range SlotCount {
		sum += db.SlotKeys(0, uint16(s))
	}
	if sum != 99 {
		t.Fatalf("slot counts sum %d", sum)
	}
}

func TestTxn_ExpiryLazyAndActive(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	commit(t, db, 1, func(txn *Txn) {
		txn.SetString(0, []byte("a"), []byte("1"), SetOptions{ExpireAt: 2000})
		txn.SetString(0, []byte("b"), []byte("2"), SetOptions{ExpireAt: 3000})
		txn.SetString(0, []byte("c"), []byte("3"), SetOptions{})
	})
	now = 2500
	r := db.ReadTxn(false)
	if _, ok, _ := r.GetString(0, []byte("a")); ok {
		t.Fatal("expired key visible to reads")
	}
	r.Close()
	var effects []Effect
	commit(t, db, 2, func(txn *Txn) {
		n, more, err := txn.ExpireCycle(10)
		if err != nil || n != 1 || more {
			t.Fatalf("ExpireCycle = %d %v %v", n, more, err)
		}
		effects = txn.TakeEffects()
	})
	if len(effects) != 1 || string(effects[0].Args[1]) != "a" {
		t.Fatalf("effects %v", effects)
	}
	if db.DBSize(0) != 2 || db.Expires(0) != 1 {
		t.Fatalf("dbsize %d expires %d", db.DBSize(0), db.Expires(0))
	}
}

func TestTxn_ScanNeverMisses(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	commit(t, db, 1, func(txn *Txn) {
		for i := range 500 {
			txn.SetString(0, []byte(fmt.Sprint("key:", i)), []byte("v"), SetOptions{})
		}
	})
	seen := map[string]bool{}
	cursor := uint64(0)
	for round := 0; ; round++ {
		r := db.ReadTxn(false)
		next, keys, err := r.Scan(0, cursor, ScanOptions{Count: 37})
		r.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			seen[string(k)] = true
		}
		// Churn during the scan: add and delete other keys.
		commit(t, db, int64(round+2), func(txn *Txn) {
			txn.SetString(0, []byte(fmt.Sprint("new:", round)), []byte("v"), SetOptions{})
			txn.Delete(0, []byte(fmt.Sprint("new:", round-1)))
		})
		if next == 0 {
			break
		}
		cursor = next
	}
	for i := range 500 {
		if !seen[fmt.Sprint("key:", i)] {
			t.Fatalf("scan missed key:%d", i)
		}
	}
}

func TestTxn_FlushAndSwap(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	commit(t, db, 1, func(txn *Txn) {
		txn.SetString(0, []byte("x"), []byte("0"), SetOptions{ExpireAt: 9000})
		txn.SetString(1, []byte("y"), []byte("1"), SetOptions{})
	})
	commit(t, db, 2, func(txn *Txn) { txn.SwapDB(0, 1) })
	r := db.ReadTxn(false)
	if v, ok, _ := r.GetString(0, []byte("y")); !ok || string(v) != "1" {
		t.Fatal("swapdb: y not in db 0")
	}
	r.Close()
	if db.DBSize(0) != 1 || db.DBSize(1) != 1 || db.Expires(1) != 1 {
		t.Fatal("swapdb counts")
	}
	commit(t, db, 3, func(txn *Txn) {
		txn.FlushDB(1)
		txn.SetString(1, []byte("z"), []byte("2"), SetOptions{})
	})
	if db.DBSize(1) != 1 || db.Expires(1) != 0 {
		t.Fatalf("after flush: %d %d", db.DBSize(1), db.Expires(1))
	}
	r = db.ReadTxn(false)
	defer r.Close()
	if _, ok, _ := r.GetString(1, []byte("x")); ok {
		t.Fatal("flushed key still there")
	}
}

// TestDB_CountDeltasAfterCrash reopens a store whose counts exist only as
// delta records (no checkpoint wrote the base), as after a crash.
func TestDB_CountDeltasAfterCrash(t *testing.T) {
	now := int64(1000)
	dir := t.TempDir()
	open := func() *DB {
		db, err := Open(dir, Options{Databases: 2, CacheSize: 8 << 20, Now: func() int64 { return now }})
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	db := open()
	commit(t, db, 1, func(txn *Txn) {
		for i := range 50 {
			txn.SetString(0, []byte(fmt.Sprint("a", i)), []byte("v"), SetOptions{ExpireAt: 5000})
		}
	})
	db.Checkpoint() // base: 50 keys, 50 expires
	commit(t, db, 2, func(txn *Txn) {
		txn.Delete(0, []byte("a1"))
		txn.SetString(0, []byte("b"), []byte("v"), SetOptions{})
	})
	commit(t, db, 3, func(txn *Txn) { txn.FlushDB(1); txn.SetString(1, []byte("c"), []byte("v"), SetOptions{}) })
	// Persist the memtable (data and delta records) but no new base, then
	// stop without Close, as a crash after a memtable flush would.
	if err := db.pdb.Flush(); err != nil {
		t.Fatal(err)
	}
	db.pdb.Close()
	db.cache.Unref()
	db = open()
	defer db.Close()
	if db.DBSize(0) != 50 || db.Expires(0) != 49 || db.DBSize(1) != 1 || db.AppliedOffset() != 3 {
		t.Fatalf("after crash: dbsize %d expires %d db1 %d offset %d", db.DBSize(0), db.Expires(0), db.DBSize(1), db.AppliedOffset())
	}
}
