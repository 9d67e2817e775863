package engine

import (
	"bytes"
	"cmp"
	"math/rand/v2"
	"slices"

	"github.com/cockroachdb/pebble/v2"
)

// A set is its metadata record (Meta.Size = number of members) and one
// element record per member: elemPrefix(key) + member → empty. The
// collection helpers it shares with hashes are in hash.go; the random
// picks of SPOP and SRANDMEMBER, shared with HRANDFIELD, are at the end
// of this file.

// SAdd adds members to a set, creating the key when missing, and returns
// how many are new.
func (t *Txn) SAdd(db int, key []byte, members [][]byte) (int, error) {
	c, err := t.openColl(db, key, TypeSet)
	if err != nil {
		return 0, err
	}
	added, err := c.addMany(t, members, nil, false)
	if err != nil {
		return 0, err
	}
	if added == 0 {
		return 0, nil
	}
	if err := t.closeColl(c); err != nil {
		return 0, err
	}
	t.dirty += int64(added)
	return added, nil
}

// SRem removes members of a set and returns how many existed. The key goes
// away with its last member.
func (t *Txn) SRem(db int, key []byte, members [][]byte) (int, error) {
	return t.removeElems(db, key, TypeSet, members)
}

// SIsMember reports whether member is in the set.
func (t *Txn) SIsMember(db int, key, member []byte) (bool, error) {
	_, ok, err := t.lookupType(db, key, TypeSet)
	if err != nil || !ok {
		return false, err
	}
	_, found, err := t.get(elemKey(elemPrefix(t.phys(db), key), member))
	return found, err
}

// SMIsMember reports for each member whether it is in the set.
func (t *Txn) SMIsMember(db int, key []byte, members [][]byte) ([]bool, error) {
	out := make([]bool, len(members))
	_, ok, err := t.lookupType(db, key, TypeSet)
	if err != nil || !ok {
		return out, err
	}
	p := elemPrefix(t.phys(db), key)
	for i, m := range members {
		_, found, err := t.get(elemKey(p, m))
		if err != nil {
			return nil, err
		}
		out[i] = found
	}
	return out, nil
}

// SCard returns the number of members (0 when missing), from the metadata
// record: O(1).
func (t *Txn) SCard(db int, key []byte) (int64, error) {
	m, _, err := t.lookupType(db, key, TypeSet)
	if err != nil {
		return 0, err
	}
	return m.Size, nil
}

// SMembers returns every member of a set in order.
func (t *Txn) SMembers(db int, key []byte) ([][]byte, error) {
	_, ok, err := t.lookupType(db, key, TypeSet)
	if err != nil || !ok {
		return nil, err
	}
	subs, _, err := t.elems(elemPrefix(t.phys(db), key), false)
	return subs, err
}

// SScan returns members of a set from a cursor (see elemScan).
func (t *Txn) SScan(db int, key []byte, cursor uint64, o ScanOptions) (uint64, [][]byte, error) {
	next, subs, _, err := t.elemScan(db, key, TypeSet, cursor, o)
	return next, subs, err
}

// SRandMember returns random members, as SRANDMEMBER: with count ≥ 0,
// min(count, size) distinct members; with count < 0, -count members that
// may repeat. Sampling is described on sample.
func (t *Txn) SRandMember(db int, key []byte, count int64) ([][]byte, error) {
	m, ok, err := t.lookupType(db, key, TypeSet)
	if err != nil || !ok {
		return nil, err
	}
	subs, _, err := t.sample(elemPrefix(t.phys(db), key), m.Size, count, false)
	return subs, err
}

