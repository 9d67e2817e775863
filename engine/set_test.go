package engine

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestTxn_SetBasics(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	commit(t, db, 1, func(txn *Txn) {
		if n, _ := txn.SAdd(0, []byte("s"), collBytes("b", "a", "c", "a")); n != 3 {
			t.Fatalf("SAdd = %d, want 3", n)
		}
		before := txn.Dirty()
		if n, _ := txn.SAdd(0, []byte("s"), collBytes("a", "b")); n != 0 || txn.Dirty() != before {
			t.Fatal("SAdd of existing members counted a change")
		}
		if n, _ := txn.SRem(0, []byte("s"), collBytes("a", "zz")); n != 1 {
			t.Fatalf("SRem = %d, want 1", n)
		}
		if n, _ := txn.SRem(0, []byte("nokey"), collBytes("a")); n != 0 {
			t.Fatalf("SRem of a missing key = %d", n)
		}
	})
	readView(t, db, func(r *Txn) {
		m, _ := r.SMembers(0, []byte("s"))
		if fmt.Sprint(collStrings(m)) != "[b c]" {
			t.Fatalf("SMembers = %q", m)
		}
		if n, _ := r.SCard(0, []byte("s")); n != 2 {
			t.Fatalf("SCard = %d", n)
		}
		if ok, _ := r.SIsMember(0, []byte("s"), []byte("b")); !ok {
			t.Fatal("SIsMember b = false")
		}
		if ok, _ := r.SIsMember(0, []byte("s"), []byte("a")); ok {
			t.Fatal("SIsMember of a removed member = true")
		}
		in, _ := r.SMIsMember(0, []byte("s"), collBytes("a", "b", "c", "d"))
		if !slices.Equal(in, []bool{false, true, true, false}) {
			t.Fatalf("SMIsMember = %v", in)
		}
		if in, _ := r.SMIsMember(0, []byte("nokey"), collBytes("a")); !slices.Equal(in, []bool{false}) {
			t.Fatalf("SMIsMember of a missing key = %v", in)
		}
	})
	commit(t, db, 2, func(txn *Txn) {
		if n, _ := txn.SRem(0, []byte("s"), collBytes("b", "c")); n != 2 {
			t.Fatalf("SRem = %d, want 2", n)
		}
	})
	if db.DBSize(0) != 0 || elemRecords(t, db, 0, "s") != 0 {
		t.Fatal("an emptied set still exists")
	}
}

func TestTxn_SetWrongType(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	commit(t, db, 1, func(txn *Txn) {
		txn.HSet(0, []byte("h"), collBytes("f", "v"))
		txn.SAdd(0, []byte("s"), collBytes("m"))
		h := []byte("h")
		_, e1 := txn.SAdd(0, h, collBytes("a"))
		_, e2 := txn.SRem(0, h, collBytes("a"))
		_, _, e3 := txn.SPop(0, h, 1)
		_, e4 := txn.SMove(0, h, []byte("s"), []byte("m"))
		_, e5 := txn.SMove(0, []byte("s"), h, []byte("m"))
		_, e6 := txn.SInter(0, collBytes("s", "h"))
		_, e7 := txn.SUnion(0, collBytes("nokey", "h"))
		_, e8 := txn.SDiff(0, collBytes("nokey", "h"))
		_, e9 := txn.SInterCard(0, collBytes("nokey", "h"), 0)
		for i, err := range []error{e1, e2, e3, e4, e5, e6, e7, e8, e9} {
			if !errors.Is(err, ErrWrongType) {
				t.Errorf("write %d: %v, want ErrWrongType", i+1, err)
			}
		}
		// SMOVE from a missing key answers 0 before looking at types.
		if ok, err := txn.SMove(0, []byte("nokey"), h, []byte("m")); ok || err != nil {
			t.Fatalf("SMove from a missing key = %v %v", ok, err)
		}
	})
	readView(t, db, func(r *Txn) {
		h := []byte("h")
		_, e1 := r.SIsMember(0, h, []byte("a"))
		_, e2 := r.SMIsMember(0, h, collBytes("a"))
		_, e3 := r.SCard(0, h)
		_, e4 := r.SMembers(0, h)
		_, _, e5 := r.SScan(0, h, 0, ScanOptions{})
		_, e6 := r.SRandMember(0, h, 1)
		for i, err := range []error{e1, e2, e3, e4, e5, e6} {
			if !errors.Is(err, ErrWrongType) {
				t.Errorf("read %d: %v, want ErrWrongType", i+1, err)
			}
		}
	})
}

