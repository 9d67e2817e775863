package engine

import (
	"bytes"
	"encoding/binary"
)

// Lists.
//
// A list's elements live at elemPrefix + index (8 bytes BE) for index in
// [Meta.Head, Meta.Tail). A new list starts at head = tail = listMid, a
// push at the head decrements Head and a push at the tail increments Tail,
// so both ends grow in O(1) whatever the length, and an index is a point
// read. Pops and LTRIM drop the ends; LINSERT shifts the shorter side;
// LREM compacts toward the end it starts from. An emptied list is deleted,
// as in Redis.

// smallDelete is the number of elements up to which dropping an end of a
// list writes point deletes; beyond it, one range delete.
const smallDelete = 16

// listKey appends the element key of absolute index idx to buf[:0].
func listKey(buf, ep []byte, idx uint64) []byte {
	buf = append(buf[:0], ep...)
	return binary.BigEndian.AppendUint64(buf, idx)
}

// listSpan normalises Redis's start/stop (negative counts from the end,
// stop inclusive) against a list of n elements: the offsets [from, to)
// relative to the head, or ok=false when the range is empty.
func listSpan(n, start, stop int64) (from, to int64, ok bool) {
	if start < 0 {
		start += n
	}
	if stop < 0 {
		stop += n
	}
	if start < 0 {
		start = 0
	}
	if start > stop || start >= n {
		return 0, 0, false
	}
	if stop >= n {
		stop = n - 1
	}
	return start, stop + 1, true
}

// listRead returns the values at absolute indexes [from, to) in order, or
// in reverse order with rev.
func (t *Txn) listRead(ep []byte, from, to uint64, rev bool) ([][]byte, error) {
	if from >= to {
		return nil, nil
	}
	if to-from == 1 {
		v, ok, err := t.get(listKey(nil, ep, from))
		if err != nil || !ok {
			return nil, err
		}
		return [][]byte{v}, nil
	}
	it, err := t.iter(listKey(nil, ep, from), listKey(nil, ep, to))
	if err != nil {
		return nil, err
	}
	out := make([][]byte, 0, min(to-from, 1<<16))
	if rev {
		for ok := it.Last(); ok; ok = it.Prev() {
			out = append(out, bytes.Clone(it.Value()))
		}
	} else {
		for ok := it.First(); ok; ok = it.Next() {
			out = append(out, bytes.Clone(it.Value()))
		}
	}
	return out, it.Close()
}

// listDrop deletes the elements at absolute indexes [from, to).
func (t *Txn) listDrop(ep []byte, from, to uint64) error {
	if from >= to {
		return nil
	}
	if to-from > smallDelete {
		return t.b.DeleteRange(listKey(nil, ep, from), listKey(nil, ep, to), nil)
	}
	var k []byte
	for i := from; i < to; i++ {
		k = listKey(k, ep, i)
		if err := t.b.Delete(k, nil); err != nil {
			return err
		}
	}
	return nil
}

// listSave writes a list's new metadata, or deletes the key when it has
// become empty.
func (t *Txn) listSave(db int, key []byte, m, old *Meta) error {
	if m.Head == m.Tail {
		if old == nil {
			return nil
		}
		return t.deleteKey(db, key, old)
	}
	return t.putMeta(db, key, m, old)
}

// ListLen returns the length of a list (0 when the key is missing).
func (t *Txn) ListLen(db int, key []byte) (int64, error) {
	m, ok, err := t.lookupType(db, key, TypeList)
	if err != nil || !ok {
		return 0, err
	}
	return m.Len(), nil
}

// ListPush adds vals at the head (left) or the tail of a list, one after
// the other, so LPUSH a b c leaves c first. With onlyExisting (LPUSHX,
// RPUSHX) a missing key stays missing. It returns the new length.
func (t *Txn) ListPush(db int, key []byte, left, onlyExisting bool, vals ...[]byte) (int64, error) {
	m, ok, err := t.lookupType(db, key, TypeList)
	if err != nil {
		return 0, err
	}
	if !ok && onlyExisting {
		return 0, nil
	}
	if err := t.listPush(db, key, m, ok, left, vals); err != nil {
		return 0, err
	}
	t.dirty += int64(len(vals))
	return int64(m.Tail-m.Head) + int64(len(vals)), nil
}