// SPop removes and returns min(count, size) random distinct members
// (count ≥ 0). deleted reports that the set was emptied, and so deleted.
func (t *Txn) SPop(db int, key []byte, count int64) (members [][]byte, deleted bool, err error) {
	c, err := t.openColl(db, key, TypeSet)
	if err != nil || !c.exists || count <= 0 {
		return nil, false, err
	}
	members, _, err = t.sample(c.prefix, c.m.Size, count, false)
	if err != nil || len(members) == 0 {
		return nil, false, err
	}
	if int64(len(members)) >= c.m.Size {
		c.m.Size = 0 // the whole set: one range delete in closeColl
	} else {
		for _, m := range members {
			if err := t.b.Delete(elemKey(c.prefix, m), nil); err != nil {
				return nil, false, err
			}
		}
		c.m.Size -= int64(len(members))
	}
	if err := t.closeColl(c); err != nil {
		return nil, false, err
	}
	t.dirty += int64(len(members))
	return members, c.m.Size == 0, nil
}

// SMove moves member from the set src to the set dst, as SMOVE: a missing
// src is a no-op before any type check; src == dst only reports
// membership. It reports whether member was in src.
func (t *Txn) SMove(db int, src, dst, member []byte) (bool, error) {
	sm, sok, err := t.Lookup(db, src)
	if err != nil {
		return false, err
	}
	dm, dok, err := t.Lookup(db, dst)
	if err != nil || !sok {
		return false, err
	}
	if sm.Type != TypeSet || (dok && dm.Type != TypeSet) {
		return false, ErrWrongType
	}
	if bytes.Equal(src, dst) {
		return t.SIsMember(db, src, member)
	}
	sc, err := t.openColl(db, src, TypeSet)
	if err != nil {
		return false, err
	}
	if removed, err := sc.remove(t, member); err != nil || !removed {
		return false, err
	}
	if err := t.closeColl(sc); err != nil {
		return false, err
	}
	t.dirty++
	dc, err := t.openColl(db, dst, TypeSet)
	if err != nil {
		return false, err
	}
	added, err := dc.add(t, member, nil, false)
	if err != nil {
		return false, err
	}
	if added {
		if err := t.closeColl(dc); err != nil {
			return false, err
		}
		t.dirty++
	}
	return true, nil
}

// setSource is one input of SINTER, SUNION or SDIFF; a missing key is an
// empty set.
type setSource struct {
	prefix []byte
	size   int64
	exists bool
}

// setSources looks every key up first (a wrong type anywhere is an error,
// as in Redis), so no iterator is open while a write Txn deletes an
// expired key.
func (t *Txn) setSources(db int, keys [][]byte) ([]setSource, error) {
	out := make([]setSource, len(keys))
	for i, k := range keys {
		m, ok, err := t.lookupType(db, k, TypeSet)
		if err != nil {
			return nil, err
		}
		out[i] = setSource{prefix: elemPrefix(t.phys(db), k), size: m.Size, exists: ok}
	}
	return out, nil
}

// inSet reports whether the set s holds member.
func (t *Txn) inSet(s *setSource, member []byte) (bool, error) {
	if !s.exists {
		return false, nil
	}
	_, found, err := t.get(elemKey(s.prefix, member))
	return found, err
}

// SInter returns the members common to all the sets, in order.
func (t *Txn) SInter(db int, keys [][]byte) ([][]byte, error) {
	var out [][]byte
	err := t.inter(db, keys, func(m []byte) bool {
		out = append(out, bytes.Clone(m))
		return true
	})
	return out, err
}

// SInterCard counts the members common to all the sets, stopping at limit
// when limit > 0.
func (t *Txn) SInterCard(db int, keys [][]byte, limit int64) (int64, error) {
	var n int64
	err := t.inter(db, keys, func([]byte) bool {
		n++
		return limit <= 0 || n < limit
	})
	return n, err
}

