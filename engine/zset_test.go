package engine

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func scoreBytes(f float64) []byte { return binary.BigEndian.AppendUint64(nil, encodeScore(f)) }

func TestEncodeScore_Order(t *testing.T) {
	ordered := []float64{math.Inf(-1), -math.MaxFloat64, -1e10, -1.5, -1, -math.SmallestNonzeroFloat64,
		0, math.SmallestNonzeroFloat64, 1e-300, 0.5, 1, 1.5, 2, 1e300, math.MaxFloat64, math.Inf(1)}
	for i := 1; i < len(ordered); i++ {
		if bytes.Compare(scoreBytes(ordered[i-1]), scoreBytes(ordered[i])) >= 0 {
			t.Errorf("%g does not encode below %g", ordered[i-1], ordered[i])
		}
	}
	if !bytes.Equal(scoreBytes(math.Copysign(0, -1)), scoreBytes(0)) {
		t.Error("-0 and 0 encode differently")
	}
	for _, f := range ordered {
		if got := decodeScore(encodeScore(f)); got != f {
			t.Errorf("round trip %g = %g", f, got)
		}
	}
}

// FuzzScoreOrder checks that the score encoding orders like the floats it
// encodes (-0 equal to 0) and decodes back to them.
func FuzzScoreOrder(f *testing.F) {
	f.Add(1.5, -2.0)
	f.Add(0.0, math.Copysign(0, -1))
	f.Add(math.Inf(-1), math.Inf(1))
	f.Add(-math.SmallestNonzeroFloat64, math.SmallestNonzeroFloat64)
	f.Fuzz(func(t *testing.T, a, b float64) {
		if math.IsNaN(a) || math.IsNaN(b) {
			t.Skip()
		}
		if got, want := bytes.Compare(scoreBytes(a), scoreBytes(b)), cmp.Compare(a, b); got != want {
			t.Fatalf("encoded order of %g, %g = %d, want %d", a, b, got, want)
		}
		if d := decodeScore(encodeScore(a)); d != a || math.Signbit(d) && a == 0 {
			t.Fatalf("decode(encode(%g)) = %g", a, d)
		}
	})
}

func sm(member string, score float64) ScoreMember {
	return ScoreMember{Member: []byte(member), Score: score}
}

// zModel is the reference a sorted set is checked against.
type zModel map[string]float64

func (m zModel) sorted() []ScoreMember {
	out := make([]ScoreMember, 0, len(m))
	for k, v := range m {
		out = append(out, sm(k, v))
	}
	SortScoreMembers(out)
	return out
}

func sameZ(a, b []ScoreMember) bool {
	return slices.EqualFunc(a, b, func(x, y ScoreMember) bool {
		return bytes.Equal(x.Member, y.Member) && (x.Score == y.Score || math.IsNaN(x.Score) && math.IsNaN(y.Score))
	})
}

