package engine

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/cockroachdb/pebble/v2"
)

// bulkKey is one key of a test data set, in the shape the Add methods take.
type bulkKey struct {
	db     int
	key    string
	typ    Type
	exp    int64
	str    string
	list   []string
	set    []string
	hash   [][2]string
	zset   []ScoreMember
	expect int64 // elements after merging repeats (0: len of the input)
}

func (k *bulkKey) add(l *Loader) error {
	key := []byte(k.key)
	switch k.typ {
	case TypeString:
		return l.AddString(k.db, key, []byte(k.str), k.exp)
	case TypeList:
		return l.AddList(k.db, key, bs(k.list...), k.exp)
	case TypeSet:
		return l.AddSet(k.db, key, bs(k.set...), k.exp)
	case TypeHash:
		h := make([][2][]byte, len(k.hash))
		for i, fv := range k.hash {
			h[i] = [2][]byte{[]byte(fv[0]), []byte(fv[1])}
		}
		return l.AddHash(k.db, key, h, k.exp)
	case TypeZSet:
		return l.AddZSet(k.db, key, k.zset, k.exp)
	}
	return fmt.Errorf("bad type %v", k.typ)
}

// write stores the key through the typed writes of a Txn (the reference).
func (k *bulkKey) write(t *Txn) error {
	key := []byte(k.key)
	var err error
	switch k.typ {
	case TypeString:
		_, _, err = t.SetString(k.db, key, []byte(k.str), SetOptions{ExpireAt: k.exp})
		return err
	case TypeList:
		_, err = t.ListPush(k.db, key, false, false, bs(k.list...)...)
	case TypeSet:
		_, err = t.SAdd(k.db, key, bs(k.set...))
	case TypeHash:
		var pairs [][]byte
		for _, fv := range k.hash {
			pairs = append(pairs, []byte(fv[0]), []byte(fv[1]))
		}
		_, err = t.HSet(k.db, key, pairs)
	case TypeZSet:
		_, err = t.ZAdd(k.db, key, k.zset, ZAddFlags{})
	}
	if err == nil && k.exp > 0 {
		_, err = t.SetExpireAt(k.db, key, k.exp)
	}
	return err
}

// bulkDataSet has every type, with and without TTLs, spread over two dbs,
// with repeated members/fields inside collections and -0 scores.
func bulkDataSet(n int) []bulkKey {
	var ks []bulkKey
	for i := range n {
		db := i % 2
		exp := int64(0)
		if i%7 == 0 {
			exp = 5000 + int64(i)
		}
		name := fmt.Sprintf("k:%d", i)
		switch i % 6 {
		case 0, 1:
			ks = append(ks, bulkKey{db: db, key: name, typ: TypeString, exp: exp, str: fmt.Sprint("v", i)})
		case 2:
			ks = append(ks, bulkKey{db: db, key: name, typ: TypeList, exp: exp, list: []string{"a", "b", "a", fmt.Sprint(i)}})
		case 3:
			set := []string{"x", "y", fmt.Sprint(i)}
			if i%4 == 3 {
				set = append(set, "x", "y") // repeats
			}
			ks = append(ks, bulkKey{db: db, key: name, typ: TypeSet, exp: exp, set: set})
		case 4:
			h := [][2]string{{"f1", "v1"}, {"f2", fmt.Sprint(i)}}
			if i%4 == 0 {
				h = append(h, [2]string{"f1", "last"})
			}
			ks = append(ks, bulkKey{db: db, key: name, typ: TypeHash, exp: exp, hash: h})
		case 5:
			z := []ScoreMember{{[]byte("a"), 1.5}, {[]byte("b"), math.Copysign(0, -1)}, {[]byte("c"), -3}, {[]byte("d"), math.Inf(1)}}
			if i%4 == 1 {
				z = append(z, ScoreMember{[]byte("a"), -7}) // repeat: the last score wins
			}
			ks = append(ks, bulkKey{db: db, key: name, typ: TypeZSet, exp: exp, zset: z})
		}
	}
	// A big set and a big hash with repeats (sorted dedup path).
	var big []string
	var bigh [][2]string
	for i := range 300 {
		big = append(big, fmt.Sprint("m", i%250))
		bigh = append(bigh, [2]string{fmt.Sprint("f", i%200), fmt.Sprint(i)})
	}
	ks = append(ks, bulkKey{db: 0, key: "bigset", typ: TypeSet, set: big, expect: 250},
		bulkKey{db: 1, key: "bighash", typ: TypeHash, hash: bigh, expect: 200})
	return ks
}