// inter calls fn for each member common to all the sets until fn returns
// false. It walks the smallest set and looks each member up in the
// others, so the cost follows the smallest set, not the largest.
func (t *Txn) inter(db int, keys [][]byte, fn func(member []byte) bool) error {
	srcs, err := t.setSources(db, keys)
	if err != nil {
		return err
	}
	for _, s := range srcs {
		if !s.exists {
			return nil
		}
	}
	slices.SortFunc(srcs, func(a, b setSource) int { return cmp.Compare(a.size, b.size) })
	small := srcs[0]
	others := make([]setSource, 0, len(srcs)-1)
	for _, s := range srcs[1:] {
		if !bytes.Equal(s.prefix, small.prefix) {
			others = append(others, s)
		}
	}
	it, err := t.iter(small.prefix, prefixEnd(small.prefix))
	if err != nil {
		return err
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		m := it.Key()[len(small.prefix):]
		in := true
		for i := range others {
			if in, err = t.inSet(&others[i], m); err != nil {
				return err
			} else if !in {
				break
			}
		}
		if in && !fn(m) {
			break
		}
	}
	return it.Error()
}

// SUnion returns the members of any of the sets, in order.
func (t *Txn) SUnion(db int, keys [][]byte) ([][]byte, error) {
	srcs, err := t.setSources(db, keys)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for _, s := range srcs {
		if !s.exists {
			continue
		}
		subs, _, err := t.elems(s.prefix, false)
		if err != nil {
			return nil, err
		}
		out = append(out, subs...)
	}
	slices.SortFunc(out, bytes.Compare)
	return slices.CompactFunc(out, bytes.Equal), nil
}

// SDiff returns the members of the first set that are in none of the
// others, in order.
func (t *Txn) SDiff(db int, keys [][]byte) ([][]byte, error) {
	srcs, err := t.setSources(db, keys)
	if err != nil || !srcs[0].exists {
		return nil, err
	}
	first := srcs[0]
	it, err := t.iter(first.prefix, prefixEnd(first.prefix))
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out [][]byte
next:
	for it.First(); it.Valid(); it.Next() {
		m := it.Key()[len(first.prefix):]
		for i := range srcs[1:] {
			if in, err := t.inSet(&srcs[1+i], m); err != nil {
				return nil, err
			} else if in {
				continue next
			}
		}
		out = append(out, bytes.Clone(m))
	}
	return out, it.Error()
}

// SStore replaces dst (of any type, with its TTL) by a set of members, as
// the *STORE commands do; no members deletes dst. members is sorted in
// place and duplicates are dropped. It returns the size of the new set.
func (t *Txn) SStore(db int, dst []byte, members [][]byte) (int64, error) {
	old, exists, err := t.Lookup(db, dst)
	if err != nil {
		return 0, err
	}
	if exists {
		if err := t.deleteKey(db, dst, &old); err != nil {
			return 0, err
		}
	}
	slices.SortFunc(members, bytes.Compare)
	members = slices.CompactFunc(members, bytes.Equal)
	if len(members) == 0 {
		if exists {
			t.dirty++
		}
		return 0, nil
	}
	p := elemPrefix(t.phys(db), dst)
	for _, m := range members {
		if err := t.b.Set(elemKey(p, m), nil, nil); err != nil {
			return 0, err
		}
	}
	m := Meta{Type: TypeSet, Size: int64(len(members))}
	if err := t.putMeta(db, dst, &m, nil); err != nil {
		return 0, err
	}
	t.dirty++
	return m.Size, nil
}

// sampleExact: collections up to this size are loaded whole for random
// picks, so their picks are exactly uniform.
const sampleExact = 512