func TestTxn_ZAddFlags(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	key := []byte("z")
	commit(t, db, 1, func(txn *Txn) {
		r, err := txn.ZAdd(0, key, []ScoreMember{sm("a", 1), sm("b", 2), sm("a", 3)}, ZAddFlags{})
		if err != nil || r.Added != 2 || r.Updated != 1 {
			t.Fatalf("ZADD = %+v %v", r, err)
		}
		if r, _ := txn.ZAdd(0, key, []ScoreMember{sm("a", 5), sm("c", 1)}, ZAddFlags{NX: true}); r.Added != 1 || r.Updated != 0 {
			t.Fatalf("NX = %+v", r)
		}
		if r, _ := txn.ZAdd(0, key, []ScoreMember{sm("a", 5), sm("d", 1)}, ZAddFlags{XX: true}); r.Added != 0 || r.Updated != 1 {
			t.Fatalf("XX = %+v", r)
		}
		if r, _ := txn.ZAdd(0, key, []ScoreMember{sm("a", 4), sm("b", 9)}, ZAddFlags{GT: true}); r.Updated != 1 {
			t.Fatalf("GT = %+v", r)
		}
		if r, _ := txn.ZAdd(0, key, []ScoreMember{sm("a", 4), sm("e", 7)}, ZAddFlags{LT: true}); r.Updated != 1 || r.Added != 1 {
			t.Fatalf("LT = %+v", r)
		}
		if r, _ := txn.ZAdd(0, key, []ScoreMember{sm("a", 0.5)}, ZAddFlags{Incr: true}); !r.Applied || r.Score != 4.5 {
			t.Fatalf("INCR = %+v", r)
		}
		if r, _ := txn.ZAdd(0, key, []ScoreMember{sm("a", -1)}, ZAddFlags{Incr: true, GT: true}); r.Applied {
			t.Fatalf("INCR GT applied a decrease: %+v", r)
		}
		if r, _ := txn.ZAdd(0, []byte("none"), []ScoreMember{sm("a", 1)}, ZAddFlags{XX: true}); r.Applied {
			t.Fatalf("XX on a missing key: %+v", r)
		}
		txn.ZAdd(0, key, []ScoreMember{sm("inf", math.Inf(1))}, ZAddFlags{})
		if _, err := txn.ZAdd(0, key, []ScoreMember{sm("inf", math.Inf(-1))}, ZAddFlags{Incr: true}); err != ErrScoreNaN {
			t.Fatalf("inf + -inf: %v", err)
		}
	})
	r := db.ReadTxn(false)
	defer r.Close()
	got, _ := r.ZRange(0, key, ZRangeSpec{By: ByRank, Start: 0, Stop: -1})
	want := []ScoreMember{sm("c", 1), sm("a", 4.5), sm("e", 7), sm("b", 9), sm("inf", math.Inf(1))}
	if !sameZ(got, want) {
		t.Fatalf("zset = %v, want %v", got, want)
	}
	if n, _ := r.ZCard(0, key); n != 5 {
		t.Fatalf("ZCARD = %d", n)
	}
	if _, ok, _ := r.Lookup(0, []byte("none")); ok {
		t.Fatal("ZADD XX created a key")
	}
}

func TestTxn_ZNegativeZero(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	negZero := math.Copysign(0, -1)
	commit(t, db, 1, func(txn *Txn) {
		txn.ZAdd(0, []byte("z"), []ScoreMember{sm("n", negZero), sm("p", 0), sm("m", -1)}, ZAddFlags{})
		txn.ZAdd(0, []byte("z"), []ScoreMember{sm("m", 1)}, ZAddFlags{Incr: true})
	})
	r := db.ReadTxn(false)
	defer r.Close()
	got, _ := r.ZRange(0, []byte("z"), ZRangeSpec{By: ByScore, Min: ScoreBound{Value: 0}, Max: ScoreBound{Value: 0}, Limit: -1})
	if !sameZ(got, []ScoreMember{sm("m", 0), sm("n", 0), sm("p", 0)}) {
		t.Fatalf("range over 0 = %v", got)
	}
	for _, e := range got {
		if math.Signbit(e.Score) {
			t.Fatalf("%q kept -0", e.Member)
		}
		if s, _, _ := r.ZScore(0, []byte("z"), e.Member); math.Signbit(s) {
			t.Fatalf("ZSCORE %q = -0", e.Member)
		}
	}
}