func TestTxn_SPop(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	// Sizes and counts reach every sampling path: whole set, exact small
	// set, one pass over a large share, seeks.
	for _, tc := range []struct{ size, count int }{{5, 2}, {5, 5}, {5, 9}, {3000, 10}, {3000, 1500}, {3000, 2999}, {3000, 3000}} {
		key := []byte(fmt.Sprint("s", tc.size, "-", tc.count))
		all := map[string]bool{}
		commit(t, db, 1, func(txn *Txn) {
			var members [][]byte
			for i := range tc.size {
				members = append(members, []byte(fmt.Sprint("m", i)))
				all[fmt.Sprint("m", i)] = true
			}
			txn.SAdd(0, key, members)
		})
		var popped [][]byte
		var deleted bool
		commit(t, db, 2, func(txn *Txn) {
			var err error
			popped, deleted, err = txn.SPop(0, key, int64(tc.count))
			if err != nil {
				t.Fatal(err)
			}
		})
		want := min(tc.size, tc.count)
		if len(popped) != want || deleted != (tc.count >= tc.size) {
			t.Fatalf("%s: popped %d deleted %v, want %d", key, len(popped), deleted, want)
		}
		seen := map[string]bool{}
		for _, m := range popped {
			if !all[string(m)] || seen[string(m)] {
				t.Fatalf("%s: popped %q twice or never added", key, m)
			}
			seen[string(m)] = true
		}
		readView(t, db, func(r *Txn) {
			left, _ := r.SMembers(0, key)
			n, _ := r.SCard(0, key)
			if len(left) != tc.size-want || n != int64(len(left)) {
				t.Fatalf("%s: %d left, SCard %d, want %d", key, len(left), n, tc.size-want)
			}
			for _, m := range left {
				if seen[string(m)] {
					t.Fatalf("%s: popped %q is still there", key, m)
				}
			}
		})
	}
	commit(t, db, 3, func(txn *Txn) {
		if m, del, err := txn.SPop(0, []byte("nokey"), 3); m != nil || del || err != nil {
			t.Fatal("SPop of a missing key popped something")
		}
		txn.SAdd(0, []byte("z"), collBytes("a"))
		if m, _, _ := txn.SPop(0, []byte("z"), 0); m != nil {
			t.Fatal("SPop count 0 popped something")
		}
	})
}

func TestTxn_SRandMember(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	commit(t, db, 1, func(txn *Txn) {
		var members [][]byte
		for i := range 2000 {
			members = append(members, []byte(fmt.Sprint(i)))
		}
		txn.SAdd(0, []byte("s"), members)
	})
	readView(t, db, func(r *Txn) {
		for _, count := range []int64{1, 10, 700, 1999, 2000, 5000, -1, -10, -3000} {
			m, err := r.SRandMember(0, []byte("s"), count)
			if err != nil {
				t.Fatal(err)
			}
			want := min(count, 2000)
			if count < 0 {
				want = -count
			}
			distinct := map[string]bool{}
			for _, x := range m {
				distinct[string(x)] = true
			}
			if int64(len(m)) != want || (count > 0 && len(distinct) != len(m)) {
				t.Fatalf("count %d: %d members, %d distinct", count, len(m), len(distinct))
			}
		}
	})
}