// sample picks random elements of the collection under prefix p, whose
// metadata says it has n elements, with Redis's count rules (HRANDFIELD,
// SRANDMEMBER, SPOP): count ≥ 0 gives min(count, n) distinct elements,
// count < 0 gives -count elements that may repeat. Values come along when
// withValues.
//
// Small collections (≤ sampleExact) and requests for a large share of a
// collection read it whole and pick exactly uniformly. Otherwise each
// pick is a few seeks (randomSeeker), whatever the size: every element
// can be picked, close to but not exactly uniformly (Redis's own picks are
// not exactly uniform either).
func (t *Txn) sample(p []byte, n, count int64, withValues bool) (subs, vals [][]byte, err error) {
	if n <= 0 || count == 0 {
		return nil, nil, nil
	}
	unique := count > 0
	if !unique {
		count = -count
	}
	switch {
	case unique && count >= n:
		return t.elems(p, withValues)
	case n <= sampleExact || (!unique && count >= n/4):
		all, allVals, err := t.elems(p, withValues)
		if err != nil || len(all) == 0 {
			return nil, nil, err
		}
		if unique {
			return pickDistinct(all, allVals, int(min(count, int64(len(all)))))
		}
		subs = make([][]byte, 0, min(count, 1<<16))
		for range count {
			i := rand.IntN(len(all))
			subs = append(subs, all[i])
			if withValues {
				vals = append(vals, allVals[i])
			}
		}
		return subs, vals, nil
	case unique && count >= n/3:
		return t.selectionSample(p, n, count, withValues)
	}
	s, err := t.newRandomSeeker(p, n)
	if err != nil || s == nil {
		return nil, nil, err
	}
	defer s.close()
	var chosen map[string]bool
	if unique {
		chosen = make(map[string]bool, count)
	}
	for int64(len(subs)) < count {
		if !s.pick() {
			break
		}
		if unique {
			// Step past elements already chosen: fewer than a third of
			// the collection is chosen, so this ends quickly.
			for steps := int64(0); chosen[string(s.sub())] && steps < n; steps++ {
				s.next()
			}
			if chosen[string(s.sub())] {
				break
			}
			chosen[string(s.sub())] = true
		}
		subs = append(subs, bytes.Clone(s.sub()))
		if withValues {
			vals = append(vals, cloneValue(s.it.Value()))
		}
	}
	return subs, vals, s.it.Error()
}

// pickDistinct returns k random elements of all (a partial Fisher–Yates
// shuffle; all is reordered).
func pickDistinct(all, vals [][]byte, k int) ([][]byte, [][]byte, error) {
	for i := range k {
		j := i + rand.IntN(len(all)-i)
		all[i], all[j] = all[j], all[i]
		if vals != nil {
			vals[i], vals[j] = vals[j], vals[i]
		}
	}
	if vals != nil {
		vals = vals[:k]
	}
	return all[:k], vals, nil
}

// selectionSample picks k distinct elements uniformly in one pass over the
// n elements (Knuth's algorithm S), then shuffles them.
func (t *Txn) selectionSample(p []byte, n, k int64, withValues bool) (subs, vals [][]byte, err error) {
	it, err := t.iter(p, prefixEnd(p))
	if err != nil {
		return nil, nil, err
	}
	seen := int64(0)
	for it.First(); it.Valid() && int64(len(subs)) < k; it.Next() {
		left := n - seen
		seen++
		if left > 0 && rand.Int64N(left) >= k-int64(len(subs)) {
			continue
		}
		subs = append(subs, bytes.Clone(it.Key()[len(p):]))
		if withValues {
			vals = append(vals, cloneValue(it.Value()))
		}
	}
	if err := it.Close(); err != nil {
		return nil, nil, err
	}
	rand.Shuffle(len(subs), func(i, j int) {
		subs[i], subs[j] = subs[j], subs[i]
		if vals != nil {
			vals[i], vals[j] = vals[j], vals[i]
		}
	})
	return subs, vals, nil
}

// randomSeeker positions an iterator on random elements of a collection
// without reading it whole.
//
// It models element names as strings whose byte at each position is drawn
// uniformly from the bytes that occur there, or ends there. The model is
// learnt along one random path down the trie of names: at each depth the
// distinct next bytes under the path are listed exactly, one seek each
// (a depth with more than denseBytes of them draws from the whole range
// they span), and a random one, preferably shared by many elements,
// extends the path.
//
// A pick draws a name and seeks to it. The deepest prefix of the drawn
// name that some element shares names a branch of the trie. A big branch
// (branchCap elements or more) lands on the element found, then steps
// forward up to seekWalk-1 elements to even out what the model misses. A
// small branch is counted: it is taken with probability (its elements /
// the elements the model expects there), so a lone element in a wide
// branch is not picked as often as the whole branch, and then one of its
// elements is chosen uniformly. Decimal, hex, uuid and binary names come
// out within a small factor of uniform, and every element can be picked.
type randomSeeker struct {
	it     *pebble.Iterator
	p      []byte // element prefix
	n      int64  // number of elements (metadata)
	model  []bytePos
	seekTo []byte   // scratch
	branch [][]byte // scratch: the keys of a small branch
}

