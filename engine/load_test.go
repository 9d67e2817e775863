package engine

import (
	"fmt"
	"testing"
)

func TestLoader_SwapsAtomically(t *testing.T) {
	now := int64(1000)
	dir := t.TempDir()
	db, err := Open(dir, Options{Databases: 2, CacheSize: 8 << 20, Now: func() int64 { return now }})
	if err != nil {
		t.Fatal(err)
	}
	commit(t, db, 5, func(txn *Txn) {
		txn.SetString(0, []byte("old"), []byte("1"), SetOptions{})
		txn.SetString(1, []byte("old1"), []byte("1"), SetOptions{ExpireAt: 9000})
	})
	l, err := db.NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5000 {
		txn, err := l.Txn()
		if err != nil {
			t.Fatal(err)
		}
		txn.SetString(i%2, []byte(fmt.Sprint("new", i)), []byte("v"), SetOptions{})
	}
	// Before Commit readers still see the old data set only.
	r := db.ReadTxn(false)
	if _, ok, _ := r.GetString(0, []byte("old")); !ok {
		t.Fatal("old data gone before commit")
	}
	if _, ok, _ := r.GetString(0, []byte("new0")); ok {
		t.Fatal("new data visible before commit")
	}
	r.Close()
	if db.DBSize(0) != 1 {
		t.Fatalf("DBSIZE before commit = %d", db.DBSize(0))
	}
	if err := l.Commit(777); err != nil {
		t.Fatal(err)
	}
	r = db.ReadTxn(false)
	if _, ok, _ := r.GetString(0, []byte("old")); ok {
		t.Fatal("old data still there after commit")
	}
	if _, ok, _ := r.GetString(0, []byte("new0")); !ok {
		t.Fatal("new data missing after commit")
	}
	r.Close()
	if db.DBSize(0) != 2500 || db.DBSize(1) != 2500 || db.Expires(1) != 0 || db.AppliedOffset() != 777 {
		t.Fatalf("after commit: %d %d %d %d", db.DBSize(0), db.DBSize(1), db.Expires(1), db.AppliedOffset())
	}
	// An interrupted load leaves nothing behind after a reopen.
	l2, _ := db.NewLoader()
	txn, _ := l2.Txn()
	txn.SetString(0, []byte("ghost"), []byte("x"), SetOptions{})
	l2.txn.Commit(db.AppliedOffset())
	l2.txn = nil
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(dir, Options{Databases: 2, CacheSize: 8 << 20, Now: func() int64 { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.DBSize(0) != 2500 {
		t.Fatalf("after reopen DBSIZE = %d", db.DBSize(0))
	}
	l3, _ := db.NewLoader()
	if err := l3.Commit(800); err != nil {
		t.Fatal(err)
	}
	if db.DBSize(0) != 0 {
		t.Fatalf("ghost of the interrupted load came back: %d keys", db.DBSize(0))
	}
}
