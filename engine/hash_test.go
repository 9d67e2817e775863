package engine

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"testing"
)

func collBytes(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func collStrings(bb [][]byte) []string {
	out := make([]string, len(bb))
	for i, b := range bb {
		out[i] = string(b)
	}
	return out
}

// readView runs fn in a read Txn.
func readView(t *testing.T, db *DB, fn func(*Txn)) {
	t.Helper()
	r := db.ReadTxn(true)
	defer r.Close()
	fn(r)
}

// elemRecords counts the element records stored under a key, whatever its
// metadata says.
func elemRecords(t *testing.T, db *DB, dbi int, key string) int {
	t.Helper()
	n := 0
	readView(t, db, func(r *Txn) {
		p := elemPrefix(r.phys(dbi), []byte(key))
		it, err := r.iter(p, prefixEnd(p))
		if err != nil {
			t.Fatal(err)
		}
		for it.First(); it.Valid(); it.Next() {
			n++
		}
		it.Close()
	})
	return n
}

func TestTxn_HashBasics(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	commit(t, db, 1, func(txn *Txn) {
		n, err := txn.HSet(0, []byte("h"), collBytes("a", "1", "b", "2", "a", "3", "e", ""))
		if err != nil || n != 3 {
			t.Fatalf("HSet = %d %v, want 3 new", n, err)
		}
		if n, _ := txn.HSet(0, []byte("h"), collBytes("b", "20", "c", "30")); n != 1 {
			t.Fatalf("second HSet = %d new, want 1", n)
		}
		if ok, _ := txn.HSetNX(0, []byte("h"), []byte("c"), []byte("x")); ok {
			t.Fatal("HSetNX overwrote an existing field")
		}
		if ok, _ := txn.HSetNX(0, []byte("h"), []byte("d"), []byte("40")); !ok {
			t.Fatal("HSetNX did not set a new field")
		}
		if _, err := txn.HSet(0, []byte("h"), collBytes("odd")); err == nil {
			t.Fatal("HSet with an odd argument list succeeded")
		}
	})
	readView(t, db, func(r *Txn) {
		if v, ok, _ := r.HGet(0, []byte("h"), []byte("a")); !ok || string(v) != "3" {
			t.Fatalf("HGet a = %q %v, want the last value 3", v, ok)
		}
		if n, _ := r.HLen(0, []byte("h")); n != 5 {
			t.Fatalf("HLen = %d, want 5", n)
		}
		vals, err := r.HMGet(0, []byte("h"), collBytes("a", "zz", "e"))
		if err != nil || string(vals[0]) != "3" || vals[1] != nil || vals[2] == nil || len(vals[2]) != 0 {
			t.Fatalf("HMGet = %q %v: want 3, missing, empty", vals, err)
		}
		f, v, _ := r.HGetAll(0, []byte("h"), true)
		if got := fmt.Sprint(collStrings(f), collStrings(v)); got != "[a b c d e] [3 20 30 40 ]" {
			t.Fatalf("HGetAll = %s", got)
		}
		f, v, _ = r.HGetAll(0, []byte("h"), false)
		if len(f) != 5 || v != nil {
			t.Fatalf("HGetAll without values = %q %q", f, v)
		}
		if vals, _ := r.HMGet(0, []byte("nokey"), collBytes("a")); len(vals) != 1 || vals[0] != nil {
			t.Fatalf("HMGet of a missing key = %q", vals)
		}
	})
	if got := elemRecords(t, db, 0, "h"); got != 5 {
		t.Fatalf("%d element records, want 5", got)
	}
}

func TestTxn_HashLastFieldDeletesKey(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	commit(t, db, 1, func(txn *Txn) {
		txn.HSet(0, []byte("h"), collBytes("a", "1", "b", "2"))
		txn.SetExpireAt(0, []byte("h"), 50_000)
	})
	if db.DBSize(0) != 1 || db.Expires(0) != 1 {
		t.Fatalf("dbsize %d expires %d", db.DBSize(0), db.Expires(0))
	}
	commit(t, db, 2, func(txn *Txn) {
		if n, _ := txn.HDel(0, []byte("h"), collBytes("a", "zz")); n != 1 {
			t.Fatalf("HDel = %d, want 1", n)
		}
	})
	readView(t, db, func(r *Txn) {
		m, ok, _ := r.Lookup(0, []byte("h"))
		if !ok || m.Size != 1 || m.ExpireAt != 50_000 {
			t.Fatalf("after HDel: %+v %v, want size 1 and the TTL kept", m, ok)
		}
	})
	commit(t, db, 3, func(txn *Txn) {
		before := txn.Dirty()
		if n, _ := txn.HDel(0, []byte("h"), collBytes("zz")); n != 0 || txn.Dirty() != before {
			t.Fatal("HDel of a missing field counted a change")
		}
		if n, _ := txn.HDel(0, []byte("h"), collBytes("b")); n != 1 {
			t.Fatalf("HDel = %d, want 1", n)
		}
	})
	readView(t, db, func(r *Txn) {
		if _, ok, _ := r.Lookup(0, []byte("h")); ok {
			t.Fatal("an empty hash still exists")
		}
	})
	if db.DBSize(0) != 0 || db.Expires(0) != 0 || elemRecords(t, db, 0, "h") != 0 {
		t.Fatalf("dbsize %d expires %d elems %d", db.DBSize(0), db.Expires(0), elemRecords(t, db, 0, "h"))
	}
}

func TestTxn_HashWrongType(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	commit(t, db, 1, func(txn *Txn) {
		txn.SetString(0, []byte("s"), []byte("v"), SetOptions{})
		txn.SAdd(0, []byte("set"), collBytes("m"))
		for _, key := range []string{"s", "set"} {
			k := []byte(key)
			if _, err := txn.HSet(0, k, collBytes("a", "1")); !errors.Is(err, ErrWrongType) {
				t.Fatalf("HSet %s: %v", key, err)
			}
			if _, err := txn.HDel(0, k, collBytes("a")); !errors.Is(err, ErrWrongType) {
				t.Fatalf("HDel %s: %v", key, err)
			}
			if _, err := txn.HSetNX(0, k, []byte("a"), nil); !errors.Is(err, ErrWrongType) {
				t.Fatalf("HSetNX %s: %v", key, err)
			}
		}
	})
	readView(t, db, func(r *Txn) {
		k := []byte("s")
		_, _, e1 := r.HGet(0, k, []byte("a"))
		_, e2 := r.HMGet(0, k, collBytes("a"))
		_, e3 := r.HLen(0, k)
		_, _, e4 := r.HGetAll(0, k, true)
		_, _, _, e5 := r.HScan(0, k, 0, ScanOptions{})
		_, _, e6 := r.HRandField(0, k, 1)
		for i, err := range []error{e1, e2, e3, e4, e5, e6} {
			if !errors.Is(err, ErrWrongType) {
				t.Errorf("read %d: %v, want ErrWrongType", i+1, err)
			}
		}
	})
}

// A collection deleted and rewritten in one Txn (one batch) must not see
// its old elements: sizes stay exact.
func TestTxn_CollectionRewrittenInOneTxn(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	commit(t, db, 1, func(txn *Txn) {
		txn.HSet(0, []byte("h"), collBytes("a", "1", "b", "2", "c", "3"))
		txn.SAdd(0, []byte("s"), collBytes("x", "y", "z"))
		txn.SAdd(0, []byte("d"), collBytes("old1", "old2"))
	})
	commit(t, db, 2, func(txn *Txn) {
		txn.Delete(0, []byte("h"))
		if n, _ := txn.HSet(0, []byte("h"), collBytes("a", "10")); n != 1 {
			t.Fatalf("HSet after Delete = %d new, want 1", n)
		}
		if n, _ := txn.HSet(0, []byte("h"), collBytes("b", "20", "a", "11")); n != 1 {
			t.Fatalf("HSet = %d new, want 1 (old b was deleted)", n)
		}
		if _, ok, _ := txn.HGet(0, []byte("h"), []byte("c")); ok {
			t.Fatal("a deleted field is visible in the same Txn")
		}
		txn.SPop(0, []byte("s"), 10)
		if n, _ := txn.SAdd(0, []byte("s"), collBytes("x", "w")); n != 2 {
			t.Fatalf("SAdd after popping all = %d, want 2", n)
		}
		if n, _ := txn.SAdd(0, []byte("s"), collBytes("y", "x")); n != 1 {
			t.Fatalf("SAdd = %d, want 1 (y was popped)", n)
		}
		// dst is also a source: the result is computed first.
		txn.SStore(0, []byte("d"), collBytes("new"))
		if ok, _ := txn.SIsMember(0, []byte("d"), []byte("old1")); ok {
			t.Fatal("SStore left an old member visible")
		}
	})
	readView(t, db, func(r *Txn) {
		f, v, _ := r.HGetAll(0, []byte("h"), true)
		if got := fmt.Sprint(collStrings(f), collStrings(v)); got != "[a b] [11 20]" {
			t.Fatalf("hash = %s", got)
		}
		if n, _ := r.HLen(0, []byte("h")); n != 2 {
			t.Fatalf("HLen = %d", n)
		}
		m, _ := r.SMembers(0, []byte("s"))
		if n, _ := r.SCard(0, []byte("s")); n != 3 || fmt.Sprint(collStrings(m)) != "[w x y]" {
			t.Fatalf("set = %q card %d", m, n)
		}
		if m, _ := r.SMembers(0, []byte("d")); fmt.Sprint(collStrings(m)) != "[new]" {
			t.Fatalf("stored set = %q", m)
		}
	})
	for key, want := range map[string]int{"h": 2, "s": 3, "d": 1} {
		if got := elemRecords(t, db, 0, key); got != want {
			t.Errorf("%s: %d element records, want %d", key, got, want)
		}
	}
}

func TestTxn_HScanNeverMisses(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	commit(t, db, 1, func(txn *Txn) {
		var pairs [][]byte
		for i := range 1000 {
			pairs = append(pairs, []byte(fmt.Sprint("f", i)), []byte(fmt.Sprint(i)))
		}
		txn.HSet(0, []byte("h"), pairs)
	})
	seen := map[string]string{}
	cursor := uint64(0)
	for round := 0; ; round++ {
		var next uint64
		var f, v [][]byte
		readView(t, db, func(r *Txn) {
			var err error
			next, f, v, err = r.HScan(0, []byte("h"), cursor, ScanOptions{Count: 33})
			if err != nil {
				t.Fatal(err)
			}
		})
		if next != 0 && len(f) != 33 {
			t.Fatalf("round %d: %d fields, want 33", round, len(f))
		}
		for i := range f {
			seen[string(f[i])] = string(v[i])
		}
		// Churn: fields come and go during the scan.
		commit(t, db, int64(round+2), func(txn *Txn) {
			txn.HSet(0, []byte("h"), collBytes(fmt.Sprint("new", round), "x"))
			txn.HDel(0, []byte("h"), collBytes(fmt.Sprint("new", round-1)))
		})
		if next == 0 {
			break
		}
		cursor = next
	}
	for i := range 1000 {
		if seen[fmt.Sprint("f", i)] != fmt.Sprint(i) {
			t.Fatalf("scan missed f%d", i)
		}
	}
	// MATCH filters what is returned, not what is examined; an unknown
	// cursor restarts rather than failing.
	readView(t, db, func(r *Txn) {
		next, f, _, _ := r.HScan(0, []byte("h"), 0, ScanOptions{Count: 100, Match: []byte("f1*")})
		if next == 0 || len(f) == 0 || len(f) >= 100 {
			t.Fatalf("MATCH: next %d, %d fields", next, len(f))
		}
		if _, f, _, _ := r.HScan(0, []byte("h"), 999_999_999, ScanOptions{Count: 5}); len(f) != 5 || string(f[0]) != "f0" {
			t.Fatalf("unknown cursor: %q", f)
		}
	})
}

func TestTxn_HScanSmallHashInOneCall(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	commit(t, db, 1, func(txn *Txn) {
		txn.HSet(0, []byte("h"), collBytes("a", "1", "b", "2", "c", "3"))
	})
	readView(t, db, func(r *Txn) {
		next, f, v, err := r.HScan(0, []byte("h"), 0, ScanOptions{Count: 1})
		if err != nil || next != 0 || len(f) != 3 || len(v) != 3 {
			t.Fatalf("HScan = %d %q %q %v, want the whole hash and cursor 0", next, f, v, err)
		}
		if next, f, _, _ := r.HScan(0, []byte("nokey"), 0, ScanOptions{}); next != 0 || f != nil {
			t.Fatal("HScan of a missing key returned something")
		}
	})
}

func TestTxn_HRandField(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	for _, n := range []int{5, 3000} { // exact sampling, then seeks
		key := []byte(fmt.Sprint("h", n))
		commit(t, db, int64(n), func(txn *Txn) {
			var pairs [][]byte
			for i := range n {
				pairs = append(pairs, []byte(fmt.Sprint("f", i)), []byte(fmt.Sprint("v", i)))
			}
			txn.HSet(0, key, pairs)
		})
		readView(t, db, func(r *Txn) {
			for _, count := range []int64{1, 3, 4, int64(n) - 1, int64(n), int64(n) + 10, -1, -7, -int64(n) * 2} {
				f, v, err := r.HRandField(0, key, count)
				if err != nil {
					t.Fatal(err)
				}
				want := int(count)
				if count < 0 {
					want = int(-count)
				} else if want > n {
					want = n
				}
				if len(f) != want || len(v) != want {
					t.Fatalf("n=%d count=%d: %d fields, %d values", n, count, len(f), len(v))
				}
				distinct := map[string]bool{}
				for i := range f {
					if string(v[i]) != "v"+string(f[i][1:]) {
						t.Fatalf("field %q came with value %q", f[i], v[i])
					}
					distinct[string(f[i])] = true
				}
				if count > 0 && len(distinct) != len(f) {
					t.Fatalf("n=%d count=%d: repeated fields", n, count)
				}
			}
			if f, _, _ := r.HRandField(0, key, 0); len(f) != 0 {
				t.Fatal("count 0 returned fields")
			}
		})
	}
	readView(t, db, func(r *Txn) {
		if f, v, err := r.HRandField(0, []byte("nokey"), 3); f != nil || v != nil || err != nil {
			t.Fatal("a missing key returned fields")
		}
	})
}

// The seek-based picks of a large collection must reach every element,
// the first and the last included, and stay within a small factor of
// uniform for the usual kinds of names.
func TestTxn_RandomPicksReachEveryElement(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	cases := map[string]func(i int) string{
		"decimal": func(i int) string { return fmt.Sprint(i) },            // "0", "1", "10", "100"…
		"padded":  func(i int) string { return fmt.Sprintf("m:%06d", i) }, // dense
		"prefix":  func(i int) string { return fmt.Sprintf("%s%d", bytes.Repeat([]byte("k"), 20), i*7919%1000) },
		"hex":     func(i int) string { return fmt.Sprintf("%016x", uint64(i)*0x9e3779b97f4a7c15) },
	}
	const n, avg = 1000, 40
	for name, gen := range cases {
		key := []byte(name)
		commit(t, db, 1, func(txn *Txn) {
			var members [][]byte
			for i := range n {
				members = append(members, []byte(gen(i)))
			}
			txn.SAdd(0, key, members)
		})
		hits := map[string]int{}
		readView(t, db, func(r *Txn) {
			s, err := r.newRandomSeeker(elemPrefix(r.phys(0), key), n)
			if err != nil {
				t.Fatal(err)
			}
			defer s.close()
			for range avg * n {
				if !s.pick() {
					t.Fatal("pick failed")
				}
				hits[string(s.sub())]++
			}
		})
		least, most := avg*n, 0
		for i := range n {
			least, most = min(least, hits[gen(i)]), max(most, hits[gen(i)])
		}
		t.Logf("%s: picks per member between %d and %d (uniform: %d)", name, least, most, avg)
		if least < avg/10 || most > avg*5 {
			t.Errorf("%s: picks per member between %d and %d, want within [%d, %d]", name, least, most, avg/10, avg*5)
		}
	}
}

func TestTxn_HashSurvivesReopen(t *testing.T) {
	now := int64(1000)
	dir := t.TempDir()
	db, err := Open(dir, Options{Databases: 4, CacheSize: 8 << 20, Now: func() int64 { return now }})
	if err != nil {
		t.Fatal(err)
	}
	commit(t, db, 1, func(txn *Txn) {
		txn.HSet(2, []byte("h"), collBytes("a", "1", "b", "2"))
		txn.SAdd(2, []byte("s"), collBytes("x", "y"))
	})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = Open(dir, Options{Databases: 4, CacheSize: 8 << 20, Now: func() int64 { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	readView(t, db, func(r *Txn) {
		f, _, _ := r.HGetAll(2, []byte("h"), false)
		m, _ := r.SMembers(2, []byte("s"))
		if !slices.Equal(collStrings(f), []string{"a", "b"}) || !slices.Equal(collStrings(m), []string{"x", "y"}) {
			t.Fatalf("after reopen: %q %q", f, m)
		}
	})
	if db.DBSize(2) != 2 {
		t.Fatalf("dbsize %d", db.DBSize(2))
	}
}

// Many elements in one call take the sorted path (addMany): duplicates
// count once, the last value wins, sizes stay exact on new and existing
// keys.
func TestTxn_HSetManyFields(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	var pairs [][]byte
	for i := range 20 {
		pairs = append(pairs, []byte(fmt.Sprint("f", i%10)), []byte(fmt.Sprint("v", i)))
	}
	commit(t, db, 1, func(txn *Txn) {
		if n, err := txn.HSet(0, []byte("h"), pairs); err != nil || n != 10 {
			t.Fatalf("HSet on a new key = %d %v, want 10", n, err)
		}
		more := append(collBytes("f3", "x", "g1", "y"), pairs[:16]...)
		if n, _ := txn.HSet(0, []byte("h"), more); n != 1 {
			t.Fatalf("HSet on an existing key = %d, want 1", n)
		}
		members := collBytes("a", "b", "c", "d", "e", "f", "g", "h", "a", "b")
		if n, _ := txn.SAdd(0, []byte("s"), members); n != 8 {
			t.Fatalf("SAdd on a new key = %d, want 8", n)
		}
		if n, _ := txn.SAdd(0, []byte("s"), collBytes("a", "b", "c", "d", "e", "f", "g", "z", "z")); n != 1 {
			t.Fatalf("SAdd on an existing key = %d, want 1", n)
		}
	})
	readView(t, db, func(r *Txn) {
		if n, _ := r.HLen(0, []byte("h")); n != 11 {
			t.Fatalf("HLen = %d, want 11", n)
		}
		// The second call set f3 to x, then to v3 (last wins); f9 keeps
		// v19, the last of the first call.
		vals, _ := r.HMGet(0, []byte("h"), collBytes("f3", "f9", "g1"))
		if got := fmt.Sprint(collStrings(vals)); got != "[v3 v19 y]" {
			t.Fatalf("values %s", got)
		}
		if n, _ := r.SCard(0, []byte("s")); n != 9 {
			t.Fatalf("SCard = %d, want 9", n)
		}
	})
	if elemRecords(t, db, 0, "h") != 11 || elemRecords(t, db, 0, "s") != 9 {
		t.Fatal("element records do not match the sizes")
	}
}