// bytePos is what the model knows of one position of a name.
type bytePos struct {
	choices []byte // the distinct bytes found here, in order
	dense   bool   // too many to list: draw from lo..hi
	lo, hi  byte
	end     bool // some name ends here
}

// width is the number of outcomes a draw has at this position.
func (bp *bytePos) width() int {
	n := len(bp.choices)
	if bp.dense {
		n = int(bp.hi) - int(bp.lo) + 1
	}
	if bp.end {
		n++
	}
	return n
}

const (
	seekWalk   = 16 // a pick in a big branch steps forward up to this many elements - 1
	branchCap  = 64 // a branch with fewer elements is counted and sampled exactly
	denseBytes = 64 // a position with more distinct bytes draws from its range
	modelLen   = 32 // deepest position the model describes
	maxRejects = 32 // draws a pick may reject before it takes what it finds
)

// newRandomSeeker opens a seeker on the n elements under prefix p; nil
// when there are none. The caller must close it.
func (t *Txn) newRandomSeeker(p []byte, n int64) (*randomSeeker, error) {
	it, err := t.iter(p, prefixEnd(p))
	if err != nil {
		return nil, err
	}
	if !it.First() {
		return nil, it.Close()
	}
	s := &randomSeeker{it: it, p: p, n: n}
	path := bytes.Clone(p)
	for len(s.model) < modelLen && s.count(path) >= branchCap {
		bp := s.enumerate(path)
		s.model = append(s.model, bp)
		c, ok := s.branchByte(path, &bp)
		if !ok {
			break
		}
		path = append(path, c)
	}
	return s, it.Error()
}

// branchByte chooses the byte that extends the learning path: a random
// one of bp, preferring a branch of branchCap elements or more.
func (s *randomSeeker) branchByte(path []byte, bp *bytePos) (byte, bool) {
	var c byte
	found := false
	for try := range 8 {
		switch {
		case bp.dense:
			k := append(bytes.Clone(path), bp.lo+byte(rand.IntN(int(bp.hi-bp.lo)+1)))
			if !s.it.SeekGE(k) || !bytes.HasPrefix(s.it.Key(), path) || len(s.it.Key()) == len(path) {
				continue
			}
			c, found = s.it.Key()[len(path)], true
		case len(bp.choices) > 0:
			c, found = bp.choices[rand.IntN(len(bp.choices))], true
		default:
			return 0, false // only the path itself: nothing deeper
		}
		if try == 7 || s.count(append(path, c)) >= branchCap {
			break
		}
	}
	return c, found
}

// count counts the elements that start with prefix, up to branchCap.
func (s *randomSeeker) count(prefix []byte) int {
	n := 0
	for ok := s.it.SeekGE(prefix); ok && n < branchCap && bytes.HasPrefix(s.it.Key(), prefix); ok = s.it.Next() {
		n++
	}
	return n
}

// enumerate lists the distinct bytes that follow path in element keys,
// one seek per byte.
func (s *randomSeeker) enumerate(path []byte) bytePos {
	var bp bytePos
	k := bytes.Clone(path)
	for ok := s.it.SeekGE(k); ok && bytes.HasPrefix(s.it.Key(), path); ok = s.it.SeekGE(k) {
		if len(s.it.Key()) == len(path) {
			bp.end = true
			k = append(k[:len(path)], 0)
			continue
		}
		c := s.it.Key()[len(path)]
		bp.choices = append(bp.choices, c)
		if len(bp.choices) > denseBytes {
			bp.dense, bp.lo, bp.hi = true, bp.choices[0], 0xff
			if s.it.SeekLT(prefixEnd(path)) && bytes.HasPrefix(s.it.Key(), path) && len(s.it.Key()) > len(path) {
				bp.hi = s.it.Key()[len(path)]
			}
			bp.choices = nil
			break
		}
		if c == 0xff {
			break
		}
		k = append(k[:len(path)], c+1)
	}
	return bp
}