// TestTxn_ZSetMatchesModel runs random writes and range reads against the
// engine and a map.
func TestTxn_ZSetMatchesModel(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	rng := rand.New(rand.NewPCG(3, 4))
	key := []byte("z")
	model := zModel{}
	member := func() string { return []string{"a", "b", "ab", "c", "", "a\x00", "zz", "m"}[rng.IntN(8)] }
	score := func() float64 {
		return []float64{math.Inf(-1), -2, -1.5, 0, 1, 1, 2.5, 3, math.Inf(1)}[rng.IntN(9)]
	}
	bound := func() ScoreBound { return ScoreBound{Value: score(), Excl: rng.IntN(2) == 0} }
	lex := func() LexBound {
		switch rng.IntN(6) {
		case 0:
			return LexBound{Inf: -1}
		case 1:
			return LexBound{Inf: 1}
		}
		return LexBound{Value: []byte(member()), Excl: rng.IntN(2) == 0}
	}
	inScore := func(s float64, min, max ScoreBound) bool {
		return (s > min.Value || !min.Excl && s == min.Value) && (s < max.Value || !max.Excl && s == max.Value)
	}
	inLex := func(m string, min, max LexBound) bool {
		okMin := min.Inf < 0 || min.Inf == 0 && (m > string(min.Value) || !min.Excl && m == string(min.Value))
		okMax := max.Inf > 0 || max.Inf == 0 && (m < string(max.Value) || !max.Excl && m == string(max.Value))
		return okMin && okMax
	}
	for round := range 40 {
		txn := db.WriteTxn()
		for range 25 {
			switch rng.IntN(8) {
			case 0, 1, 2:
				// Mostly two elements (point reads), sometimes many with
				// repeats (one seeking iterator).
				items := []ScoreMember{sm(member(), score()), sm(member(), score())}
				if rng.IntN(3) == 0 {
					for range 20 {
						items = append(items, sm(member(), score()))
					}
				}
				added := map[string]bool{}
				for _, it := range items {
					m := string(it.Member)
					if _, ok := model[m]; !ok {
						added[m] = true
					}
					model[m] = it.Score
				}
				r, err := txn.ZAdd(0, key, items, ZAddFlags{})
				if err != nil || r.Added != int64(len(added)) {
					t.Fatalf("ZADD %v = %+v %v, want %d added", items, r, err, len(added))
				}
			case 3:
				mm := member()
				n, _ := txn.ZRem(0, key, []byte(mm), []byte("nope"))
				_, had := model[mm]
				delete(model, mm)
				if n != int64(b2n(had)) {
					t.Fatalf("ZREM %q = %d", mm, n)
				}
			case 4:
				min, max := bound(), bound()
				n, err := txn.ZRemRange(0, key, ZRangeSpec{By: ByScore, Min: min, Max: max})
				want := int64(0)
				for m, s := range model {
					if inScore(s, min, max) {
						delete(model, m)
						want++
					}
				}
				if err != nil || n != want {
					t.Fatalf("ZREMRANGEBYSCORE %v %v = %d, want %d", min, max, n, want)
				}
			case 5:
				min, max := bound(), bound()
				rev := rng.IntN(2) == 0
				off, lim := int64(rng.IntN(4)-1), int64(rng.IntN(5)-1)
				got, err := txn.ZRange(0, key, ZRangeSpec{By: ByScore, Min: min, Max: max, Rev: rev, Offset: off, Limit: lim})
				var want []ScoreMember
				for _, e := range model.sorted() {
					if inScore(e.Score, min, max) {
						want = append(want, e)
					}
				}
				if rev {
					slices.Reverse(want)
				}
				want = window(want, off, lim, int64(len(model)))
				if err != nil || !sameZ(got, want) {
					t.Fatalf("by score %v %v rev=%v limit %d %d = %v, want %v", min, max, rev, off, lim, got, want)
				}
				if n, _ := txn.ZCount(0, key, min, max); !rev && off == 0 && lim < 0 && n != int64(len(want)) {
					t.Fatalf("ZCOUNT = %d, want %d", n, len(want))
				}
			case 6:
				// Lex ranges assume one score: check them on the members.
				min, max := lex(), lex()
				got, err := txn.ZRange(0, key, ZRangeSpec{By: ByLex, LexMin: min, LexMax: max, Limit: -1})
				var want []string
				for m := range model {
					if inLex(m, min, max) {
						want = append(want, m)
					}
				}
				slices.Sort(want)
				var gotM []string
				for _, e := range got {
					gotM = append(gotM, string(e.Member))
					if e.Score != model[string(e.Member)] {
						t.Fatalf("lex range score of %q = %g", e.Member, e.Score)
					}
				}
				if err != nil || !slices.Equal(gotM, want) {
					t.Fatalf("by lex %+v %+v = %q, want %q", min, max, gotM, want)
				}
				if n, _ := txn.ZLexCount(0, key, min, max); n != int64(len(want)) {
					t.Fatalf("ZLEXCOUNT = %d, want %d", n, len(want))
				}
			case 7:
				start, stop := int64(rng.IntN(12)-6), int64(rng.IntN(12)-6)
				rev := rng.IntN(2) == 0
				got, _ := txn.ZRange(0, key, ZRangeSpec{By: ByRank, Start: start, Stop: stop, Rev: rev})
				all := model.sorted()
				if rev {
					slices.Reverse(all)
				}
				var want []ScoreMember
				if from, to, ok := listSpan(int64(len(all)), start, stop); ok {
					want = all[from:to]
				}
				if !sameZ(got, want) {
					t.Fatalf("by rank %d %d rev=%v = %v, want %v", start, stop, rev, got, want)
				}
			}
			all := model.sorted()
			got, _ := txn.ZRange(0, key, ZRangeSpec{By: ByRank, Start: 0, Stop: -1})
			if !sameZ(got, all) {
				t.Fatalf("round %d: zset %v, want %v", round, got, all)
			}
			for i, e := range all {
				r, s, ok, err := txn.ZRank(0, key, e.Member, false)
				rr, _, _, _ := txn.ZRank(0, key, e.Member, true)
				if err != nil || !ok || r != int64(i) || rr != int64(len(all)-1-i) || s != e.Score {
					t.Fatalf("ZRANK %q = %d/%d %g %v, want %d", e.Member, r, rr, s, ok, i)
				}
			}
			if n, _ := txn.ZCard(0, key); n != int64(len(model)) {
				t.Fatalf("ZCARD %d, want %d", n, len(model))
			}
		}
		if err := txn.Commit(int64(round + 1)); err != nil {
			t.Fatal(err)
		}
		if want := int64(min(len(model), 1)); db.DBSize(0) != want {
			t.Fatalf("DBSize %d, want %d", db.DBSize(0), want)
		}
	}
}