// rawUserRecords returns every data and expiry index record.
func rawUserRecords(t *testing.T, db *DB) [][2]string {
	t.Helper()
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: []byte{nsData}, UpperBound: []byte{nsExpire + 1}})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	var out [][2]string
	for it.First(); it.Valid(); it.Next() {
		out = append(out, [2]string{string(it.Key()), string(it.Value())})
	}
	return out
}

func openTestDB(t *testing.T, dir string) *DB {
	t.Helper()
	db, err := Open(dir, Options{Databases: 2, CacheSize: 8 << 20, Now: func() int64 { return 1000 }})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func smallBatches(t *testing.T, n int) {
	old := bulkBatchBytes
	bulkBatchBytes = n
	t.Cleanup(func() { bulkBatchBytes = old })
}

// The bulk path stores exactly the records the typed writes store, and
// the same counts.
func TestLoaderBulk_SameAsTypedWrites(t *testing.T) {
	smallBatches(t, 4<<10) // many batches, background commits
	ks := bulkDataSet(3000)

	ref := openTestDB(t, t.TempDir())
	defer ref.Close()
	// The old data set's expiry index entry stays behind in both (active
	// expiry drops entries whose key is gone).
	commit(t, ref, 5, func(txn *Txn) {
		txn.SetString(0, []byte("old"), []byte("1"), SetOptions{ExpireAt: 9000})
	})
	lr, err := ref.NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	for i := range ks {
		txn, err := lr.Txn()
		if err != nil {
			t.Fatal(err)
		}
		if err := ks[i].write(txn); err != nil {
			t.Fatal(err)
		}
	}
	if err := lr.Commit(10); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	db := openTestDB(t, dir)
	commit(t, db, 5, func(txn *Txn) {
		txn.SetString(0, []byte("old"), []byte("1"), SetOptions{ExpireAt: 9000})
	})
	l, err := db.NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	l.Expect(0, 10) // a wrong hint: the filter grows
	for i := range ks {
		if err := ks[i].add(l); err != nil {
			t.Fatal(err)
		}
	}
	if db.DBSize(0) != 1 || db.Expires(0) != 1 {
		t.Fatalf("counts changed before commit: %d %d", db.DBSize(0), db.Expires(0))
	}
	if err := l.Commit(10); err != nil {
		t.Fatal(err)
	}
	if int(l.Keys()) != len(ks) {
		t.Fatalf("Keys() = %d, want %d", l.Keys(), len(ks))
	}
	check := func(db *DB) {
		t.Helper()
		a, b := rawUserRecords(t, ref), rawUserRecords(t, db)
		if len(a) != len(b) {
			for i := range min(len(a), len(b)) {
				if a[i] != b[i] {
					t.Logf("first difference: %s / typed %s", FormatKey([]byte(b[i][0])), FormatKey([]byte(a[i][0])))
					break
				}
			}
			t.Fatalf("%d records, typed writes made %d", len(b), len(a))
		}
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("record %d: %s = %x, typed writes: %s = %x", i, FormatKey([]byte(b[i][0])), b[i][1], FormatKey([]byte(a[i][0])), a[i][1])
			}
		}
		for d := range 2 {
			if db.DBSize(d) != ref.DBSize(d) || db.Expires(d) != ref.Expires(d) {
				t.Fatalf("db %d: %d keys %d expires, typed writes %d %d", d, db.DBSize(d), db.Expires(d), ref.DBSize(d), ref.Expires(d))
			}
			for s := range uint16(SlotCount) {
				if db.SlotKeys(d, s) != ref.SlotKeys(d, s) {
					t.Fatalf("db %d slot %d: %d keys, typed writes %d", d, s, db.SlotKeys(d, s), ref.SlotKeys(d, s))
				}
			}
		}
	}
	check(db)
	// What the typed reads see, and the collection sizes.
	r := db.ReadTxn(true)
	for _, k := range ks {
		m, ok, err := r.Lookup(k.db, []byte(k.key))
		if err != nil || !ok || m.Type != k.typ || m.ExpireAt != k.exp {
			t.Fatalf("%s: %+v %v %v", k.key, m, ok, err)
		}
		if k.expect != 0 && m.Len() != k.expect {
			t.Fatalf("%s has %d elements, want %d", k.key, m.Len(), k.expect)
		}
	}
	if v, _, _ := r.HGet(1, []byte("bighash"), []byte("f0")); string(v) != "200" {
		t.Fatalf("bighash f0 = %q, want the last value", v)
	}
	r.Close()
	// Counts survive a reopen (base records written by the checkpoint).
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openTestDB(t, dir)
	defer db.Close()
	check(db)
}