// draw returns the element prefix followed by a name drawn from the
// model, and whether the name ended by the model's choice (rather than at
// the model's depth).
func (s *randomSeeker) draw() ([]byte, bool) {
	k := append(s.seekTo[:0], s.p...)
	ended := false
	for i := range s.model {
		bp := &s.model[i]
		w := bp.width()
		if w == 0 {
			break
		}
		c := rand.IntN(w)
		if bp.end {
			if c == 0 {
				ended = true
				break
			}
			c--
		}
		if bp.dense {
			k = append(k, bp.lo+byte(c))
		} else {
			k = append(k, bp.choices[c])
		}
	}
	s.seekTo = k
	return k, ended
}

// mass is the model's probability of drawing a name that starts with the
// given first depth bytes (and, with ended, ends right there).
func (s *randomSeeker) mass(depth int, ended bool) float64 {
	m := 1.0
	for i := range min(depth, len(s.model)) {
		m /= float64(s.model[i].width())
	}
	if ended && depth < len(s.model) {
		m /= float64(s.model[depth].width())
	}
	return m
}

// accept takes a draw that found c elements where the model expects
// n·mass of them with probability c/(n·mass) (1 if there are more).
func (s *randomSeeker) accept(c int, mass float64) bool {
	fair := float64(s.n) * mass
	return fair <= float64(c) || rand.Float64()*fair < float64(c)
}

// pick moves to a random element; false when there is none.
func (s *randomSeeker) pick() bool {
	for try := 0; ; try++ {
		last := try >= maxRejects
		k, ended := s.draw()
		found := s.it.SeekGE(k)
		if ended && found && bytes.Equal(s.it.Key(), k) {
			// The drawn name itself: one element.
			if last || s.accept(1, s.mass(len(k)-len(s.p), true)) {
				return true
			}
			continue
		}
		d := 0
		if found {
			d = commonPrefixLen(k, s.it.Key())
		}
		if s.it.SeekLT(k) {
			d = max(d, commonPrefixLen(k, s.it.Key()))
		}
		// The deepest branch the drawn name reaches: small ones are
		// counted and sampled exactly.
		branch := k[:max(d, len(s.p))]
		c := s.collect(branch)
		if c >= branchCap {
			if !s.it.SeekGE(k) {
				s.it.First()
			}
			for range rand.IntN(seekWalk) {
				s.next()
			}
			return s.it.Valid()
		}
		if !last && !s.accept(c, s.mass(len(branch)-len(s.p), false)) {
			continue
		}
		if c == 0 {
			return s.it.First()
		}
		return s.it.SeekGE(s.branch[rand.IntN(c)])
	}
}

// collect gathers the keys of up to branchCap elements that start with
// prefix into s.branch and returns how many it found.
func (s *randomSeeker) collect(prefix []byte) int {
	n := 0
	for ok := s.it.SeekGE(prefix); ok && n < branchCap && bytes.HasPrefix(s.it.Key(), prefix); ok = s.it.Next() {
		if n == len(s.branch) {
			s.branch = append(s.branch, nil)
		}
		s.branch[n] = append(s.branch[n][:0], s.it.Key()...)
		n++
	}
	return n
}

// next moves to the following element, wrapping around at the end.
func (s *randomSeeker) next() {
	if !s.it.Next() {
		s.it.First()
	}
}

// sub is the current element's name (valid until the next move).
func (s *randomSeeker) sub() []byte { return s.it.Key()[len(s.p):] }

func (s *randomSeeker) close() error { return s.it.Close() }

func commonPrefixLen(a, b []byte) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
	}
	return n
}
