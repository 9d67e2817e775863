package engine

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// listModel is the reference a list is checked against: a plain slice.
type listModel [][]byte

func listContents(t *testing.T, txn *Txn, key string) [][]byte {
	t.Helper()
	got, err := txn.ListRange(0, []byte(key), 0, -1)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func sameList(a, b [][]byte) bool {
	return slices.EqualFunc(a, b, bytes.Equal)
}

func bs(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func TestTxn_ListPushPopOrder(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	key := []byte("l")
	commit(t, db, 1, func(txn *Txn) {
		if n, err := txn.ListPush(0, key, true, false, bs("a", "b", "c")...); err != nil || n != 3 {
			t.Fatalf("LPUSH = %d, %v", n, err)
		}
		if n, err := txn.ListPush(0, key, false, false, bs("d", "e")...); err != nil || n != 5 {
			t.Fatalf("RPUSH = %d, %v", n, err)
		}
		if n, err := txn.ListPush(0, []byte("missing"), true, true, bs("x")...); err != nil || n != 0 {
			t.Fatalf("LPUSHX missing = %d, %v", n, err)
		}
	})
	txn := db.ReadTxn(false)
	if got := listContents(t, txn, "l"); !sameList(got, bs("c", "b", "a", "d", "e")) {
		t.Fatalf("list = %q", got)
	}
	if _, ok, _ := txn.Lookup(0, []byte("missing")); ok {
		t.Fatal("LPUSHX created a key")
	}
	txn.Close()
	commit(t, db, 2, func(txn *Txn) {
		v, ok, err := txn.ListPop(0, key, false, 2)
		if err != nil || !ok || !sameList(v, bs("e", "d")) {
			t.Fatalf("RPOP 2 = %q %v %v", v, ok, err)
		}
		v, _, _ = txn.ListPop(0, key, true, 1)
		if !sameList(v, bs("c")) {
			t.Fatalf("LPOP = %q", v)
		}
		v, _, _ = txn.ListPop(0, key, true, 10)
		if !sameList(v, bs("b", "a")) {
			t.Fatalf("LPOP 10 = %q", v)
		}
		if v, ok, err := txn.ListPop(0, key, true, 1); ok || v != nil || err != nil {
			t.Fatalf("pop of a deleted list = %q %v %v", v, ok, err)
		}
	})
	if db.DBSize(0) != 0 {
		t.Fatalf("emptied list left %d keys", db.DBSize(0))
	}
}

func TestTxn_ListWrongType(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	commit(t, db, 1, func(txn *Txn) {
		txn.SetString(0, []byte("s"), []byte("v"), SetOptions{})
		txn.ListPush(0, []byte("l"), true, false, []byte("x"))
	})
	txn := db.WriteTxn()
	defer txn.Close()
	if _, err := txn.ListPush(0, []byte("s"), true, false, []byte("x")); err != ErrWrongType {
		t.Errorf("LPUSH on a string: %v", err)
	}
	if _, _, err := txn.ListPop(0, []byte("s"), true, 1); err != ErrWrongType {
		t.Errorf("LPOP on a string: %v", err)
	}
	// LMOVE to a string fails before popping.
	if _, _, err := txn.ListMove(0, []byte("l"), []byte("s"), true, true); err != ErrWrongType {
		t.Errorf("LMOVE to a string: %v", err)
	}
	if n, _ := txn.ListLen(0, []byte("l")); n != 1 {
		t.Errorf("LMOVE to a string popped: len %d", n)
	}
}

// TestTxn_ListMatchesModel runs random operations against the engine and a
// slice, comparing the whole list after each, across commits.
func TestTxn_ListMatchesModel(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	rng := rand.New(rand.NewPCG(1, 2))
	key := []byte("l")
	var model listModel
	val := func() []byte { return []byte{byte('a' + rng.IntN(4))} }
	idx := func() int64 { return int64(rng.IntN(2*len(model)+6)) - int64(len(model)) - 3 }
	for round := range 60 {
		txn := db.WriteTxn()
		for range 20 {
			op := rng.IntN(10)
			desc := ""
			switch op {
			case 0, 1: // push
				left := rng.IntN(2) == 0
				vs := [][]byte{val(), val()}
				n, err := txn.ListPush(0, key, left, false, vs...)
				for _, v := range vs {
					if left {
						model = append(listModel{v}, model...)
					} else {
						model = append(model, v)
					}
				}
				desc = fmt.Sprintf("push left=%v %q", left, vs)
				if err != nil || n != int64(len(model)) {
					t.Fatalf("%s: %d %v", desc, n, err)
				}
			case 2: // pop
				left, count := rng.IntN(2) == 0, int64(rng.IntN(3)+1)
				got, _, err := txn.ListPop(0, key, left, count)
				var want [][]byte
				for range min(int(count), len(model)) {
					if left {
						want, model = append(want, model[0]), model[1:]
					} else {
						want, model = append(want, model[len(model)-1]), model[:len(model)-1]
					}
				}
				desc = fmt.Sprintf("pop left=%v %d", left, count)
				if err != nil || !sameList(got, want) {
					t.Fatalf("%s = %q, want %q (%v)", desc, got, want, err)
				}
			case 3: // insert
				after, pivot, v := rng.IntN(2) == 0, val(), val()
				n, err := txn.ListInsert(0, key, after, pivot, v)
				want := int64(-1)
				if len(model) == 0 {
					want = 0
				}
				if i := slices.IndexFunc(model, func(e []byte) bool { return bytes.Equal(e, pivot) }); i >= 0 {
					if after {
						i++
					}
					model = slices.Insert(model, i, v)
					want = int64(len(model))
				}
				desc = fmt.Sprintf("insert after=%v %q %q", after, pivot, v)
				if err != nil || n != want {
					t.Fatalf("%s = %d, want %d (%v)", desc, n, want, err)
				}
			case 4: // rem
				count, v := int64(rng.IntN(5)-2), val()
				n, err := txn.ListRem(0, key, count, v)
				removed := int64(0)
				limit := count
				if limit < 0 {
					limit = -limit
				}
				var keep listModel
				order := slices.Clone(model)
				if count < 0 {
					slices.Reverse(order)
				}
				for _, e := range order {
					if bytes.Equal(e, v) && (limit == 0 || removed < limit) {
						removed++
						continue
					}
					keep = append(keep, e)
				}
				if count < 0 {
					slices.Reverse(keep)
				}
				model = keep
				desc = fmt.Sprintf("rem %d %q", count, v)
				if err != nil || n != removed {
					t.Fatalf("%s = %d, want %d (%v)", desc, n, removed, err)
				}
			case 5: // trim, rarely
				if rng.IntN(4) != 0 {
					continue
				}
				start, stop := idx(), idx()
				if _, err := txn.ListTrim(0, key, start, stop); err != nil {
					t.Fatal(err)
				}
				if from, to, ok := listSpan(int64(len(model)), start, stop); ok {
					model = model[from:to]
				} else {
					model = nil
				}
				desc = fmt.Sprintf("trim %d %d", start, stop)
			case 6: // set
				i, v := idx(), val()
				exists, inRange, err := txn.ListSet(0, key, i, v)
				j := i
				if j < 0 {
					j += int64(len(model))
				}
				wantIn := j >= 0 && j < int64(len(model))
				if wantIn {
					model[j] = v
				}
				desc = fmt.Sprintf("set %d %q", i, v)
				if err != nil || exists != (len(model) > 0) || inRange != wantIn {
					t.Fatalf("%s = %v %v %v", desc, exists, inRange, err)
				}
			case 7: // index
				i := idx()
				got, ok, err := txn.ListIndex(0, key, i)
				j := i
				if j < 0 {
					j += int64(len(model))
				}
				if err != nil || ok != (j >= 0 && j < int64(len(model))) || (ok && !bytes.Equal(got, model[j])) {
					t.Fatalf("index %d = %q %v %v, model %q", i, got, ok, err, model)
				}
				continue
			case 8: // range
				start, stop := idx(), idx()
				got, err := txn.ListRange(0, key, start, stop)
				var want [][]byte
				if from, to, ok := listSpan(int64(len(model)), start, stop); ok {
					want = model[from:to]
				}
				if err != nil || !sameList(got, want) {
					t.Fatalf("range %d %d = %q, want %q", start, stop, got, want)
				}
				continue
			case 9: // pos
				v, rank := val(), int64(rng.IntN(5)-2)
				if rank == 0 {
					rank = 1
				}
				got, _, err := txn.ListPos(0, key, v, ListPosOptions{Rank: rank, Count: 0})
				var want []int64
				matches := int64(0)
				n := len(model)
				for k := range n {
					i := k
					if rank < 0 {
						i = n - 1 - k
					}
					if bytes.Equal(model[i], v) {
						matches++
						if matches >= max(rank, -rank) {
							want = append(want, int64(i))
						}
					}
				}
				if err != nil || !slices.Equal(got, want) {
					t.Fatalf("pos %q rank %d = %v, want %v", v, rank, got, want)
				}
				continue
			}
			if got := listContents(t, txn, "l"); !sameList(got, model) {
				t.Fatalf("round %d after %s: list %q, want %q", round, desc, got, model)
			}
			if n, _ := txn.ListLen(0, key); n != int64(len(model)) {
				t.Fatalf("after %s: LLEN %d, want %d", desc, n, len(model))
			}
		}
		if err := txn.Commit(int64(round + 1)); err != nil {
			t.Fatal(err)
		}
		r := db.ReadTxn(true)
		if got := listContents(t, r, "l"); !sameList(got, model) {
			t.Fatalf("committed list %q, want %q", got, model)
		}
		r.Close()
		if want := int64(min(len(model), 1)); db.DBSize(0) != want {
			t.Fatalf("DBSize %d, want %d", db.DBSize(0), want)
		}
	}
}

func TestTxn_ListMove(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	commit(t, db, 1, func(txn *Txn) {
		txn.ListPush(0, []byte("a"), false, false, bs("1", "2", "3")...)
		// Rotation of one list onto itself.
		v, ok, err := txn.ListMove(0, []byte("a"), []byte("a"), false, true)
		if err != nil || !ok || string(v) != "3" {
			t.Fatalf("LMOVE a a = %q %v %v", v, ok, err)
		}
		if got := listContents(t, txn, "a"); !sameList(got, bs("3", "1", "2")) {
			t.Fatalf("after rotation %q", got)
		}
		txn.ListMove(0, []byte("a"), []byte("b"), true, false)
		txn.ListMove(0, []byte("a"), []byte("b"), true, false)
		txn.ListMove(0, []byte("a"), []byte("b"), true, false)
		if _, ok, _ := txn.ListMove(0, []byte("a"), []byte("b"), true, false); ok {
			t.Fatal("LMOVE from a missing list moved something")
		}
		// A single element moving onto its own list survives.
		txn.ListPush(0, []byte("c"), false, false, bs("x")...)
		txn.ListMove(0, []byte("c"), []byte("c"), true, false)
		if got := listContents(t, txn, "c"); !sameList(got, bs("x")) {
			t.Fatalf("single-element rotation %q", got)
		}
	})
	r := db.ReadTxn(false)
	defer r.Close()
	if got := listContents(t, r, "b"); !sameList(got, bs("3", "1", "2")) {
		t.Fatalf("b = %q", got)
	}
	if _, ok, _ := r.Lookup(0, []byte("a")); ok || db.DBSize(0) != 2 {
		t.Fatalf("a still exists or DBSize %d", db.DBSize(0))
	}
}

// TestTxn_ListTrimRangeDeletes checks that LTRIM drops the ends with range
// deletes: no element record outside [head, tail) survives.
func TestTxn_ListTrimRangeDeletes(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	key := []byte("l")
	commit(t, db, 1, func(txn *Txn) {
		for i := range 1000 {
			txn.ListPush(0, key, false, false, []byte(fmt.Sprint(i)))
		}
	})
	commit(t, db, 2, func(txn *Txn) {
		if n, err := txn.ListTrim(0, key, 100, -101); err != nil || n != 200 {
			t.Fatalf("LTRIM dropped %d, %v", n, err)
		}
	})
	r := db.ReadTxn(false)
	defer r.Close()
	m, _, _ := r.Lookup(0, key)
	ep := elemPrefix(0, key)
	it, _ := r.iter(ep, prefixEnd(ep))
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		n++
	}
	it.Close()
	if m.Len() != 800 || n != 800 {
		t.Fatalf("len %d, element records %d", m.Len(), n)
	}
	if v, _, _ := r.ListIndex(0, key, 0); string(v) != "100" {
		t.Fatalf("first = %q", v)
	}
	if v, _, _ := r.ListIndex(0, key, -1); string(v) != "899" {
		t.Fatalf("last = %q", v)
	}
}