func TestLoaderBulk_DuplicateKeys(t *testing.T) {
	for _, tc := range []struct {
		name  string
		batch int
		gap   int // keys between the two copies
	}{
		{"same batch", 40 << 20, 10},
		{"batch in flight", 2 << 10, 60},
		{"committed batch", 2 << 10, 3000},
	} {
		t.Run(tc.name, func(t *testing.T) {
			smallBatches(t, tc.batch)
			dir := t.TempDir()
			db := openTestDB(t, dir)
			commit(t, db, 5, func(txn *Txn) {
				txn.SetString(0, []byte("old"), []byte("1"), SetOptions{})
			})
			l, err := db.NewLoader()
			if err != nil {
				t.Fatal(err)
			}
			var derr error
			add := func(err error) {
				if err != nil && derr == nil {
					derr = err
				}
			}
			add(l.AddHash(0, []byte("dup"), [][2][]byte{{[]byte("f"), []byte("v")}}, 7000))
			add(l.AddString(1, []byte("dup"), []byte("other db: fine"), 0))
			for i := range tc.gap {
				add(l.AddString(0, fmt.Appendf(nil, "key:%d", i), []byte("v"), 0))
			}
			add(l.AddSet(0, []byte("dup"), [][]byte{[]byte("m")}, 0))
			for i := range 100 {
				add(l.AddString(0, fmt.Appendf(nil, "after:%d", i), []byte("v"), 0))
			}
			if derr == nil {
				derr = l.Commit(9)
			}
			if !errors.Is(derr, ErrDuplicateKey) {
				t.Fatalf("got %v, want ErrDuplicateKey", derr)
			}
			if err := l.Abort(); err != nil {
				t.Fatal(err)
			}
			// The live data set is untouched and nothing of the load is left.
			if db.DBSize(0) != 1 || db.DBSize(1) != 0 || db.AppliedOffset() != 5 {
				t.Fatalf("after the failed load: %d %d %d", db.DBSize(0), db.DBSize(1), db.AppliedOffset())
			}
			recs := rawUserRecords(t, db)
			if len(recs) != 1 {
				t.Fatalf("%d records left, want the old key only", len(recs))
			}
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
			db = openTestDB(t, dir)
			defer db.Close()
			if db.DBSize(0) != 1 || len(rawUserRecords(t, db)) != 1 {
				t.Fatal("the failed load came back after a reopen")
			}
		})
	}
}

