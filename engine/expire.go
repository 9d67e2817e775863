package engine

import (
	"encoding/binary"
)

// ExpireCycle deletes up to limit keys whose TTL has passed, reading the
// expiry index in time order (never scanning the keyspace). Each deletion
// is recorded as a DEL effect. It reports how many keys it deleted and
// whether more expired entries remain.
//
// Index entries whose key is gone or now carries another expire-at
// (FLUSHDB leaves them behind) are dropped without an effect.
func (t *Txn) ExpireCycle(limit int) (int, bool, error) {
	lo := []byte{nsExpire}
	hi := binary.BigEndian.AppendUint64([]byte{nsExpire}, uint64(t.now+1))
	it, err := t.iter(lo, hi)
	if err != nil {
		return 0, false, err
	}
	type entry struct {
		ik  []byte
		at  int64
		db  int // physical
		key []byte
	}
	var batch []entry
	more := false
	for it.First(); it.Valid(); it.Next() {
		if len(batch) >= limit {
			more = true
			break
		}
		d, err := DecodeKey(it.Key())
		if err != nil {
			continue
		}
		batch = append(batch, entry{append([]byte(nil), it.Key()...), d.ExpireAt, d.DB, append([]byte(nil), d.Key...)})
	}
	if err := it.Close(); err != nil {
		return 0, false, err
	}
	n := 0
	for _, e := range batch {
		logical, ok := t.logical(e.db)
		v, found, err := t.get(metaKey(e.db, e.key))
		if err != nil {
			return n, more, err
		}
		var m Meta
		if found {
			if m, err = decodeMeta(v); err != nil {
				return n, more, err
			}
		}
		if !ok || !found || m.ExpireAt != e.at {
			if err := t.b.Delete(e.ik, nil); err != nil {
				return n, more, err
			}
			continue
		}
		if err := t.deleteKey(logical, e.key, &m); err != nil {
			return n, more, err
		}
		t.dirty++
		t.effects = append(t.effects, Effect{DB: logical, Args: [][]byte{[]byte("DEL"), e.key}})
		n++
	}
	return n, more, nil
}

// logical maps a physical db back to its logical number.
func (t *Txn) logical(phys int) (int, bool) {
	m := t.dbmap
	if m == nil {
		m = *t.db.dbmap.Load()
	}
	for l, p := range m {
		if p == phys {
			return l, true
		}
	}
	return 0, false
}
