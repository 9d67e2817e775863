package engine

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"math"
	"slices"
)

// Sorted sets.
//
// Two kinds of element live under the key's element prefix (persisted):
//
//	'm' <member>                → score: IEEE 754 bits, 8 bytes BE
//	's' <score:8> <member>      → empty
//
// The score in the 's' index is order-preserving (encodeScore): sign bit
// flipped for positives, all bits flipped for negatives. So the index is in
// Redis's order: -inf < negatives < 0 < positives < +inf, ties by member
// bytes. A score of -0 is stored as 0 in both records, as Redis's compact
// encoding does. NaN is never stored. Meta.Size is the cardinality (ZCARD
// is one read). The 'm' record answers ZSCORE in one point
// read and orders members for the lex commands and ZSCAN.
//
// Rank has no index: ZRANK walks the score index from the nearer end
// (O(min(rank, n-rank))), a range by rank skips to its start from the
// nearer end, ZCOUNT and ZLEXCOUNT count what they walk.

// Element kinds of a sorted set. Part of the on-disk format.
const (
	zKindMember byte = 'm'
	zKindScore  byte = 's'
)

// ErrScoreNaN is returned when an increment makes a score NaN.
var ErrScoreNaN = errors.New("engine: resulting score is not a number (NaN)")

// encodeScore maps a score to 8 bytes whose unsigned order is the float
// order. -0 encodes as 0. NaN must not be passed.
func encodeScore(f float64) uint64 {
	if f == 0 {
		f = 0 // -0 → +0
	}
	b := math.Float64bits(f)
	if b>>63 == 0 {
		return b | 1<<63
	}
	return ^b
}

// decodeScore inverts encodeScore.
func decodeScore(u uint64) float64 {
	if u>>63 == 1 {
		return math.Float64frombits(u &^ (1 << 63))
	}
	return math.Float64frombits(^u)
}

// ScoreMember is one sorted set element.
type ScoreMember struct {
	Member []byte
	Score  float64
}

func zMemberKey(ep, member []byte) []byte {
	b := make([]byte, 0, len(ep)+1+len(member))
	return append(append(append(b, ep...), zKindMember), member...)
}

func zScoreKey(ep []byte, score float64, member []byte) []byte {
	b := make([]byte, 0, len(ep)+9+len(member))
	b = append(append(b, ep...), zKindScore)
	b = binary.BigEndian.AppendUint64(b, encodeScore(score))
	return append(b, member...)
}

// zScorePrefix is the start of the score index; prefixEnd of it its end.
func zScorePrefix(ep []byte) []byte { return append(bytes.Clone(ep), zKindScore) }

func zMemberPrefix(ep []byte) []byte { return append(bytes.Clone(ep), zKindMember) }

// zFromScoreKey decodes an 's' index entry whose key k starts with ep.
func zFromScoreKey(ep, k, _ []byte) ScoreMember {
	rest := k[len(ep)+1:]
	return ScoreMember{Member: bytes.Clone(rest[8:]), Score: decodeScore(binary.BigEndian.Uint64(rest))}
}

// zFromMemberKey decodes an 'm' record whose key k starts with ep.
func zFromMemberKey(ep, k, v []byte) ScoreMember {
	return ScoreMember{Member: bytes.Clone(k[len(ep)+1:]), Score: zScoreOf(v)}
}

func zScoreOf(v []byte) float64 {
	if len(v) != 8 {
		return 0
	}
	return math.Float64frombits(binary.BigEndian.Uint64(v))
}

// zPut writes both records of an element; -0 is stored as 0.
func (t *Txn) zPut(ep, member []byte, score float64) error {
	if score == 0 {
		score = 0
	}
	if err := t.b.Set(zMemberKey(ep, member), binary.BigEndian.AppendUint64(nil, math.Float64bits(score)), nil); err != nil {
		return err
	}
	return t.b.Set(zScoreKey(ep, score, member), nil, nil)
}

// zDel deletes both records of an element whose score is score.
func (t *Txn) zDel(ep, member []byte, score float64) error {
	if err := t.b.Delete(zMemberKey(ep, member), nil); err != nil {
		return err
	}
	return t.b.Delete(zScoreKey(ep, score, member), nil)
}