// listPush pushes onto the list whose metadata is m (exists=false: a new
// list).
func (t *Txn) listPush(db int, key []byte, m Meta, exists, left bool, vals [][]byte) error {
	old := m
	oldp := &old
	if !exists {
		m = Meta{Type: TypeList, Head: listMid, Tail: listMid}
		oldp = nil
	}
	ep := elemPrefix(t.phys(db), key)
	var k []byte
	for _, v := range vals {
		if left {
			m.Head--
			k = listKey(k, ep, m.Head)
		} else {
			k = listKey(k, ep, m.Tail)
			m.Tail++
		}
		if err := t.b.Set(k, v, nil); err != nil {
			return err
		}
	}
	return t.putMeta(db, key, &m, oldp)
}

// ListPop removes up to count elements from the head (left) or the tail of
// a list and returns them in the order they were popped. exists is false
// when the key is missing. An emptied list is deleted. LPOP, RPOP, LMPOP
// and the blocking pops share it.
func (t *Txn) ListPop(db int, key []byte, left bool, count int64) (vals [][]byte, exists bool, err error) {
	m, ok, err := t.lookupType(db, key, TypeList)
	if err != nil || !ok {
		return nil, false, err
	}
	if count <= 0 {
		return nil, true, nil
	}
	vals, err = t.listPop(db, key, m, left, count)
	if err != nil {
		return nil, true, err
	}
	t.dirty += int64(len(vals))
	return vals, true, nil
}

func (t *Txn) listPop(db int, key []byte, m Meta, left bool, count int64) ([][]byte, error) {
	n := uint64(min(count, m.Len()))
	ep := elemPrefix(t.phys(db), key)
	old := m
	var from, to uint64
	if left {
		from, to = m.Head, m.Head+n
		m.Head = to
	} else {
		from, to = m.Tail-n, m.Tail
		m.Tail = from
	}
	vals, err := t.listRead(ep, from, to, !left)
	if err != nil {
		return nil, err
	}
	if m.Head != m.Tail {
		if err := t.listDrop(ep, from, to); err != nil {
			return nil, err
		}
	}
	return vals, t.listSave(db, key, &m, &old)
}

// ListRange returns the elements from start to stop inclusive, negative
// indexes counting from the tail (LRANGE). A missing key is empty.
func (t *Txn) ListRange(db int, key []byte, start, stop int64) ([][]byte, error) {
	m, ok, err := t.lookupType(db, key, TypeList)
	if err != nil || !ok {
		return nil, err
	}
	from, to, ok := listSpan(m.Len(), start, stop)
	if !ok {
		return nil, nil
	}
	return t.listRead(elemPrefix(t.phys(db), key), m.Head+uint64(from), m.Head+uint64(to), false)
}

// listAbs maps a Redis index (negative counts from the tail) to an
// absolute element index.
func listAbs(m *Meta, index int64) (uint64, bool) {
	n := m.Len()
	if index < 0 {
		index += n
	}
	if index < 0 || index >= n {
		return 0, false
	}
	return m.Head + uint64(index), true
}

// ListIndex returns the element at index (LINDEX): one point read.
func (t *Txn) ListIndex(db int, key []byte, index int64) ([]byte, bool, error) {
	m, ok, err := t.lookupType(db, key, TypeList)
	if err != nil || !ok {
		return nil, false, err
	}
	abs, ok := listAbs(&m, index)
	if !ok {
		return nil, false, nil
	}
	return t.get(listKey(nil, elemPrefix(t.phys(db), key), abs))
}

// ListSet replaces the element at index (LSET): one point write. It
// reports whether the key exists and whether index is in range.
func (t *Txn) ListSet(db int, key []byte, index int64, val []byte) (exists, inRange bool, err error) {
	m, ok, err := t.lookupType(db, key, TypeList)
	if err != nil || !ok {
		return false, false, err
	}
	abs, ok := listAbs(&m, index)
	if !ok {
		return true, false, nil
	}
	if err := t.b.Set(listKey(nil, elemPrefix(t.phys(db), key), abs), val, nil); err != nil {
		return true, true, err
	}
	t.touch(db, key)
	t.dirty++
	return true, true, nil
}