// Many keys in a filter sized far too small: false positives are checked
// exactly and never reported as duplicates.
func TestLoaderBulk_NoFalseDuplicates(t *testing.T) {
	smallBatches(t, 256<<10)
	db := openTestDB(t, t.TempDir())
	defer db.Close()
	l, err := db.NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	l.Expect(0, 1)
	const n = 200000
	for i := range n {
		if err := l.AddString(0, fmt.Appendf(nil, "key:%d", i), nil, 0); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Commit(1); err != nil {
		t.Fatal(err)
	}
	if db.DBSize(0) != n {
		t.Fatalf("DBSIZE %d, want %d", db.DBSize(0), n)
	}
}

func TestLoaderBulk_AbortLeavesNothing(t *testing.T) {
	smallBatches(t, 8<<10)
	db := openTestDB(t, t.TempDir())
	defer db.Close()
	commit(t, db, 5, func(txn *Txn) {
		txn.SetString(0, []byte("old"), []byte("1"), SetOptions{ExpireAt: 9000})
	})
	before := rawUserRecords(t, db)
	l, err := db.NewLoader()
	if err != nil {
		t.Fatal(err)
	}
	ks := bulkDataSet(2000)
	for i := range ks {
		if err := ks[i].add(l); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.Abort(); err != nil {
		t.Fatal(err)
	}
	if got := rawUserRecords(t, db); !slices.Equal(got, before) {
		t.Fatalf("%d records after Abort, want %d", len(got), len(before))
	}
	if db.DBSize(0) != 1 || db.Expires(0) != 1 || db.DBSize(1) != 0 {
		t.Fatal("counts changed by an aborted load")
	}
	// An empty load committed afterwards empties the data set (the old
	// key's expiry index entry stays until active expiry drops it).
	l, _ = db.NewLoader()
	if err := l.Commit(6); err != nil {
		t.Fatal(err)
	}
	if got := rawUserRecords(t, db); db.DBSize(0) != 0 || len(got) != 1 || got[0][0][0] != nsExpire {
		t.Fatalf("not empty: %d keys, %d records", db.DBSize(0), len(got))
	}
}

func TestLoaderBulk_Rules(t *testing.T) {
	db := openTestDB(t, t.TempDir())
	defer db.Close()
	l, _ := db.NewLoader()
	if _, err := l.Txn(); err != nil {
		t.Fatal(err)
	}
	if err := l.AddString(0, []byte("k"), nil, 0); err == nil {
		t.Fatal("Add after Txn accepted")
	}
	l.Abort()
	l, _ = db.NewLoader()
	defer l.Abort()
	if err := l.AddString(2, []byte("k"), nil, 0); err == nil {
		t.Fatal("db out of range accepted")
	}
	if err := l.AddZSet(0, []byte("z"), []ScoreMember{{[]byte("a"), math.NaN()}}, 0); !errors.Is(err, ErrScoreNaN) {
		t.Fatalf("NaN score: %v", err)
	}
	// Empty collections add no key.
	if l.AddList(0, []byte("l"), nil, 0) != nil || l.AddSet(0, []byte("s"), nil, 0) != nil ||
		l.AddHash(0, []byte("h"), nil, 0) != nil || l.AddZSet(0, []byte("z"), nil, 0) != nil || l.Keys() != 0 {
		t.Fatal("empty collections")
	}
	if err := l.AddString(0, []byte("k"), nil, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Txn(); err == nil {
		t.Fatal("Txn after Add accepted")
	}
}

// TestMetaAppendTo_RoundTrip checks that the encoding appended after other
// bytes (the bulk loader's batch buffer) decodes back to the same Meta.
func TestMetaAppendTo_RoundTrip(t *testing.T) {
	for _, m := range []Meta{
		{Type: TypeString, Value: []byte("abc")},
		{Type: TypeString, Value: []byte("abc"), ExpireAt: 123456},
		{Type: TypeList, Head: listMid - 3, Tail: listMid + 9, ExpireAt: 1},
		{Type: TypeHash, Size: 300},
		{Type: TypeSet, Size: 1, ExpireAt: 99},
		{Type: TypeZSet, Size: 1 << 40},
	} {
		got := m.appendTo([]byte("x"))
		if got[0] != 'x' {
			t.Fatalf("%+v: prefix overwritten", m)
		}
		back, err := decodeMeta(got[1:])
		if err != nil || !reflect.DeepEqual(back, m) {
			t.Fatalf("%+v: decoded %+v, %v", m, back, err)
		}
	}
}

// EachKey steps through strings and skips collections' elements, and fn
// can read the elements meanwhile; expired keys are skipped.
func TestEachKey_MixedTypes(t *testing.T) {
	now := int64(1000)
	db, err := Open(t.TempDir(), Options{Databases: 1, CacheSize: 8 << 20, Now: func() int64 { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	want := map[string]int64{}
	commit(t, db, 1, func(txn *Txn) {
		for i := range 500 {
			k := []byte(fmt.Sprint("k", i))
			switch i % 4 {
			case 0:
				txn.SetString(0, k, []byte("v"), SetOptions{})
				want[string(k)] = 1
			case 1:
				txn.ListPush(0, k, false, false, []byte("a"), []byte("b"))
				want[string(k)] = 2
			case 2:
				txn.SAdd(0, k, bs("x", "y", "z"))
				want[string(k)] = 3
			case 3:
				if i%8 == 3 {
					txn.SetString(0, k, []byte("gone"), SetOptions{ExpireAt: 500})
				} else {
					txn.ZAdd(0, k, []ScoreMember{{[]byte("m"), 1}}, ZAddFlags{})
					want[string(k)] = 1
				}
			}
		}
	})
	r := db.ReadTxn(true)
	defer r.Close()
	got := map[string]int64{}
	var prev []byte
	err = r.EachKey(0, func(key []byte, m *Meta) error {
		if prev != nil && bytes.Equal(prev, key) {
			t.Fatalf("%q twice", key)
		}
		prev = append(prev[:0], key...)
		n := int64(1)
		switch m.Type {
		case TypeList:
			els, err := r.ListRange(0, key, 0, -1)
			if err != nil {
				return err
			}
			n = int64(len(els))
		case TypeSet:
			ms, err := r.SMembers(0, key)
			if err != nil {
				return err
			}
			n = int64(len(ms))
		}
		got[string(key)] = n
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(want) {
		t.Fatalf("%d keys, want %d", len(got), len(want))
	}
	for k, n := range want {
		if got[k] != n {
			t.Fatalf("%s: %d elements, want %d", k, got[k], n)
		}
	}
}

func TestBulkBuf_SortsByKey(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	bb := newBulkBuf()
	var keys [][]byte
	seen := map[string]bool{}
	for i := range 20000 {
		var k []byte
		switch i % 4 {
		case 0: // data keys of a few dbs and slots
			k = appendDataPrefix(nil, rng.IntN(3), uint16(rng.IntN(64)), fmt.Appendf(nil, "k%d", rng.IntN(1e9)))
			k = append(k, markMeta)
		case 1: // short keys, zero bytes
			k = make([]byte, rng.IntN(9))
			for j := range k {
				k[j] = byte(rng.IntN(3))
			}
		case 2: // expiry entries
			k = expireKey(rng.Int64N(1<<45), rng.IntN(2), fmt.Appendf(nil, "e%d", i))
		default:
			k = make([]byte, 1+rng.IntN(20))
			for j := range k {
				k[j] = byte(rng.IntN(256))
			}
		}
		if seen[string(k)] {
			continue
		}
		seen[string(k)] = true
		keys = append(keys, k)
		bb.put(k, []byte{byte(i)})
	}
	if err := bb.sort(); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(keys, bytes.Compare)
	if len(bb.ents) != len(keys) {
		t.Fatal("lost records")
	}
	for i := range keys {
		if got := bb.key(&bb.ents[i]); !bytes.Equal(got, keys[i]) {
			t.Fatalf("record %d: %x, want %x", i, got, keys[i])
		}
		if !bb.has(keys[i]) {
			t.Fatalf("has(%x) = false", keys[i])
		}
	}
	if bb.has([]byte("\xff\xff\xff\xffmissing")) {
		t.Fatal("has(missing) = true")
	}
	bb.put(keys[7], nil)
	if err := bb.sort(); !errors.Is(err, ErrDuplicateKey) {
		t.Fatalf("duplicate record: %v", err)
	}
}