// zSave writes a sorted set's new metadata, or deletes the key when it has
// become empty.
func (t *Txn) zSave(db int, key []byte, m, old *Meta) error {
	if m.Size == 0 {
		if old == nil {
			return nil
		}
		return t.deleteKey(db, key, old)
	}
	return t.putMeta(db, key, m, old)
}

// ZAddFlags are ZADD's conditions (CH only changes the reply).
type ZAddFlags struct {
	NX, XX, GT, LT bool
	Incr           bool // the score is an increment (ZADD INCR, ZINCRBY)
}

// ZAddResult says what ZAdd did.
type ZAddResult struct {
	Added   int64   // new members
	Updated int64   // members whose score changed
	Applied bool    // some element was not skipped by NX/XX/GT/LT
	Score   float64 // the last applied element's new score (INCR's reply)
}

// ZAdd adds or updates elements (ZADD, ZINCRBY) with Redis's rules: NX
// skips existing members, XX new ones, GT/LT updates that do not raise or
// lower the score; Incr adds to the current score (one element only, as
// ZADD INCR) and fails with ErrScoreNaN before writing when the sum is NaN.
// A later element for the same member sees the earlier one.
func (t *Txn) ZAdd(db int, key []byte, items []ScoreMember, f ZAddFlags) (ZAddResult, error) {
	var res ZAddResult
	m, exists, err := t.lookupType(db, key, TypeZSet)
	if err != nil {
		return res, err
	}
	if !exists && f.XX {
		return res, nil
	}
	old := m
	if !exists {
		m = Meta{Type: TypeZSet}
	}
	for _, it := range items {
		if math.IsNaN(it.Score) {
			return res, ErrScoreNaN
		}
	}
	ep := elemPrefix(t.phys(db), key)
	// scores holds the current score of every member the call names, kept
	// up to date as it goes, so a later element for a member sees an
	// earlier one.
	scores, err := t.zScoresOf(ep, items, exists)
	if err != nil {
		return res, err
	}
	for _, it := range items {
		score := it.Score
		cur, found := scores[string(it.Member)]
		if found {
			if f.NX {
				continue
			}
			if f.Incr {
				score += cur
				if math.IsNaN(score) {
					return res, ErrScoreNaN
				}
			}
			if (f.LT && score >= cur) || (f.GT && score <= cur) {
				continue
			}
			res.Applied, res.Score = true, score
			if score == cur {
				continue // nothing to write
			}
			if err := t.b.Delete(zScoreKey(ep, cur, it.Member), nil); err != nil {
				return res, err
			}
			if err := t.zPut(ep, it.Member, score); err != nil {
				return res, err
			}
			scores[string(it.Member)] = score
			res.Updated++
			continue
		}
		if f.XX {
			continue
		}
		if err := t.zPut(ep, it.Member, score); err != nil {
			return res, err
		}
		scores[string(it.Member)] = score
		m.Size++
		res.Added++
		res.Applied, res.Score = true, score
	}
	switch {
	case res.Added > 0 && exists:
		err = t.putMeta(db, key, &m, &old)
	case res.Added > 0:
		err = t.putMeta(db, key, &m, nil)
	case res.Updated > 0:
		t.touch(db, key)
	}
	t.dirty += res.Added + res.Updated
	return res, err
}

// zScoresOf reads the current scores of the members of items (none when
// the sorted set is new). Many members are read with one iterator seeking
// them in order, cheaper than a point read each.
func (t *Txn) zScoresOf(ep []byte, items []ScoreMember, exists bool) (map[string]float64, error) {
	scores := make(map[string]float64, len(items))
	if !exists {
		return scores, nil
	}
	if len(items) <= 16 {
		for _, it := range items {
			v, ok, err := t.get(zMemberKey(ep, it.Member))
			if err != nil {
				return nil, err
			}
			if ok {
				scores[string(it.Member)] = zScoreOf(v)
			}
		}
		return scores, nil
	}
	keys := make([][]byte, len(items))
	for i, it := range items {
		keys[i] = zMemberKey(ep, it.Member)
	}
	slices.SortFunc(keys, bytes.Compare)
	mp := zMemberPrefix(ep)
	it, err := t.iter(mp, prefixEnd(mp))
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if !it.SeekGE(k) {
			break
		}
		if bytes.Equal(it.Key(), k) {
			scores[string(k[len(mp):])] = zScoreOf(it.Value())
		}
	}
	return scores, it.Close()
}

