package engine

import (
	"bytes"
	"cmp"
	"slices"
)

// A set is its metadata record (Meta.Size = number of members) and one
// element record per member: elemPrefix(key) + member → empty. The
// collection helpers it shares with hashes are in hash.go.

// SAdd adds members to a set, creating the key when missing, and returns
// how many are new.
func (t *Txn) SAdd(db int, key []byte, members [][]byte) (int, error) {
	c, err := t.openColl(db, key, TypeSet)
	if err != nil {
		return 0, err
	}
	added := 0
	for _, m := range members {
		isNew, err := c.add(t, m, nil, false)
		if err != nil {
			return 0, err
		}
		if isNew {
			added++
		}
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

// has reports whether the set s holds member.
func (t *Txn) has(s *setSource, member []byte) (bool, error) {
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
			if in, err = t.has(&others[i], m); err != nil {
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
			if in, err := t.has(&srcs[1+i], m); err != nil {
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