func TestTxn_SMove(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	commit(t, db, 1, func(txn *Txn) {
		txn.SAdd(0, []byte("a"), collBytes("x", "y"))
		txn.SAdd(0, []byte("b"), collBytes("y"))
	})
	commit(t, db, 2, func(txn *Txn) {
		before := txn.Dirty()
		if ok, _ := txn.SMove(0, []byte("a"), []byte("a"), []byte("x")); !ok || txn.Dirty() != before {
			t.Fatal("SMove to itself: want true and no change")
		}
		if ok, _ := txn.SMove(0, []byte("a"), []byte("b"), []byte("zz")); ok {
			t.Fatal("SMove of a missing member = true")
		}
		if ok, _ := txn.SMove(0, []byte("a"), []byte("b"), []byte("y")); !ok {
			t.Fatal("SMove of y = false")
		}
		if ok, _ := txn.SMove(0, []byte("a"), []byte("c"), []byte("x")); !ok {
			t.Fatal("SMove of x = false")
		}
	})
	readView(t, db, func(r *Txn) {
		b, _ := r.SMembers(0, []byte("b"))
		c, _ := r.SMembers(0, []byte("c"))
		if _, ok, _ := r.Lookup(0, []byte("a")); ok {
			t.Fatal("the emptied source still exists")
		}
		if fmt.Sprint(collStrings(b), collStrings(c)) != "[y] [x]" {
			t.Fatalf("b %q c %q", b, c)
		}
		if n, _ := r.SCard(0, []byte("b")); n != 1 {
			t.Fatalf("SCard b = %d", n)
		}
	})
}

func TestTxn_SetAlgebra(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	commit(t, db, 1, func(txn *Txn) {
		txn.SAdd(0, []byte("a"), collBytes("1", "2", "3", "4", "5"))
		txn.SAdd(0, []byte("b"), collBytes("4", "5", "6"))
		txn.SAdd(0, []byte("c"), collBytes("5", "6", "7", "4"))
	})
	readView(t, db, func(r *Txn) {
		check := func(what string, got [][]byte, err error, want string) {
			t.Helper()
			if err != nil || fmt.Sprint(collStrings(got)) != want {
				t.Errorf("%s = %q %v, want %s", what, got, err, want)
			}
		}
		m, err := r.SInter(0, collBytes("a", "b", "c"))
		check("SInter a b c", m, err, "[4 5]")
		m, err = r.SInter(0, collBytes("a", "a"))
		check("SInter a a", m, err, "[1 2 3 4 5]")
		m, err = r.SInter(0, collBytes("a", "nokey"))
		check("SInter a nokey", m, err, "[]")
		m, err = r.SUnion(0, collBytes("a", "nokey", "c"))
		check("SUnion a nokey c", m, err, "[1 2 3 4 5 6 7]")
		m, err = r.SDiff(0, collBytes("a", "b", "nokey"))
		check("SDiff a b nokey", m, err, "[1 2 3]")
		m, err = r.SDiff(0, collBytes("a", "a"))
		check("SDiff a a", m, err, "[]")
		m, err = r.SDiff(0, collBytes("nokey", "a"))
		check("SDiff nokey a", m, err, "[]")
		for _, tc := range []struct {
			limit, want int64
		}{{0, 2}, {1, 1}, {2, 2}, {5, 2}} {
			if n, err := r.SInterCard(0, collBytes("a", "b", "c"), tc.limit); n != tc.want || err != nil {
				t.Errorf("SInterCard limit %d = %d %v, want %d", tc.limit, n, err, tc.want)
			}
		}
	})
}

func TestTxn_SStore(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	commit(t, db, 1, func(txn *Txn) {
		txn.HSet(0, []byte("d"), collBytes("f", "v", "g", "w"))
		txn.SetExpireAt(0, []byte("d"), 9000)
	})
	commit(t, db, 2, func(txn *Txn) {
		if n, err := txn.SStore(0, []byte("d"), collBytes("b", "a", "b")); n != 2 || err != nil {
			t.Fatalf("SStore = %d %v, want 2", n, err)
		}
	})
	readView(t, db, func(r *Txn) {
		m, ok, _ := r.Lookup(0, []byte("d"))
		if !ok || m.Type != TypeSet || m.Size != 2 || m.ExpireAt != 0 {
			t.Fatalf("stored key: %+v", m)
		}
	})
	if db.Expires(0) != 0 || elemRecords(t, db, 0, "d") != 2 {
		t.Fatalf("expires %d, elements %d", db.Expires(0), elemRecords(t, db, 0, "d"))
	}
	commit(t, db, 3, func(txn *Txn) {
		before := txn.Dirty()
		if n, _ := txn.SStore(0, []byte("d"), nil); n != 0 || txn.Dirty() == before {
			t.Fatal("SStore of nothing over an existing key: want a change")
		}
		before = txn.Dirty()
		if n, _ := txn.SStore(0, []byte("d"), nil); n != 0 || txn.Dirty() != before {
			t.Fatal("SStore of nothing over a missing key: want no change")
		}
	})
	if db.DBSize(0) != 0 || elemRecords(t, db, 0, "d") != 0 {
		t.Fatal("an empty result left the key")
	}
}