// ZRem removes members; it returns how many existed. An emptied sorted set
// is deleted.
func (t *Txn) ZRem(db int, key []byte, members ...[]byte) (int64, error) {
	m, ok, err := t.lookupType(db, key, TypeZSet)
	if err != nil || !ok {
		return 0, err
	}
	ep := elemPrefix(t.phys(db), key)
	old := m
	var n int64
	for _, mem := range members {
		v, found, err := t.get(zMemberKey(ep, mem))
		if err != nil {
			return 0, err
		}
		if !found {
			continue
		}
		if err := t.zDel(ep, mem, zScoreOf(v)); err != nil {
			return 0, err
		}
		n++
	}
	if n == 0 {
		return 0, nil
	}
	m.Size -= n
	if err := t.zSave(db, key, &m, &old); err != nil {
		return 0, err
	}
	t.dirty += n
	return n, nil
}

// ZCard returns the cardinality of a sorted set (0 when missing).
func (t *Txn) ZCard(db int, key []byte) (int64, error) {
	m, ok, err := t.lookupType(db, key, TypeZSet)
	if err != nil || !ok {
		return 0, err
	}
	return m.Size, nil
}

// ZScore returns a member's score: one point read after the metadata.
func (t *Txn) ZScore(db int, key, member []byte) (float64, bool, error) {
	scores, found, err := t.ZScores(db, key, member)
	if err != nil || !found[0] {
		return 0, false, err
	}
	return scores[0], true, nil
}

// ZScores returns the scores of several members (ZMSCORE); found[i] says
// whether members[i] exists. A missing key has no members.
func (t *Txn) ZScores(db int, key []byte, members ...[]byte) (scores []float64, found []bool, err error) {
	scores, found = make([]float64, len(members)), make([]bool, len(members))
	_, ok, err := t.lookupType(db, key, TypeZSet)
	if err != nil || !ok {
		return scores, found, err
	}
	ep := elemPrefix(t.phys(db), key)
	for i, mem := range members {
		v, ok, err := t.get(zMemberKey(ep, mem))
		if err != nil {
			return nil, nil, err
		}
		scores[i], found[i] = zScoreOf(v), ok
	}
	return scores, found, nil
}

// ZRank returns a member's 0-based rank by ascending score, or by
// descending score with rev, and its score. Rank has no index: the score
// index is walked from both ends at once until one reaches the member, so
// the cost is O(min(rank, n-rank)).
func (t *Txn) ZRank(db int, key, member []byte, rev bool) (rank int64, score float64, found bool, err error) {
	m, ok, err := t.lookupType(db, key, TypeZSet)
	if err != nil || !ok {
		return 0, 0, false, err
	}
	ep := elemPrefix(t.phys(db), key)
	v, ok, err := t.get(zMemberKey(ep, member))
	if err != nil || !ok {
		return 0, 0, false, err
	}
	score = zScoreOf(v)
	target := zScoreKey(ep, score, member)
	sp := zScorePrefix(ep)
	fwd, err := t.iter(sp, target)
	if err != nil {
		return 0, 0, false, err
	}
	defer fwd.Close()
	back, err := t.iter(append(bytes.Clone(target), 0), prefixEnd(sp))
	if err != nil {
		return 0, 0, false, err
	}
	defer back.Close()
	// fwd walks the elements before the member, back those after it; the
	// first to run out knows the rank.
	var before, after int64
	fok, bok := fwd.First(), back.Last()
	for fok && bok {
		before++
		after++
		fok, bok = fwd.Next(), back.Prev()
	}
	if fok {
		before = m.Size - 1 - after
	} else {
		after = m.Size - 1 - before
	}
	if err := errors.Join(fwd.Error(), back.Error()); err != nil {
		return 0, 0, false, err
	}
	if rev {
		return after, score, true, nil
	}
	return before, score, true, nil
}