// ListInsert inserts val before or after the first element equal to pivot
// (LINSERT). It returns the new length, -1 when pivot is not found, 0 when
// the key is missing. The shorter side of the list is shifted by one.
func (t *Txn) ListInsert(db int, key []byte, after bool, pivot, val []byte) (int64, error) {
	m, ok, err := t.lookupType(db, key, TypeList)
	if err != nil || !ok {
		return 0, err
	}
	ep := elemPrefix(t.phys(db), key)
	it, err := t.iter(listKey(nil, ep, m.Head), listKey(nil, ep, m.Tail))
	if err != nil {
		return 0, err
	}
	found := false
	var at uint64
	for ok := it.First(); ok; ok = it.Next() {
		if bytes.Equal(it.Value(), pivot) {
			at = binary.BigEndian.Uint64(it.Key()[len(ep):])
			found = true
			break
		}
	}
	if err := it.Close(); err != nil {
		return 0, err
	}
	if !found {
		return -1, nil
	}
	// The new element goes between cut-1 and cut.
	cut := at
	if after {
		cut++
	}
	old := m
	var k []byte
	if cut-m.Head < m.Tail-cut {
		// Shift [head, cut) one to the left.
		vals, err := t.listRead(ep, m.Head, cut, false)
		if err != nil {
			return 0, err
		}
		for i, v := range vals {
			if err := t.b.Set(listKey(k, ep, m.Head-1+uint64(i)), v, nil); err != nil {
				return 0, err
			}
		}
		m.Head--
		k = listKey(k, ep, cut-1)
	} else {
		// Shift [cut, tail) one to the right.
		vals, err := t.listRead(ep, cut, m.Tail, false)
		if err != nil {
			return 0, err
		}
		for i, v := range vals {
			if err := t.b.Set(listKey(k, ep, cut+1+uint64(i)), v, nil); err != nil {
				return 0, err
			}
		}
		m.Tail++
		k = listKey(k, ep, cut)
	}
	if err := t.b.Set(k, val, nil); err != nil {
		return 0, err
	}
	if err := t.putMeta(db, key, &m, &old); err != nil {
		return 0, err
	}
	t.dirty++
	return m.Len(), nil
}

// ListRem removes elements equal to val (LREM): count > 0 the first count
// from the head, count < 0 the first -count from the tail, 0 all of them.
// Survivors are compacted toward the end the search starts from, so only
// the part after the first match is rewritten. It returns how many were
// removed.
func (t *Txn) ListRem(db int, key []byte, count int64, val []byte) (int64, error) {
	m, ok, err := t.lookupType(db, key, TypeList)
	if err != nil || !ok {
		return 0, err
	}
	ep := elemPrefix(t.phys(db), key)
	fromTail := count < 0
	limit := count
	if fromTail {
		limit = -count
	}
	it, err := t.iter(listKey(nil, ep, m.Head), listKey(nil, ep, m.Tail))
	if err != nil {
		return 0, err
	}
	// keep holds the survivors after the first match, in search order.
	var keep [][]byte
	var first uint64 // absolute index of the first match
	removed := int64(0)
	ok = it.First()
	if fromTail {
		ok = it.Last()
	}
	for ; ok; ok = listStep(it.Next, it.Prev, fromTail) {
		match := (limit == 0 || removed < limit) && bytes.Equal(it.Value(), val)
		switch {
		case match && removed == 0:
			first = binary.BigEndian.Uint64(it.Key()[len(ep):])
			removed++
		case match:
			removed++
		case removed > 0:
			keep = append(keep, bytes.Clone(it.Value()))
		}
	}
	if err := it.Close(); err != nil {
		return 0, err
	}
	if removed == 0 {
		return 0, nil
	}
	old := m
	var k []byte
	if fromTail {
		for i, v := range keep {
			if err := t.b.Set(listKey(k, ep, first-uint64(i)), v, nil); err != nil {
				return 0, err
			}
		}
		m.Head = first + 1 - uint64(len(keep))
		if err := t.listDrop(ep, old.Head, m.Head); err != nil {
			return 0, err
		}
	} else {
		for i, v := range keep {
			if err := t.b.Set(listKey(k, ep, first+uint64(i)), v, nil); err != nil {
				return 0, err
			}
		}
		m.Tail = first + uint64(len(keep))
		if err := t.listDrop(ep, m.Tail, old.Tail); err != nil {
			return 0, err
		}
	}
	if err := t.listSave(db, key, &m, &old); err != nil {
		return 0, err
	}
	t.dirty += removed
	return removed, nil
}