func b2n(b bool) int {
	if b {
		return 1
	}
	return 0
}

// window applies Redis's LIMIT offset count to a result.
func window(items []ScoreMember, off, lim, size int64) []ScoreMember {
	if off < 0 || off > 0 && off >= size || lim == 0 {
		return nil
	}
	if off >= int64(len(items)) {
		return nil
	}
	items = items[off:]
	if lim > 0 && lim < int64(len(items)) {
		items = items[:lim]
	}
	return items
}

func TestTxn_ZPopAndStore(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	commit(t, db, 1, func(txn *Txn) {
		txn.ZAdd(0, []byte("z"), []ScoreMember{sm("a", 1), sm("b", 2), sm("c", 3), sm("d", 4)}, ZAddFlags{})
		got, ok, _ := txn.ZPop(0, []byte("z"), false, 2)
		if !ok || !sameZ(got, []ScoreMember{sm("a", 1), sm("b", 2)}) {
			t.Fatalf("ZPOPMIN 2 = %v", got)
		}
		got, _, _ = txn.ZPop(0, []byte("z"), true, 5)
		if !sameZ(got, []ScoreMember{sm("d", 4), sm("c", 3)}) {
			t.Fatalf("ZPOPMAX 5 = %v", got)
		}
		if _, ok, _ := txn.ZPop(0, []byte("z"), true, 1); ok {
			t.Fatal("emptied zset still exists")
		}
		txn.SetString(0, []byte("dst"), []byte("string"), SetOptions{})
		if n, err := txn.ZStore(0, []byte("dst"), []ScoreMember{sm("x", 1)}); n != 1 || err != nil {
			t.Fatalf("ZStore = %d %v", n, err)
		}
	})
	r := db.ReadTxn(false)
	if s, ok, err := r.ZScore(0, []byte("dst"), []byte("x")); !ok || s != 1 || err != nil {
		t.Fatalf("stored ZSCORE = %g %v %v", s, ok, err)
	}
	r.Close()
	commit(t, db, 2, func(txn *Txn) {
		if n, _ := txn.ZStore(0, []byte("dst"), nil); n != 0 {
			t.Fatal("empty store")
		}
	})
	if db.DBSize(0) != 0 {
		t.Fatalf("DBSize %d after storing nothing", db.DBSize(0))
	}
}