// ScoreBound is one end of a score range: Value, exclusive with Excl
// ("(1.5" in Redis syntax).
type ScoreBound struct {
	Value float64
	Excl  bool
}

// LexBound is one end of a member range: "-" (Inf < 0), "+" (Inf > 0),
// "[v" or "(v" (Excl).
type LexBound struct {
	Value []byte
	Excl  bool
	Inf   int
}

// ZRangeBy says what a ZRangeSpec's bounds are.
type ZRangeBy uint8

const (
	ByRank  ZRangeBy = iota // Start, Stop: 0-based ranks, negative from the end
	ByScore                 // Min, Max
	ByLex                   // LexMin, LexMax; assumes equal scores, as Redis
)

// ZRangeSpec selects elements of a sorted set, as ZRANGE does.
type ZRangeSpec struct {
	By             ZRangeBy
	Start, Stop    int64
	Min, Max       ScoreBound
	LexMin, LexMax LexBound
	Rev            bool  // descending; Start/Stop then count from the highest
	Offset         int64 // ByScore/ByLex: elements to skip; negative selects nothing (as Redis)
	Limit          int64 // ByScore/ByLex: at most this many; negative = all
}

// scoreRange returns the score index keys [lo, hi) between two bounds.
func scoreRange(ep []byte, min, max ScoreBound) (lo, hi []byte) {
	sp := zScorePrefix(ep)
	lo = binary.BigEndian.AppendUint64(bytes.Clone(sp), encodeScore(min.Value))
	if min.Excl {
		lo = prefixEnd(lo)
	}
	hi = binary.BigEndian.AppendUint64(bytes.Clone(sp), encodeScore(max.Value))
	if !max.Excl {
		hi = prefixEnd(hi)
	}
	return lo, hi
}

// lexRange returns the member records [lo, hi) between two bounds.
func lexRange(ep []byte, min, max LexBound) (lo, hi []byte) {
	mp := zMemberPrefix(ep)
	bound := func(b LexBound, upper bool) []byte {
		switch {
		case b.Inf < 0:
			return mp
		case b.Inf > 0:
			return prefixEnd(mp)
		}
		k := append(bytes.Clone(mp), b.Value...)
		if b.Excl != upper { // "(v" as min and "[v" as max: just after v
			k = append(k, 0)
		}
		return k
	}
	return bound(min, false), bound(max, true)
}

// zWalk calls fn for the records in [lo, hi) in order (reverse with rev)
// after skipping skip of them, until fn returns false.
func (t *Txn) zWalk(lo, hi []byte, rev bool, skip int64, fn func(k, v []byte) bool) error {
	if bytes.Compare(lo, hi) >= 0 {
		return nil
	}
	it, err := t.iter(lo, hi)
	if err != nil {
		return err
	}
	ok := it.First()
	if rev {
		ok = it.Last()
	}
	for ; ok; ok = listStep(it.Next, it.Prev, rev) {
		if skip > 0 {
			skip--
			continue
		}
		if !fn(it.Key(), it.Value()) {
			break
		}
	}
	return it.Close()
}

// zRange runs a range spec over the sorted set whose metadata is m.
func (t *Txn) zRange(ep []byte, m *Meta, r ZRangeSpec) ([]ScoreMember, error) {
	var out []ScoreMember
	switch r.By {
	case ByRank:
		from, to, ok := listSpan(m.Size, r.Start, r.Stop)
		if !ok {
			return nil, nil
		}
		n := to - from
		out = make([]ScoreMember, 0, min(n, 1<<16))
		// Walk from the nearer end: a range near the top of a large set
		// costs as little as one near the bottom.
		rev, skip := r.Rev, from
		if m.Size-to < from {
			rev, skip = !rev, m.Size-to
		}
		sp := zScorePrefix(ep)
		err := t.zWalk(sp, prefixEnd(sp), rev, skip, func(k, v []byte) bool {
			out = append(out, zFromScoreKey(ep, k, v))
			return int64(len(out)) < n
		})
		if rev != r.Rev {
			slices.Reverse(out)
		}
		return out, err
	case ByScore, ByLex:
		if r.Offset < 0 || (r.Offset > 0 && r.Offset >= m.Size) || r.Limit == 0 {
			return nil, nil
		}
		lo, hi := scoreRange(ep, r.Min, r.Max)
		decode := zFromScoreKey
		if r.By == ByLex {
			lo, hi = lexRange(ep, r.LexMin, r.LexMax)
			decode = zFromMemberKey
		}
		err := t.zWalk(lo, hi, r.Rev, r.Offset, func(k, v []byte) bool {
			out = append(out, decode(ep, k, v))
			return r.Limit < 0 || int64(len(out)) < r.Limit
		})
		return out, err
	}
	return nil, nil
}

