package engine

import (
	"bytes"
	"errors"
	"slices"

	"github.com/cockroachdb/pebble/v2"
)

// A hash is its metadata record (Meta.Size = number of fields) and one
// element record per field: elemPrefix(key) + field → value. A set is the
// same with member → empty value (set.go). Both keep Meta.Size exact, and a
// key whose last element goes away is deleted, as Redis never keeps empty
// collections. The helpers at the end of this file (open/close of a
// collection, iteration, cursor scans) serve both; random picks are in
// set.go.

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
	subs := make([][]byte, len(pairs)/2)
	vals := make([][]byte, len(pairs)/2)
	for i := range subs {
		subs[i], vals[i] = pairs[2*i], pairs[2*i+1]
	}
	added, err := c.addMany(t, subs, vals, true)
	if err != nil {
		return 0, err
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
	c := &coll{db: db, key: key, exists: ok, old: m, m: m, prefix: elemPrefix(t.phys(db), key)}
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

// addManyMin: from this many elements on, addMany looks them up with one
// iterator in element order instead of one point read each.
const addManyMin = 8

// addMany adds elements (vals nil: empty values) and returns how many are
// new. An element given twice takes its last value.
func (c *coll) addMany(t *Txn, subs, vals [][]byte, replace bool) (int, error) {
	val := func(i int) []byte {
		if vals == nil {
			return nil
		}
		return vals[i]
	}
	if len(subs) < addManyMin {
		added := 0
		for i, sub := range subs {
			isNew, err := c.add(t, sub, val(i), replace)
			if err != nil {
				return 0, err
			}
			if isNew {
				added++
			}
		}
		return added, nil
	}
	// In element order, last occurrence first among equals, so each
	// element is looked up once by a forward-moving iterator.
	order := make([]int, len(subs))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int {
		if c := bytes.Compare(subs[a], subs[b]); c != 0 {
			return c
		}
		return b - a
	})
	// The iterator sees the collection as it was; the writes below do not
	// disturb it, and every element is written once. An empty collection
	// needs no lookups.
	var it *pebble.Iterator
	if c.m.Size > 0 {
		var err error
		if it, err = t.iter(c.prefix, prefixEnd(c.prefix)); err != nil {
			return 0, err
		}
		defer it.Close()
	}
	added := 0
	var k []byte
	for j, i := range order {
		if j > 0 && bytes.Equal(subs[i], subs[order[j-1]]) {
			continue
		}
		k = append(append(k[:0], c.prefix...), subs[i]...)
		exists := it != nil && it.SeekGE(k) && bytes.Equal(it.Key(), k)
		if exists && !replace {
			continue
		}
		if err := t.b.Set(k, val(i), nil); err != nil {
			return 0, err
		}
		if !exists {
			added++
		}
	}
	c.m.Size += int64(added)
	if it != nil {
		return added, it.Error()
	}
	return added, nil
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
