package engine

import (
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// A Loader builds a complete new data set (an RDB file, a replica's full
// resync) beside the live one and swaps it in atomically, so no reader
// ever sees a half-loaded data set: until Commit, readers see the old
// data; after it, only the new.
//
// It writes each logical db into a physical db id nobody maps to (the same
// table SWAPDB uses), committing in bounded batches; Commit points the
// logical dbs at the loaded ids, writes their key counts and range-deletes
// the old ones in one batch. A crash before Commit leaves unmapped ids
// behind, which Open deletes.
//
// Keys go in through the Add methods (bulk.go: blind writes into large
// batches, no reads; the fast path for RDB files) or through Txn (the
// ordinary typed writes); one load uses one or the other.
//
// One goroutine uses a Loader, and nothing else may write to the keyspace
// the load replaces while it runs.
type Loader struct {
	db      *DB
	staged  []int // logical → physical id being loaded
	txn     *Txn
	pending int
	keys    int64
	usedTxn bool       // Txn was used
	bulk    bool       // an Add method was used
	bk      *bulkState // the Add methods' batch, counts and filters
}

// loaderBatchKeys bounds one load batch.
const loaderBatchKeys = 2048

// NewLoader starts a load into unused physical ids.
func (db *DB) NewLoader() (*Loader, error) {
	cur := *db.dbmap.Load()
	used := map[int]bool{}
	for _, p := range cur {
		used[p] = true
	}
	staged := make([]int, len(cur))
	next := 0
	for i := range staged {
		for used[next] {
			next++
		}
		if next >= len(db.keys) {
			return nil, fmt.Errorf("engine: no free physical db for a load")
		}
		staged[i] = next
		used[next] = true
	}
	l := &Loader{db: db, staged: staged}
	// Anything left in these ids by an interrupted load goes first.
	t := db.WriteTxn()
	for _, p := range staged {
		t.flushPhys(p)
	}
	if err := t.Commit(db.AppliedOffset()); err != nil {
		return nil, err
	}
	return l, nil
}

// Txn returns a write view whose logical dbs are the staged ones: the
// ordinary typed writes (SetString, HSet, ListPush, SAdd, ZAdd,
// SetExpireAt) build the new data set. Keys are never expired by it.
func (l *Loader) Txn() (*Txn, error) {
	if l.bulk {
		return nil, fmt.Errorf("engine: a load writes through Txn or through the Add methods, not both")
	}
	l.usedTxn = true
	if l.txn != nil && l.pending >= loaderBatchKeys {
		if err := l.txn.Commit(l.db.AppliedOffset()); err != nil {
			return nil, err
		}
		l.txn = nil
	}
	if l.txn == nil {
		t := l.db.WriteTxn()
		copy(t.dbmap, l.staged)
		t.NoExpire = true
		l.txn, l.pending = t, 0
	}
	l.pending++
	l.keys++
	return l.txn, nil
}

// Keys is the number of keys written so far.
func (l *Loader) Keys() int64 { return l.keys }

// Commit swaps the loaded data set in, records offset as the log offset
// it reflects, drops the old data set and checkpoints, so the swap is
// durable before the caller moves the log.
func (l *Loader) Commit(offset int64) error {
	if l.txn != nil {
		if err := l.txn.Commit(l.db.AppliedOffset()); err != nil {
			return err
		}
		l.txn = nil
	}
	if err := l.flushBulk(true); err != nil {
		l.waitFlight() // the caller aborts
		return err
	}
	t := l.db.WriteTxn()
	old := append([]int(nil), t.dbmap...)
	copy(t.dbmap, l.staged)
	t.dbmapChanged = true
	if bk := l.bk; bk != nil {
		// The bulk path's counts become visible with the swap, as one
		// delta record (the staged ids' counts are zero until now).
		for logical, p := range l.staged {
			if c := bk.slots[logical]; c != nil {
				for s, n := range c {
					if n != 0 {
						t.keyDelta[slotRef{p, uint16(s)}] += n
					}
				}
			}
			if bk.exps[logical] != 0 {
				t.expDelta[p] += bk.exps[logical]
			}
		}
		l.bk = nil
	}
	for logical, p := range old {
		t.flushPhys(p)
		t.touched = append(t.touched, Touched{DB: logical})
	}
	if err := t.Commit(offset); err != nil {
		return err
	}
	_, err := l.db.Checkpoint()
	return err
}

// Abort drops what was loaded.
func (l *Loader) Abort() error {
	if l.txn != nil {
		l.txn.Close()
		l.txn = nil
	}
	// A batch still being committed lands before the deletes below.
	l.waitFlight()
	t := l.db.WriteTxn()
	if err := l.dropBulkExpiries(t); err != nil {
		t.Close()
		return err
	}
	l.bk = nil
	for _, p := range l.staged {
		t.flushPhys(p)
	}
	return t.Commit(l.db.AppliedOffset())
}

// flushPhys deletes one physical db's data and counts.
func (t *Txn) flushPhys(p int) {
	lo, hi := dbRange(p)
	t.b.DeleteRange(lo, hi, nil)
	cl := countKey(p, 0)[:len(countKey(p, 0))-2]
	t.b.DeleteRange(cl, prefixEnd(cl), nil)
	if t.flushed == nil {
		t.flushed = map[int]bool{}
	}
	t.flushed[p] = true
	for ref := range t.keyDelta {
		if ref.db == p {
			delete(t.keyDelta, ref)
		}
	}
	delete(t.expDelta, p)
}

// dropUnmapped deletes physical dbs no logical db maps to (left by a load
// that never committed). Called by Open.
func (db *DB) dropUnmapped() error {
	mapped := map[int]bool{}
	for _, p := range *db.dbmap.Load() {
		mapped[p] = true
	}
	var drop []int
	for p := range db.keys {
		if !mapped[p] {
			lo, hi := dbRange(p)
			it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
			if err != nil {
				return err
			}
			has := it.First()
			err = it.Close()
			if err != nil {
				return err
			}
			if has || db.keys[p].Load() != 0 {
				drop = append(drop, p)
			}
		}
	}
	if len(drop) == 0 {
		return nil
	}
	db.log.Warn("dropping the data of an interrupted load", "component", "engine", "physical_dbs", drop)
	t := db.WriteTxn()
	for _, p := range drop {
		t.flushPhys(p)
	}
	return t.Commit(db.AppliedOffset())
}