// ZRange returns the elements a spec selects, in its order (ZRANGE and
// its older forms). A missing key is empty.
func (t *Txn) ZRange(db int, key []byte, r ZRangeSpec) ([]ScoreMember, error) {
	m, ok, err := t.lookupType(db, key, TypeZSet)
	if err != nil || !ok {
		return nil, err
	}
	return t.zRange(elemPrefix(t.phys(db), key), &m, r)
}

// ZCount counts the elements with a score in [min, max] (ZCOUNT). It walks
// them: O(count).
func (t *Txn) ZCount(db int, key []byte, min, max ScoreBound) (int64, error) {
	m, ok, err := t.lookupType(db, key, TypeZSet)
	if err != nil || !ok {
		return 0, err
	}
	if !min.Excl && math.IsInf(min.Value, -1) && !max.Excl && math.IsInf(max.Value, 1) {
		return m.Size, nil // every score
	}
	lo, hi := scoreRange(elemPrefix(t.phys(db), key), min, max)
	var n int64
	err = t.zWalk(lo, hi, false, 0, func(k, v []byte) bool { n++; return true })
	return n, err
}

// ZLexCount counts the members between two lex bounds (ZLEXCOUNT).
func (t *Txn) ZLexCount(db int, key []byte, min, max LexBound) (int64, error) {
	m, ok, err := t.lookupType(db, key, TypeZSet)
	if err != nil || !ok {
		return 0, err
	}
	if min.Inf < 0 && max.Inf > 0 {
		return m.Size, nil
	}
	lo, hi := lexRange(elemPrefix(t.phys(db), key), min, max)
	var n int64
	err = t.zWalk(lo, hi, false, 0, func(k, v []byte) bool { n++; return true })
	return n, err
}

// ZRemRange removes the elements a spec selects (ZREMRANGEBYRANK,
// ZREMRANGEBYSCORE, ZREMRANGEBYLEX) and returns how many. Removing all of
// them is one range delete.
func (t *Txn) ZRemRange(db int, key []byte, r ZRangeSpec) (int64, error) {
	m, ok, err := t.lookupType(db, key, TypeZSet)
	if err != nil || !ok {
		return 0, err
	}
	r.Offset, r.Limit, r.Rev = 0, -1, false
	ep := elemPrefix(t.phys(db), key)
	items, err := t.zRange(ep, &m, r)
	if err != nil || len(items) == 0 {
		return 0, err
	}
	if err := t.zRemove(db, key, ep, m, items); err != nil {
		return 0, err
	}
	return int64(len(items)), nil
}

// zRemove deletes existing elements of the sorted set whose metadata is m.
func (t *Txn) zRemove(db int, key, ep []byte, m Meta, items []ScoreMember) error {
	old := m
	m.Size -= int64(len(items))
	if m.Size > 0 {
		for _, e := range items {
			if err := t.zDel(ep, e.Member, e.Score); err != nil {
				return err
			}
		}
	}
	t.dirty += int64(len(items))
	return t.zSave(db, key, &m, &old)
}

// ZPop removes and returns up to count elements with the lowest scores, or
// the highest with max (ZPOPMIN, ZPOPMAX, ZMPOP and the blocking pops).
// exists is false when the key is missing.
func (t *Txn) ZPop(db int, key []byte, max bool, count int64) (items []ScoreMember, exists bool, err error) {
	m, ok, err := t.lookupType(db, key, TypeZSet)
	if err != nil || !ok {
		return nil, false, err
	}
	if count <= 0 {
		return nil, true, nil
	}
	ep := elemPrefix(t.phys(db), key)
	items, err = t.zRange(ep, &m, ZRangeSpec{By: ByRank, Start: 0, Stop: count - 1, Rev: max})
	if err != nil {
		return nil, true, err
	}
	if err := t.zRemove(db, key, ep, m, items); err != nil {
		return nil, true, err
	}
	return items, true, nil
}

