package engine

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
)

// scanCursorCap bounds the server-side cursor table. An evicted cursor
// resumes at the start of its slot: keys may repeat, none is missed.
const scanCursorCap = 1 << 16

// ScanOptions filter SCAN.
type ScanOptions struct {
	Match []byte // glob, nil = all
	Count int    // keys to examine (a hint, as in Redis); default 10
	Type  Type   // TypeNone = any
}

// Scan walks a logical db in key order (slot by slot). A cursor is a
// number, as clients expect: its low 14 bits hold the slot of the last key
// returned and the rest an id in a server-side table holding that key, so a
// scan resumes exactly after it. Every key present for the whole scan is
// returned at least once; 0 ends the scan.
func (t *Txn) Scan(db int, cursor uint64, o ScanOptions) (uint64, [][]byte, error) {
	p := t.phys(db)
	lo, hi := dbRange(p)
	start := lo
	if cursor != 0 {
		t.db.scanMu.Lock()
		last, ok := t.db.scanCursors[cursor>>14]
		t.db.scanMu.Unlock()
		if ok && len(last) > 3 && last[0] == nsData && int(binary.BigEndian.Uint16(last[1:])) == p {
			start = keyRangeEnd(last)
		} else {
			start, _ = slotRange(p, uint16(cursor&(SlotCount-1)))
		}
	}
	count := o.Count
	if count <= 0 {
		count = 10
	}
	it, err := t.iter(start, hi)
	if err != nil {
		return 0, nil, err
	}
	defer it.Close()
	var keys [][]byte
	var lastMeta []byte
	examined := 0
	for ok := it.First(); ok; {
		d, err := DecodeKey(it.Key())
		if err != nil || d.Elem {
			// Not a metadata record: skip to the next key's range.
			ok = it.SeekGE(keyRangeEnd(it.Key()))
			continue
		}
		examined++
		lastMeta = append(lastMeta[:0], it.Key()...)
		if m, err := decodeMeta(it.Value()); err == nil && !t.expired(&m) &&
			(o.Type == TypeNone || m.Type == o.Type) &&
			(o.Match == nil || Match(o.Match, d.Key, false)) {
			keys = append(keys, append([]byte(nil), d.Key...))
		}
		if examined >= count {
			break
		}
		ok = it.SeekGE(keyRangeEnd(it.Key()))
	}
	if examined < count || lastMeta == nil || !it.Valid() {
		return 0, keys, it.Error()
	}
	// More may follow: remember where we stopped.
	slot := binary.BigEndian.Uint16(lastMeta[3:5])
	t.db.scanMu.Lock()
	t.db.scanSeq++
	id := t.db.scanSeq & (1<<50 - 1)
	if id == 0 {
		t.db.scanSeq++
		id = t.db.scanSeq
	}
	t.db.scanCursors[id] = append([]byte(nil), lastMeta...)
	t.db.scanOrder = append(t.db.scanOrder, id)
	if len(t.db.scanOrder) > scanCursorCap {
		delete(t.db.scanCursors, t.db.scanOrder[0])
		t.db.scanOrder = t.db.scanOrder[1:]
	}
	t.db.scanMu.Unlock()
	return id<<14 | uint64(slot), keys, nil
}

// keyRangeEnd returns the first key after everything of the user key that
// data key k belongs to (its metadata and all its elements).
func keyRangeEnd(k []byte) []byte {
	d, err := DecodeKey(k)
	if err != nil || d.NS != nsData {
		return append(append([]byte(nil), k...), 0)
	}
	return append(appendDataPrefix(nil, d.DB, d.Slot, d.Key), markEnd)
}

// Keys returns every live key of a logical db that matches pattern.
func (t *Txn) Keys(db int, pattern []byte) ([][]byte, error) {
	p := t.phys(db)
	lo, hi := dbRange(p)
	all := len(pattern) == 1 && pattern[0] == '*'
	return t.collectKeys(lo, hi, func(k []byte) bool { return all || Match(pattern, k, false) }, -1)
}

// collectKeys walks the metadata records in [lo, hi), returning live keys
// accepted by keep, at most limit (-1 = all).
func (t *Txn) collectKeys(lo, hi []byte, keep func([]byte) bool, limit int) ([][]byte, error) {
	it, err := t.iter(lo, hi)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	var out [][]byte
	for ok := it.First(); ok; ok = it.SeekGE(keyRangeEnd(it.Key())) {
		if limit >= 0 && len(out) >= limit {
			break
		}
		d, err := DecodeKey(it.Key())
		if err != nil || d.Elem {
			continue
		}
		m, err := decodeMeta(it.Value())
		if err != nil || t.expired(&m) || !keep(d.Key) {
			continue
		}
		out = append(out, append([]byte(nil), d.Key...))
	}
	return out, it.Error()
}

// KeysInSlot returns up to count keys of one slot (CLUSTER GETKEYSINSLOT).
func (t *Txn) KeysInSlot(db int, slot uint16, count int) ([][]byte, error) {
	lo, hi := slotRange(t.phys(db), slot)
	return t.collectKeys(lo, hi, func([]byte) bool { return true }, count)
}

// RandomKey returns a random live key of a logical db: a slot is chosen in
// proportion to its key count, then a key inside it.
func (t *Txn) RandomKey(db int) ([]byte, bool, error) {
	p := t.phys(db)
	for range 16 {
		slot, ok := t.db.randomSlot(p)
		if !ok {
			return nil, false, nil
		}
		lo, hi := slotRange(p, slot)
		keys, err := t.collectKeys(lo, hi, func([]byte) bool { return true }, -1)
		if err != nil {
			return nil, false, err
		}
		if len(keys) > 0 {
			return keys[rand.IntN(len(keys))], true, nil
		}
	}
	return nil, false, nil
}

// EachKey calls fn for every live key of a logical db in key order,
// streaming (key and m are valid only during the call). Snapshot views use
// it to write an RDB of a whole data set.
//
// The iterator steps with Next: a key without elements (a string) is
// followed directly by the next key's metadata, and a collection's first
// element record shows the iterator is inside its elements, which one seek
// skips. fn may read the key's elements through t meanwhile.
func (t *Txn) EachKey(db int, fn func(key []byte, m *Meta) error) error {
	lo, hi := dbRange(t.phys(db))
	it, err := t.iter(lo, hi)
	if err != nil {
		return err
	}
	defer it.Close()
	ok := it.First()
	for ok {
		d, err := DecodeKey(it.Key())
		if err != nil || d.Elem {
			// Elements (or a record that is not a key's metadata): skip
			// past everything of this key.
			ok = it.SeekGE(keyRangeEnd(it.Key()))
			continue
		}
		m, err := decodeMeta(it.Value())
		if err != nil {
			return fmt.Errorf("%w (key %q)", err, d.Key)
		}
		if !t.expired(&m) {
			if err := fn(d.Key, &m); err != nil {
				return err
			}
		}
		ok = it.Next()
	}
	return it.Error()
}