// listStep moves an iterator forward, or backward with reverse.
func listStep(fwd, back func() bool, reverse bool) bool {
	if reverse {
		return back()
	}
	return fwd()
}

// ListTrim keeps the elements from start to stop inclusive (LTRIM): each
// dropped end is one range delete. It returns how many were dropped.
func (t *Txn) ListTrim(db int, key []byte, start, stop int64) (int64, error) {
	m, ok, err := t.lookupType(db, key, TypeList)
	if err != nil || !ok {
		return 0, err
	}
	old := m
	from, to, ok := listSpan(m.Len(), start, stop)
	if !ok {
		if err := t.deleteKey(db, key, &old); err != nil {
			return 0, err
		}
		t.dirty += old.Len()
		return old.Len(), nil
	}
	m.Head, m.Tail = old.Head+uint64(from), old.Head+uint64(to)
	dropped := old.Len() - m.Len()
	if dropped == 0 {
		return 0, nil
	}
	ep := elemPrefix(t.phys(db), key)
	if err := t.listDrop(ep, old.Head, m.Head); err != nil {
		return 0, err
	}
	if err := t.listDrop(ep, m.Tail, old.Tail); err != nil {
		return 0, err
	}
	if err := t.putMeta(db, key, &m, &old); err != nil {
		return 0, err
	}
	t.dirty += dropped
	return dropped, nil
}

// ListPosOptions are LPOS's options.
type ListPosOptions struct {
	Rank   int64 // 1 = first match; negative searches from the tail; never 0
	Count  int64 // matches to return; 0 = all; -1 = the option was not given
	MaxLen int64 // elements to compare at most; 0 = all
}

// ListPos returns the indexes of elements equal to val (LPOS), counted
// from the head whatever the search direction. exists is false when the
// key is missing.
func (t *Txn) ListPos(db int, key []byte, val []byte, o ListPosOptions) (idx []int64, exists bool, err error) {
	m, ok, err := t.lookupType(db, key, TypeList)
	if err != nil || !ok {
		return nil, false, err
	}
	rank, fromTail := o.Rank, false
	if rank < 0 {
		rank, fromTail = -rank, true
	}
	want := o.Count
	if want < 0 {
		want = 1
	}
	ep := elemPrefix(t.phys(db), key)
	it, err := t.iter(listKey(nil, ep, m.Head), listKey(nil, ep, m.Tail))
	if err != nil {
		return nil, true, err
	}
	ok = it.First()
	if fromTail {
		ok = it.Last()
	}
	var matches, seen int64
	for ; ok && (o.MaxLen == 0 || seen < o.MaxLen); ok = listStep(it.Next, it.Prev, fromTail) {
		seen++
		if !bytes.Equal(it.Value(), val) {
			continue
		}
		matches++
		if matches < rank {
			continue
		}
		idx = append(idx, int64(binary.BigEndian.Uint64(it.Key()[len(ep):])-m.Head))
		if want > 0 && int64(len(idx)) >= want {
			break
		}
	}
	return idx, true, it.Close()
}

// ListMove pops one element from an end of src and pushes it onto an end
// of dst (LMOVE, RPOPLPUSH, BLMOVE). It fails with ErrWrongType before
// changing anything when dst holds another type. ok is false when src is
// missing.
func (t *Txn) ListMove(db int, src, dst []byte, fromLeft, toLeft bool) (val []byte, ok bool, err error) {
	sm, ok, err := t.lookupType(db, src, TypeList)
	if err != nil || !ok {
		return nil, false, err
	}
	if _, _, err := t.lookupType(db, dst, TypeList); err != nil {
		return nil, false, err
	}
	vals, err := t.listPop(db, src, sm, fromLeft, 1)
	if err != nil || len(vals) == 0 {
		return nil, false, err
	}
	// Look dst up again: it may be src, just changed or deleted.
	dm, exists, err := t.lookupType(db, dst, TypeList)
	if err != nil {
		return nil, false, err
	}
	if err := t.listPush(db, dst, dm, exists, toLeft, vals); err != nil {
		return nil, false, err
	}
	t.dirty++
	return vals[0], true, nil
}