// ZStore replaces dst (of any type) with a sorted set of items, whose
// members must be distinct; no items deletes dst. It returns the new
// cardinality (ZRANGESTORE, ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE).
func (t *Txn) ZStore(db int, dst []byte, items []ScoreMember) (int64, error) {
	for _, e := range items {
		if math.IsNaN(e.Score) {
			return 0, ErrScoreNaN
		}
	}
	old, exists, err := t.Lookup(db, dst)
	if err != nil {
		return 0, err
	}
	if exists {
		if err := t.deleteKey(db, dst, &old); err != nil {
			return 0, err
		}
		t.dirty++
	}
	if len(items) == 0 {
		return 0, nil
	}
	ep := elemPrefix(t.phys(db), dst)
	for _, e := range items {
		if err := t.zPut(ep, e.Member, e.Score); err != nil {
			return 0, err
		}
	}
	m := Meta{Type: TypeZSet, Size: int64(len(items))}
	if err := t.putMeta(db, dst, &m, nil); err != nil {
		return 0, err
	}
	if !exists {
		t.dirty++
	}
	return m.Size, nil
}

// SortScoreMembers sorts elements in sorted set order: by score, then by
// member bytes.
func SortScoreMembers(items []ScoreMember) {
	slices.SortFunc(items, func(a, b ScoreMember) int {
		if c := cmp.Compare(a.Score, b.Score); c != 0 {
			return c
		}
		return bytes.Compare(a.Member, b.Member)
	})
}

// ZSetOpKind is the operation ZCombine computes.
type ZSetOpKind uint8

const (
	ZUnion ZSetOpKind = iota
	ZInter
	ZDiff
)

// Aggregate is how ZUNION and ZINTER combine the scores of a member.
type Aggregate uint8

const (
	AggSum Aggregate = iota
	AggMin
	AggMax
)

// ZSetOp describes ZUNION, ZINTER or ZDIFF over keys that are sorted sets
// (or plain sets, whose members score 1) or missing (empty).
type ZSetOp struct {
	Kind      ZSetOpKind
	Keys      [][]byte
	Weights   []float64 // one per key; nil = all 1 (ignored by ZDiff)
	Aggregate Aggregate
}

// zsource is one input of a set operation.
type zsource struct {
	typ    Type // TypeNone: missing
	ep     []byte
	size   int64
	weight float64
}

// zSources looks every key up first, so a wrong type fails before any work,
// as in Redis.
func (t *Txn) zSources(db int, keys [][]byte, weights []float64) ([]zsource, error) {
	src := make([]zsource, len(keys))
	for i, k := range keys {
		src[i].weight = 1
		if weights != nil {
			src[i].weight = weights[i]
		}
		m, ok, err := t.Lookup(db, k)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if m.Type != TypeZSet && m.Type != TypeSet {
			return nil, ErrWrongType
		}
		src[i].typ, src[i].ep, src[i].size = m.Type, elemPrefix(t.phys(db), k), m.Len()
	}
	return src, nil
}

// each calls fn for every element of a source, in member order.
func (t *Txn) zEach(s *zsource, fn func(member []byte, score float64) bool) error {
	switch s.typ {
	case TypeZSet:
		mp := zMemberPrefix(s.ep)
		return t.zWalk(mp, prefixEnd(mp), false, 0, func(k, v []byte) bool {
			return fn(k[len(mp):], zScoreOf(v))
		})
	case TypeSet:
		return t.zWalk(s.ep, prefixEnd(s.ep), false, 0, func(k, v []byte) bool {
			return fn(k[len(s.ep):], 1)
		})
	}
	return nil
}

// zFind returns a member's score in a source.
func (t *Txn) zFind(s *zsource, member []byte) (float64, bool, error) {
	switch s.typ {
	case TypeZSet:
		v, ok, err := t.get(zMemberKey(s.ep, member))
		return zScoreOf(v), ok, err
	case TypeSet:
		_, ok, err := t.get(elemKey(s.ep, member))
		return 1, ok, err
	}
	return 0, false, nil
}