func TestTxn_ZCombine(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	commit(t, db, 1, func(txn *Txn) {
		txn.ZAdd(0, []byte("{z}1"), []ScoreMember{sm("a", 1), sm("b", 2), sm("c", math.Inf(1))}, ZAddFlags{})
		txn.ZAdd(0, []byte("{z}2"), []ScoreMember{sm("b", 3), sm("c", math.Inf(-1)), sm("d", 4)}, ZAddFlags{})
		txn.SetString(0, []byte("{z}s"), []byte("v"), SetOptions{})
		if _, err := txn.SAdd(0, []byte("{z}set"), bs("b", "x")); err != nil {
			t.Fatal(err)
		}
	})
	r := db.ReadTxn(true)
	defer r.Close()
	keys := bs("{z}1", "{z}2")
	cases := []struct {
		op   ZSetOp
		want []ScoreMember
	}{
		{ZSetOp{Kind: ZUnion, Keys: keys}, []ScoreMember{sm("c", 0), sm("a", 1), sm("d", 4), sm("b", 5)}},
		{ZSetOp{Kind: ZUnion, Keys: keys, Weights: []float64{2, 0}, Aggregate: AggMax},
			[]ScoreMember{sm("d", 0), sm("a", 2), sm("b", 4), sm("c", math.Inf(1))}},
		{ZSetOp{Kind: ZInter, Keys: keys, Aggregate: AggMin}, []ScoreMember{sm("c", math.Inf(-1)), sm("b", 2)}},
		{ZSetOp{Kind: ZInter, Keys: append(keys, []byte("{z}missing"))}, nil},
		{ZSetOp{Kind: ZDiff, Keys: keys}, []ScoreMember{sm("a", 1)}},
		{ZSetOp{Kind: ZDiff, Keys: bs("{z}missing", "{z}1")}, nil},
		// A plain set's members score 1.
		{ZSetOp{Kind: ZUnion, Keys: bs("{z}1", "{z}set"), Weights: []float64{1, 10}},
			[]ScoreMember{sm("a", 1), sm("x", 10), sm("b", 12), sm("c", math.Inf(1))}},
		{ZSetOp{Kind: ZInter, Keys: bs("{z}set", "{z}2")}, []ScoreMember{sm("b", 4)}},
		{ZSetOp{Kind: ZDiff, Keys: bs("{z}set", "{z}1")}, []ScoreMember{sm("x", 1)}},
	}
	for _, c := range cases {
		got, err := r.ZCombine(0, c.op)
		if err != nil || !sameZ(got, c.want) {
			t.Errorf("%+v = %v %v, want %v", c.op, got, err, c.want)
		}
	}
	if _, err := r.ZCombine(0, ZSetOp{Kind: ZUnion, Keys: bs("{z}missing", "{z}s")}); err != ErrWrongType {
		t.Errorf("union with a string: %v", err)
	}
	if n, _ := r.ZInterCard(0, keys, 0); n != 2 {
		t.Errorf("ZINTERCARD = %d", n)
	}
	if n, _ := r.ZInterCard(0, keys, 1); n != 1 {
		t.Errorf("ZINTERCARD LIMIT 1 = %d", n)
	}
	if n, _ := r.ZInterCard(0, bs("{z}1", "{z}set"), 0); n != 1 {
		t.Errorf("ZINTERCARD with a set = %d", n)
	}
}

func TestTxn_ZScanAndRandMember(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	key := []byte("z")
	var items []ScoreMember
	for i := range 250 {
		items = append(items, sm(fmt.Sprintf("m%03d", i), float64(i%7)))
	}
	commit(t, db, 1, func(txn *Txn) { txn.ZAdd(0, key, items, ZAddFlags{}) })
	r := db.ReadTxn(false)
	defer r.Close()
	seen := map[string]float64{}
	var cursor uint64
	for calls := 0; ; calls++ {
		next, got, err := r.ZScan(0, key, cursor, ZScanOptions{Count: 20})
		if err != nil || calls > 50 {
			t.Fatalf("ZSCAN: %v after %d calls", err, calls)
		}
		for _, e := range got {
			if _, dup := seen[string(e.Member)]; dup {
				t.Fatalf("ZSCAN returned %q twice", e.Member)
			}
			seen[string(e.Member)] = e.Score
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	if len(seen) != 250 || seen["m010"] != 3 {
		t.Fatalf("ZSCAN saw %d members, m010=%g", len(seen), seen["m010"])
	}
	_, got, _ := r.ZScan(0, key, 0, ZScanOptions{Count: 1000, Match: []byte("m00*")})
	if len(got) != 10 {
		t.Fatalf("ZSCAN MATCH m00* = %d members", len(got))
	}

	uniq, _ := r.ZRandMember(0, key, 100)
	distinct := map[string]bool{}
	for _, e := range uniq {
		distinct[string(e.Member)] = true
		if seen[string(e.Member)] != e.Score {
			t.Fatalf("ZRANDMEMBER score of %q = %g", e.Member, e.Score)
		}
	}
	if len(uniq) != 100 || len(distinct) != 100 {
		t.Fatalf("ZRANDMEMBER 100: %d results, %d distinct", len(uniq), len(distinct))
	}
	if all, _ := r.ZRandMember(0, key, 1000); len(all) != 250 {
		t.Fatalf("ZRANDMEMBER 1000 = %d", len(all))
	}
	if rep, _ := r.ZRandMember(0, key, -600); len(rep) != 600 {
		t.Fatalf("ZRANDMEMBER -600 = %d", len(rep))
	}
}