// Random SADD/SREM/SPOP/SMOVE against a map: sizes, members and key
// existence always agree.
func TestTxn_SetMatchesModel(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	model := map[string]map[string]bool{}
	keys := []string{"k1", "k2", "k3"}
	rng := rand.New(rand.NewPCG(1, 2))
	member := func() []byte { return []byte(fmt.Sprint("m", rng.IntN(40))) }
	for round := range 200 {
		commit(t, db, int64(round+1), func(txn *Txn) {
			for range 5 {
				k := keys[rng.IntN(len(keys))]
				if model[k] == nil {
					model[k] = map[string]bool{}
				}
				switch rng.IntN(4) {
				case 0:
					var ms [][]byte
					for range rng.IntN(12) + 1 {
						ms = append(ms, member())
					}
					want := 0
					for _, m := range ms {
						if !model[k][string(m)] {
							model[k][string(m)] = true
							want++
						}
					}
					if n, err := txn.SAdd(0, []byte(k), ms); n != want || err != nil {
						t.Fatalf("round %d SAdd = %d %v, want %d", round, n, err, want)
					}
				case 1:
					var ms [][]byte
					for range rng.IntN(12) + 1 {
						ms = append(ms, member())
					}
					want := 0
					for _, m := range ms {
						if model[k][string(m)] {
							delete(model[k], string(m))
							want++
						}
					}
					if n, err := txn.SRem(0, []byte(k), ms); n != want || err != nil {
						t.Fatalf("round %d SRem = %d %v, want %d", round, n, err, want)
					}
				case 2:
					popped, _, err := txn.SPop(0, []byte(k), int64(rng.IntN(5)))
					if err != nil {
						t.Fatal(err)
					}
					for _, m := range popped {
						if !model[k][string(m)] {
							t.Fatalf("round %d: SPop returned %q, not a member", round, m)
						}
						delete(model[k], string(m))
					}
				case 3:
					dst := keys[rng.IntN(len(keys))]
					m := member()
					want := model[k][string(m)]
					if ok, err := txn.SMove(0, []byte(k), []byte(dst), m); ok != want || err != nil {
						t.Fatalf("round %d SMove = %v %v, want %v", round, ok, err, want)
					}
					if want && dst != k {
						delete(model[k], string(m))
						if model[dst] == nil {
							model[dst] = map[string]bool{}
						}
						model[dst][string(m)] = true
					}
				}
			}
		})
		readView(t, db, func(r *Txn) {
			for _, k := range keys {
				var want []string
				for m := range model[k] {
					want = append(want, m)
				}
				slices.Sort(want)
				got, _ := r.SMembers(0, []byte(k))
				n, _ := r.SCard(0, []byte(k))
				_, exists, _ := r.Lookup(0, []byte(k))
				if !slices.Equal(collStrings(got), want) || n != int64(len(want)) || exists != (len(want) > 0) {
					t.Fatalf("round %d %s: members %q card %d exists %v, want %q", round, k, got, n, exists, want)
				}
			}
		})
	}
	var live int64
	for _, k := range keys {
		if len(model[k]) > 0 {
			live++
		}
	}
	if db.DBSize(0) != live {
		t.Fatalf("dbsize %d, want %d", db.DBSize(0), live)
	}
}
