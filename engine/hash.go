package engine

import (
	"bytes"
	"errors"
	"math/rand/v2"

	"github.com/cockroachdb/pebble/v2"
)

// A hash is its metadata record (Meta.Size = number of fields) and one
// element record per field: elemPrefix(key) + field → value. A set is the
// same with member → empty value (set.go). Both keep Meta.Size exact, and a
// key whose last element goes away is deleted, as Redis never keeps empty
// collections. The helpers at the end of this file (open/close of a
// collection, iteration, random sampling, cursor scans) serve both.

// errOddPairs is returned by HSet when pairs has an odd length.
var errOddPairs = errors.New("engine: hash fields and values must come in pairs")

// HSet sets field/value pairs of a hash (pairs alternates field, value),
// creating the key when missing. A field given twice takes its last value.
// It returns how many fields are new.
func (t *Txn) HSet(db int, key []byte, pairs [][]byte) (int, error) {
	if len(pairs)%2 != 0 {
		return 0, errOddPairs
	}
	c, err := t.openColl(db, key, TypeHash)
	if err != nil {
		return 0, err
	}
	added := 0
	for i := 0; i < len(pairs); i += 2 {
		isNew, err := c.add(t, pairs[i], pairs[i+1], true)
		if err != nil {
			return 0, err
		}
		if isNew {
			added++
		}
	}
	if err := t.closeColl(c); err != nil {
		return 0, err
	}
	t.dirty += int64(len(pairs) / 2)
	return added, nil
}

// HSetNX sets a field only when it is absent; it reports whether it did.
func (t *Txn) HSetNX(db int, key, field, val []byte) (bool, error) {
	c, err := t.openColl(db, key, TypeHash)
	if err != nil {
		return false, err
	}
	if isNew, err := c.add(t, field, val, false); err != nil || !isNew {
		return false, err
	}
	if err := t.closeColl(c); err != nil {
		return false, err
	}
	t.dirty++
	return true, nil
}

// HGet returns the value of a hash field.
func (t *Txn) HGet(db int, key, field []byte) ([]byte, bool, error) {
	_, ok, err := t.lookupType(db, key, TypeHash)
	if err != nil || !ok {
		return nil, false, err
	}
	return t.get(elemKey(elemPrefix(t.phys(db), key), field))
}

// HMGet returns the values of fields in order: nil for a missing field or
// key (an empty value is a non-nil empty slice).
func (t *Txn) HMGet(db int, key []byte, fields [][]byte) ([][]byte, error) {
	out := make([][]byte, len(fields))
	_, ok, err := t.lookupType(db, key, TypeHash)
	if err != nil || !ok {
		return out, err
	}
	p := elemPrefix(t.phys(db), key)
	for i, f := range fields {
		v, found, err := t.get(elemKey(p, f))
		if err != nil {
			return nil, err
		}
		if found {
			out[i] = v
		}
	}
	return out, nil
}

// HDel removes fields of a hash and returns how many existed. The key goes
// away with its last field.
func (t *Txn) HDel(db int, key []byte, fields [][]byte) (int, error) {
	return t.removeElems(db, key, TypeHash, fields)
}

// HLen returns the number of fields of a hash (0 when missing), from the
// metadata record: O(1).
func (t *Txn) HLen(db int, key []byte) (int64, error) {
	m, _, err := t.lookupType(db, key, TypeHash)
	if err != nil {
		return 0, err
	}
	return m.Size, nil
}

// HGetAll returns the fields of a hash in field order, with their values
// when withValues.
func (t *Txn) HGetAll(db int, key []byte, withValues bool) (fields, vals [][]byte, err error) {
	_, ok, err := t.lookupType(db, key, TypeHash)
	if err != nil || !ok {
		return nil, nil, err
	}
	return t.elems(elemPrefix(t.phys(db), key), withValues)
}

// HScan returns fields and values of a hash from a cursor (see elemScan).
func (t *Txn) HScan(db int, key []byte, cursor uint64, o ScanOptions) (uint64, [][]byte, [][]byte, error) {
	return t.elemScan(db, key, TypeHash, cursor, o)
}

// HRandField returns random fields and their values, as HRANDFIELD: with
// count ≥ 0, min(count, size) distinct fields; with count < 0, -count
// fields that may repeat. Sampling is described on sample.
func (t *Txn) HRandField(db int, key []byte, count int64) (fields, vals [][]byte, err error) {
	m, ok, err := t.lookupType(db, key, TypeHash)
	if err != nil || !ok {
		return nil, nil, err
	}
	return t.sample(elemPrefix(t.phys(db), key), m.Size, count, true)
}

// coll is a hash or set being changed by a write Txn: its metadata before
// and after, and its element prefix. closeColl writes it back.
type coll struct {
	db     int
	key    []byte
	typ    Type
	exists bool
	old    Meta
	m      Meta
	prefix []byte
}

// openColl looks a collection up for writing (ErrWrongType on another
// type); a missing key opens as an empty collection of typ.
func (t *Txn) openColl(db int, key []byte, typ Type) (*coll, error) {
	m, ok, err := t.lookupType(db, key, typ)
	if err != nil {
		return nil, err
	}
	c := &coll{db: db, key: key, typ: typ, exists: ok, old: m, m: m, prefix: elemPrefix(t.phys(db), key)}
	if !ok {
		c.m = Meta{Type: typ}
	}
	return c, nil
}