// aggregate folds val into *acc as Redis's zunionInterAggregate does
// (inf + -inf sums to 0, not NaN).
func aggregate(acc *float64, val float64, a Aggregate) {
	switch a {
	case AggSum:
		*acc += val
		if math.IsNaN(*acc) {
			*acc = 0
		}
	case AggMin:
		if val < *acc {
			*acc = val
		}
	case AggMax:
		if val > *acc {
			*acc = val
		}
	}
}

// weighted is score*weight with Redis's rule that 0 * inf is 0.
func weighted(score, weight float64) float64 {
	v := score * weight
	if math.IsNaN(v) {
		return 0
	}
	return v
}

// ZCombine computes ZUNION, ZINTER or ZDIFF and returns the result in
// sorted set order. ZINTER walks the smallest input and looks members up
// in the others; ZDIFF walks the first. Inputs are read whole for ZUNION.
func (t *Txn) ZCombine(db int, o ZSetOp) ([]ScoreMember, error) {
	src, err := t.zSources(db, o.Keys, o.Weights)
	if err != nil {
		return nil, err
	}
	var out []ScoreMember
	switch o.Kind {
	case ZUnion:
		// Smallest first, as Redis, so sums add up in the same order.
		slices.SortStableFunc(src, func(a, b zsource) int { return cmp.Compare(a.size, b.size) })
		acc := map[string]float64{}
		for i := range src {
			err := t.zEach(&src[i], func(mem []byte, score float64) bool {
				v := weighted(score, src[i].weight)
				if cur, ok := acc[string(mem)]; ok {
					aggregate(&cur, v, o.Aggregate)
					acc[string(mem)] = cur
				} else {
					acc[string(mem)] = v
				}
				return true
			})
			if err != nil {
				return nil, err
			}
		}
		out = make([]ScoreMember, 0, len(acc))
		for m, s := range acc {
			out = append(out, ScoreMember{Member: []byte(m), Score: s})
		}
	case ZInter:
		out, err = t.zInter(src, o.Aggregate, -1)
		if err != nil {
			return nil, err
		}
	case ZDiff:
		if len(src) == 0 || src[0].typ == TypeNone {
			return nil, nil
		}
		var ferr error
		err := t.zEach(&src[0], func(mem []byte, score float64) bool {
			for j := 1; j < len(src); j++ {
				_, ok, err := t.zFind(&src[j], mem)
				if err != nil {
					ferr = err
					return false
				}
				if ok {
					return true
				}
			}
			out = append(out, ScoreMember{Member: bytes.Clone(mem), Score: score})
			return true
		})
		if err = errors.Join(err, ferr); err != nil {
			return nil, err
		}
	}
	SortScoreMembers(out)
	return out, nil
}

// zInter intersects sources; limit >= 0 stops after that many members.
func (t *Txn) zInter(src []zsource, agg Aggregate, limit int) ([]ScoreMember, error) {
	slices.SortStableFunc(src, func(a, b zsource) int { return cmp.Compare(a.size, b.size) })
	if len(src) == 0 || src[0].size == 0 {
		return nil, nil
	}
	var out []ScoreMember
	var ferr error
	err := t.zEach(&src[0], func(mem []byte, score float64) bool {
		acc := weighted(score, src[0].weight)
		for j := 1; j < len(src); j++ {
			s, ok, err := t.zFind(&src[j], mem)
			if err != nil {
				ferr = err
				return false
			}
			if !ok {
				return true
			}
			aggregate(&acc, s*src[j].weight, agg)
		}
		out = append(out, ScoreMember{Member: bytes.Clone(mem), Score: acc})
		return limit < 0 || len(out) < limit
	})
	return out, errors.Join(err, ferr)
}

// ZInterCard counts the members of the intersection of keys, stopping at
// limit when limit > 0 (ZINTERCARD).
func (t *Txn) ZInterCard(db int, keys [][]byte, limit int64) (int64, error) {
	src, err := t.zSources(db, keys, nil)
	if err != nil {
		return 0, err
	}
	l := -1
	if limit > 0 {
		l = int(min(limit, math.MaxInt32))
	}
	out, err := t.zInter(src, AggSum, l)
	return int64(len(out)), err
}

// ZRandMember returns random elements (ZRANDMEMBER) with Redis's count
// rules: count >= 0 gives min(count, n) distinct elements, count < 0 gives
// -count elements that may repeat. The picks are the member records'
// random sampling, shared with SRANDMEMBER and HRANDFIELD: uniform for
// small sets, one seek per pick for large ones.
func (t *Txn) ZRandMember(db int, key []byte, count int64) ([]ScoreMember, error) {
	m, ok, err := t.lookupType(db, key, TypeZSet)
	if err != nil || !ok || count == 0 {
		return nil, err
	}
	members, scores, err := t.sample(zMemberPrefix(elemPrefix(t.phys(db), key)), m.Size, count, true)
	if err != nil {
		return nil, err
	}
	out := make([]ScoreMember, len(members))
	for i := range members {
		out[i] = ScoreMember{Member: members[i], Score: zScoreOf(scores[i])}
	}
	return out, nil
}

// ZScanOptions filter ZSCAN.
type ZScanOptions struct {
	Match []byte // glob on the member, nil = all
	Count int    // members to examine (a hint, as in Redis); default 10
}

// ZScan walks a sorted set in member order, like the hash and set scans:
// the cursor is an id in the DB's cursor table holding the last member
// returned, so a scan resumes exactly after it; an unknown or evicted
// cursor restarts from the first member (members may repeat, none is
// missed). A small set is returned whole by the first call. 0 ends the
// scan.
func (t *Txn) ZScan(db int, key []byte, cursor uint64, o ZScanOptions) (uint64, []ScoreMember, error) {
	m, ok, err := t.lookupType(db, key, TypeZSet)
	if err != nil || !ok {
		return 0, nil, err
	}
	ep := elemPrefix(t.phys(db), key)
	mp := zMemberPrefix(ep)
	lo := mp
	if cursor != 0 {
		if last, ok := t.db.elemCursorLoad(cursor); ok && bytes.HasPrefix(last, mp) {
			lo = append(last, 0)
		}
	}
	count := o.Count
	if count <= 0 {
		count = 10
	}
	if cursor == 0 && m.Size <= elemScanWhole {
		count = max(count, int(m.Size)) // whole, as Redis's compact encoding
	}
	var out []ScoreMember
	var last []byte
	examined := 0
	err = t.zWalk(lo, prefixEnd(mp), false, 0, func(k, v []byte) bool {
		if examined == count {
			return false
		}
		examined++
		last = append(last[:0], k...)
		e := zFromMemberKey(ep, k, v)
		if o.Match == nil || Match(o.Match, e.Member, false) {
			out = append(out, e)
		}
		return true
	})
	if err != nil || examined < count {
		return 0, out, err
	}
	// Peek: a scan that ended exactly on the last member returns 0 now.
	more := false
	if err := t.zWalk(append(bytes.Clone(last), 0), prefixEnd(mp), false, 0, func(k, v []byte) bool {
		more = true
		return false
	}); err != nil || !more {
		return 0, out, err
	}
	return t.db.elemCursorSave(last), out, nil
}

// elemCursorSave stores the last element key an element scan returned in
// the DB's cursor table (shared with SCAN, same eviction) and returns its
// cursor.
func (db *DB) elemCursorSave(last []byte) uint64 {
	db.scanMu.Lock()
	defer db.scanMu.Unlock()
	db.scanSeq++
	id := db.scanSeq & (1<<50 - 1)
	if id == 0 {
		db.scanSeq++
		id = db.scanSeq
	}
	db.scanCursors[id] = bytes.Clone(last)
	db.scanOrder = append(db.scanOrder, id)
	if len(db.scanOrder) > scanCursorCap {
		delete(db.scanCursors, db.scanOrder[0])
		db.scanOrder = db.scanOrder[1:]
	}
	return id
}

// elemCursorLoad returns the element key saved under cursor.
func (db *DB) elemCursorLoad(cursor uint64) ([]byte, bool) {
	db.scanMu.Lock()
	defer db.scanMu.Unlock()
	last, ok := db.scanCursors[cursor]
	return bytes.Clone(last), ok
}