// add writes one element and reports whether it is new. An existing
// element keeps its value unless replace.
func (c *coll) add(t *Txn, sub, val []byte, replace bool) (bool, error) {
	k := elemKey(c.prefix, sub)
	isNew := true
	if c.m.Size > 0 {
		_, found, err := t.get(k)
		if err != nil {
			return false, err
		}
		isNew = !found
	}
	if !isNew && !replace {
		return false, nil
	}
	if err := t.b.Set(k, val, nil); err != nil {
		return false, err
	}
	if isNew {
		c.m.Size++
	}
	return isNew, nil
}

// remove deletes one element and reports whether it existed.
func (c *coll) remove(t *Txn, sub []byte) (bool, error) {
	if c.m.Size == 0 {
		return false, nil
	}
	k := elemKey(c.prefix, sub)
	_, found, err := t.get(k)
	if err != nil || !found {
		return false, err
	}
	if err := t.b.Delete(k, nil); err != nil {
		return false, err
	}
	c.m.Size--
	return true, nil
}

// closeColl writes a changed collection's metadata; one left empty is
// deleted (one range delete of whatever elements remain).
func (t *Txn) closeColl(c *coll) error {
	if c.m.Size > 0 {
		var old *Meta
		if c.exists {
			old = &c.old
		}
		return t.putMeta(c.db, c.key, &c.m, old)
	}
	if c.exists {
		return t.deleteKey(c.db, c.key, &c.old)
	}
	return nil
}

// removeElems deletes elements of a hash or set and returns how many
// existed.
func (t *Txn) removeElems(db int, key []byte, typ Type, subs [][]byte) (int, error) {
	c, err := t.openColl(db, key, typ)
	if err != nil || !c.exists {
		return 0, err
	}
	n := 0
	for _, s := range subs {
		ok, err := c.remove(t, s)
		if err != nil {
			return 0, err
		}
		if ok {
			n++
		}
	}
	if n == 0 {
		return 0, nil
	}
	if err := t.closeColl(c); err != nil {
		return 0, err
	}
	t.dirty += int64(n)
	return n, nil
}

// elems returns every element under prefix p in order: the element names
// and, when withValues, their values (copies).
func (t *Txn) elems(p []byte, withValues bool) (subs, vals [][]byte, err error) {
	it, err := t.iter(p, prefixEnd(p))
	if err != nil {
		return nil, nil, err
	}
	for it.First(); it.Valid(); it.Next() {
		subs = append(subs, bytes.Clone(it.Key()[len(p):]))
		if withValues {
			vals = append(vals, cloneValue(it.Value()))
		}
	}
	return subs, vals, it.Close()
}

// cloneValue copies a value; an empty value stays non-nil (nil means
// "missing" to HMGet's callers).
func cloneValue(v []byte) []byte { return append(make([]byte, 0, len(v)), v...) }

// elemScanWhole: a collection of at most this many elements is returned
// whole by the first call of a cursor scan, as Redis does for its compact
// encodings.
const elemScanWhole = 128

// elemScan walks the elements of a hash or set (typ) in order, examining
// o.Count of them (default 10) per call and keeping those matching
// o.Match. The cursor is a number, as clients expect: an id in the DB's
// cursor table holding the last element returned, so a scan resumes right
// after it. An unknown or evicted cursor restarts the scan: elements may
// repeat, none present for the whole scan is missed. 0 ends the scan.
func (t *Txn) elemScan(db int, key []byte, typ Type, cursor uint64, o ScanOptions) (uint64, [][]byte, [][]byte, error) {
	m, ok, err := t.lookupType(db, key, typ)
	if err != nil || !ok {
		return 0, nil, nil, err
	}
	p := elemPrefix(t.phys(db), key)
	start := p
	if cursor != 0 {
		if last, ok := t.db.elemCursorLoad(cursor); ok && bytes.HasPrefix(last, p) {
			start = append(last, 0) // the first key after last
		}
	}
	count := o.Count
	if count <= 0 {
		count = 10
	}
	if cursor == 0 && m.Size <= elemScanWhole {
		count = max(count, int(m.Size))
	}
	it, err := t.iter(start, prefixEnd(p))
	if err != nil {
		return 0, nil, nil, err
	}
	defer it.Close()
	var subs, vals [][]byte
	examined := 0
	var last []byte
	for it.First(); it.Valid() && examined < count; it.Next() {
		examined++
		sub := it.Key()[len(p):]
		if o.Match == nil || Match(o.Match, sub, false) {
			subs = append(subs, bytes.Clone(sub))
			if typ == TypeHash {
				vals = append(vals, cloneValue(it.Value()))
			}
		}
		last = append(last[:0], it.Key()...)
	}
	if !it.Valid() { // the loop's last Next peeked past the last element
		return 0, subs, vals, it.Error()
	}
	return t.db.elemCursorSave(last), subs, vals, nil
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
// collection read it whole and pick uniformly. Otherwise each pick is a
// seek to a random point of the element key space (randomSeeker), so a
// pick costs one seek whatever the size; every element can be picked, but
// elements after wide gaps in the key space are picked more often (Redis's
// own picks are not uniform either).
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

func commonPrefixLen(a, b []byte) int {
	n := min(len(a), len(b))
	for i := range n {
		if a[i] != b[i] {
			return i
		}
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
