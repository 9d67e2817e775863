package engine

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// Effect is a command as the log and replicas must see it, in a logical db.
type Effect struct {
	DB   int
	Args [][]byte
}

// Touched names a key a write changed (for WATCH, notifications, waking
// blocked clients).
type Touched struct {
	DB  int
	Key string
}

type slotRef struct {
	db   int // physical
	slot uint16
}

// Txn is a view of the keyspace for one command or one group of commands.
//
// A read Txn reads the latest committed state (or a snapshot, for commands
// that read several keys) and sees expired keys as missing. A write Txn is
// an indexed batch owned by the executor: each command sees the effects of
// the ones before it; Commit makes the whole group visible atomically.
type Txn struct {
	db   *DB
	r    pebble.Reader
	b    *pebble.Batch
	snap *pebble.Snapshot

	now int64 // unix ms, fixed per command (SetNow)

	// NoExpire makes expired keys live: replaying the log and applying a
	// master's stream must not expire on their own (the DELs are logged).
	NoExpire bool

	dbmap        []int // own copy: a write Txn's while SWAPDB is pending, a snapshot's as of its moment
	dbmapChanged bool
	keyDelta     map[slotRef]int64
	expDelta     map[int]int64
	flushed      map[int]bool // physical dbs wiped in this Txn (counts reset)
	dirty        int64
	touched      []Touched
	effects      []Effect

	// Row cache use: a plain read Txn reads through it; a write Txn reads
	// through its own overlay (metadata it changed) and then the cache,
	// and publishes the overlay to the cache after a successful commit.
	// Snapshots and staged (not yet mapped) physical dbs bypass it.
	rows    *rowCache
	live    []bool            // write Txn: physical dbs mapped when it began
	overlay map[string][]byte // write Txn: meta key → record (nil: deleted)

	mk []byte // Lookup's meta key buffer, reused: the key is not kept
}

// ReadTxn returns a read view. With snapshot, all reads of the Txn see
// one point in time (multi-key commands); the caller must Close it.
func (db *DB) ReadTxn(snapshot bool) *Txn {
	t := &Txn{db: db, r: db.pdb, now: db.opts.Now()}
	if !snapshot {
		t.rows = db.rows
	}
	if snapshot {
		t.snap = db.pdb.NewSnapshot()
		t.r = t.snap
		// The snapshot keeps the logical→physical db table of its moment:
		// a SWAPDB or a load committed later must not redirect its reads
		// to physical dbs it does not hold (BGSAVE, full resyncs).
		t.dbmap = append([]int(nil), *db.dbmap.Load()...)
	}
	return t
}

// WriteTxn returns a write view on a new indexed batch. Only the executor
// goroutine may hold one; it must Commit or Close it.
func (db *DB) WriteTxn() *Txn {
	b := db.pdb.NewIndexedBatch()
	m := append([]int(nil), *db.dbmap.Load()...)
	t := &Txn{db: db, r: b, b: b, now: db.opts.Now(), dbmap: m,
		keyDelta: map[slotRef]int64{}, expDelta: map[int]int64{}}
	if db.rows != nil {
		t.rows = db.rows
		t.live = make([]bool, len(db.keys))
		for _, p := range m {
			t.live[p] = true
		}
		t.overlay = map[string][]byte{}
	}
	return t
}

// Close releases the Txn without committing.
func (t *Txn) Close() {
	if t.snap != nil {
		t.snap.Close()
		t.snap = nil
	}
	if t.b != nil {
		t.b.Close()
		t.b = nil
	}
}

// Writable reports whether the Txn can write.
func (t *Txn) Writable() bool { return t.b != nil }

// SetNow fixes the clock for the next command (Redis caches time per command).
func (t *Txn) SetNow(ms int64) { t.now = ms }

// Now is the Txn's clock in unix ms.
func (t *Txn) Now() int64 { return t.now }

// Dirty counts changes made so far (Redis's dirty counter).
func (t *Txn) Dirty() int64 { return t.dirty }

// AddDirty counts n extra changes (commands whose change count differs
// from the records they write).
func (t *Txn) AddDirty(n int64) { t.dirty += n }

// TakeEffects returns and clears effects the engine generated itself
// (DEL of keys found expired by a write).
func (t *Txn) TakeEffects() []Effect {
	e := t.effects
	t.effects = nil
	return e
}

// TakeTouched returns and clears the keys changed so far.
func (t *Txn) TakeTouched() []Touched {
	x := t.touched
	t.touched = nil
	return x
}

// Commit writes the counters and the applied log offset into the batch and
// commits it. The log already holds the group durably (per appendfsync), so
// Pebble does not sync. After Commit the Txn is closed.
func (t *Txn) Commit(offset int64) error {
	db := t.db
	if t.b == nil {
		return errors.New("engine: commit of a read txn")
	}
	db.commitMu.Lock()
	defer db.commitMu.Unlock()
	// Counts change with one record per commit (a delta log) instead of
	// one record per touched slot: a group of random SETs touches as many
	// slots as keys, and every extra memtable insert costs. Checkpoint
	// folds the deltas into per-slot base records.
	newCounts := make(map[slotRef]int64, len(t.keyDelta))
	var delta []byte
	for p := range t.flushed {
		delta = append(delta, deltaReset, byte(p>>8), byte(p))
	}
	for ref, d := range t.keyDelta {
		if d == 0 {
			continue
		}
		c := d
		if !t.flushed[ref.db] {
			c += db.slotKeys[ref.db][ref.slot].Load()
		}
		newCounts[ref] = c
		delta = append(delta, deltaKeys, byte(ref.db>>8), byte(ref.db), byte(ref.slot>>8), byte(ref.slot))
		delta = binary.AppendVarint(delta, d)
	}
	newExp := map[int]int64{}
	for p, d := range t.expDelta {
		c := d
		if !t.flushed[p] {
			c += db.expires[p].Load()
		}
		newExp[p] = c
		if d != 0 {
			delta = append(delta, deltaExpires, byte(p>>8), byte(p))
			delta = binary.AppendVarint(delta, d)
		}
	}
	for p := range t.flushed {
		if _, ok := newExp[p]; !ok {
			newExp[p] = 0
		}
	}
	if len(delta) > 0 {
		db.deltaSeq++
		if err := t.b.Set(deltaKey(db.deltaSeq), delta, nil); err != nil {
			return err
		}
	}
	if t.dbmapChanged {
		var v []byte
		for _, p := range t.dbmap {
			v = binary.BigEndian.AppendUint16(v, uint16(p))
		}
		if err := t.b.Set(internalKey(metaDBMap), v, nil); err != nil {
			return err
		}
	}
	if err := t.b.Set(internalKey(metaApplied), binary.BigEndian.AppendUint64(nil, uint64(offset)), nil); err != nil {
		return err
	}
	if err := t.b.Commit(pebble.NoSync); err != nil {
		return fmt.Errorf("engine: commit: %w", err)
	}
	t.b.Close()
	t.b = nil
	// Publish the new in-memory state.
	for p := range t.flushed {
		for s := range db.slotKeys[p] {
			db.slotKeys[p][s].Store(0)
		}
		db.keys[p].Store(0)
	}
	for ref, c := range newCounts {
		old := db.slotKeys[ref.db][ref.slot].Swap(c)
		db.keys[ref.db].Add(c - old)
		db.dirtySlots[ref] = struct{}{}
	}
	for p, c := range newExp {
		db.expires[p].Store(c)
	}
	if t.dbmapChanged {
		m := append([]int(nil), t.dbmap...)
		db.dbmap.Store(&m)
	}
	db.applied.Store(offset)
	if t.rows != nil {
		if len(t.flushed) > 0 {
			t.rows.clear()
		} else {
			for k, rec := range t.overlay {
				t.rows.set([]byte(k), rec)
			}
		}
		t.overlay = nil
	}
	return nil
}

func (t *Txn) phys(logical int) int {
	if t.dbmap != nil {
		return t.dbmap[logical]
	}
	return t.db.phys(logical)
}

// get reads a raw record and copies the value out.
func (t *Txn) get(k []byte) ([]byte, bool, error) { return t.getFrom(t.r, k) }

func (t *Txn) getFrom(r pebble.Reader, k []byte) ([]byte, bool, error) {
	v, closer, err := r.Get(k)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	out := make([]byte, len(v))
	copy(out, v)
	closer.Close()
	return out, true, nil
}

// cached reports whether metadata of physical db p goes through the row
// cache in this Txn.
func (t *Txn) cached(p int) bool {
	if t.rows == nil {
		return false
	}
	if t.b == nil {
		return true
	}
	return p < len(t.live) && t.live[p] && !t.flushed[p]
}

// getMeta reads a metadata record: the Txn's own changes, then the row
// cache, then Pebble (filling the cache).
func (t *Txn) getMeta(p int, mk []byte) ([]byte, bool, error) {
	if !t.cached(p) {
		return t.get(mk)
	}
	if t.overlay != nil {
		if rec, ok := t.overlay[string(mk)]; ok {
			return rec, rec != nil, nil
		}
	}
	rec, hit, seq := t.rows.get(mk)
	if hit {
		if len(rec) == 0 {
			return nil, false, nil
		}
		if t.b != nil {
			// The executor may change the value in place (SETRANGE…):
			// it gets its own copy, the cached one is shared.
			rec = append([]byte(nil), rec...)
		}
		return rec, true, nil
	}
	// Not changed by this Txn (no overlay entry, no flush): the committed
	// record, read past the batch's own index.
	v, ok, err := t.getFrom(t.db.pdb, mk)
	if err != nil {
		return nil, false, err
	}
	if testAfterMissRead != nil {
		testAfterMissRead()
	}
	t.rows.fill(mk, v, seq) // v is nil when there is no such key
	return v, ok, nil
}

// testAfterMissRead, set by tests only, runs between a cache miss's read
// and its fill (where a concurrent commit would make the fill stale).
var testAfterMissRead func()

// noteMeta records a metadata change for the row cache (rec nil: deleted).
func (t *Txn) noteMeta(p int, mk, rec []byte) {
	if t.overlay != nil && t.cached(p) {
		t.overlay[string(mk)] = rec
	}
}

func (t *Txn) iter(lo, hi []byte) (*pebble.Iterator, error) {
	return t.r.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
}

// expired reports whether m is past its TTL for this Txn.
func (t *Txn) expired(m *Meta) bool {
	return !t.NoExpire && m.ExpireAt > 0 && m.ExpireAt <= t.now
}

// Lookup returns a key's metadata. An expired key is missing; in a write
// Txn it is deleted and a DEL effect is recorded first, as Redis does, so
// the log and replicas (which never expire keys themselves) stay equal.
func (t *Txn) Lookup(db int, key []byte) (Meta, bool, error) {
	p := t.phys(db)
	t.mk = appendMetaKey(t.mk[:0], p, key)
	v, ok, err := t.getMeta(p, t.mk)
	if err != nil || !ok {
		return Meta{}, false, err
	}
	m, err := decodeMeta(v)
	if err != nil {
		return Meta{}, false, fmt.Errorf("%w (key %q)", err, key)
	}
	if t.expired(&m) {
		if t.b != nil {
			if err := t.deleteKey(db, key, &m); err != nil {
				return Meta{}, false, err
			}
			t.effects = append(t.effects, Effect{DB: db, Args: [][]byte{[]byte("DEL"), append([]byte(nil), key...)}})
		}
		return Meta{}, false, nil
	}
	return m, true, nil
}

// lookupType is Lookup that fails with ErrWrongType on another type.
func (t *Txn) lookupType(db int, key []byte, typ Type) (Meta, bool, error) {
	m, ok, err := t.Lookup(db, key)
	if err != nil || !ok {
		return m, ok, err
	}
	if m.Type != typ {
		return m, false, ErrWrongType
	}
	return m, true, nil
}

// putMeta writes a key's metadata; old is its previous metadata or nil
// when the key did not exist. It keeps counts and the expiry index right.
func (t *Txn) putMeta(db int, key []byte, m *Meta, old *Meta) error {
	p := t.phys(db)
	mk, rec := metaKey(p, key), m.encode()
	if err := t.b.Set(mk, rec, nil); err != nil {
		return err
	}
	t.noteMeta(p, mk, rec)
	oldExp := int64(0)
	if old == nil {
		t.keyDelta[slotRef{p, KeySlot(key)}]++
	} else {
		oldExp = old.ExpireAt
	}
	if oldExp != m.ExpireAt {
		if oldExp > 0 {
			if err := t.b.Delete(expireKey(oldExp, p, key), nil); err != nil {
				return err
			}
			t.expDelta[p]--
		}
		if m.ExpireAt > 0 {
			if err := t.b.Set(expireKey(m.ExpireAt, p, key), nil, nil); err != nil {
				return err
			}
			t.expDelta[p]++
		}
	}
	t.touch(db, key)
	return nil
}

// deleteKey removes a key whose metadata is m: the metadata record, its
// elements as one range delete, and its expiry index entry.
func (t *Txn) deleteKey(db int, key []byte, m *Meta) error {
	p := t.phys(db)
	mk := metaKey(p, key)
	if err := t.b.Delete(mk, nil); err != nil {
		return err
	}
	t.noteMeta(p, mk, nil)
	if m.Type != TypeString {
		ep := elemPrefix(p, key)
		if err := t.b.DeleteRange(ep, prefixEnd(ep), nil); err != nil {
			return err
		}
	}
	if m.ExpireAt > 0 {
		if err := t.b.Delete(expireKey(m.ExpireAt, p, key), nil); err != nil {
			return err
		}
		t.expDelta[p]--
	}
	t.keyDelta[slotRef{p, KeySlot(key)}]--
	t.touch(db, key)
	return nil
}

func (t *Txn) touch(db int, key []byte) {
	t.touched = append(t.touched, Touched{DB: db, Key: string(key)})
}

// Delete removes a key of any type; it reports whether it existed.
func (t *Txn) Delete(db int, key []byte) (bool, error) {
	m, ok, err := t.Lookup(db, key)
	if err != nil || !ok {
		return false, err
	}
	if err := t.deleteKey(db, key, &m); err != nil {
		return false, err
	}
	t.dirty++
	return true, nil
}

// SetExpireAt sets a key's absolute expiry (ms). A time in the past deletes
// the key (as Redis does outside of loading). It reports whether the key
// existed.
func (t *Txn) SetExpireAt(db int, key []byte, atMs int64) (bool, error) {
	m, ok, err := t.Lookup(db, key)
	if err != nil || !ok {
		return false, err
	}
	if atMs <= t.now && !t.NoExpire {
		if err := t.deleteKey(db, key, &m); err != nil {
			return false, err
		}
		t.dirty++
		return true, nil
	}
	old := m
	m.ExpireAt = atMs
	if err := t.putMeta(db, key, &m, &old); err != nil {
		return false, err
	}
	t.dirty++
	return true, nil
}

// Persist removes a key's TTL; it reports whether a TTL was removed.
func (t *Txn) Persist(db int, key []byte) (bool, error) {
	m, ok, err := t.Lookup(db, key)
	if err != nil || !ok || m.ExpireAt == 0 {
		return false, err
	}
	old := m
	m.ExpireAt = 0
	if err := t.putMeta(db, key, &m, &old); err != nil {
		return false, err
	}
	t.dirty++
	return true, nil
}

// Copy copies src (db sdb) to dst (db ddb) with its TTL. With replace an
// existing dst is overwritten; otherwise an existing dst makes it a no-op.
// It reports whether the copy happened.
func (t *Txn) Copy(sdb int, src []byte, ddb int, dst []byte, replace bool) (bool, error) {
	m, ok, err := t.Lookup(sdb, src)
	if err != nil || !ok {
		return false, err
	}
	old, exists, err := t.Lookup(ddb, dst)
	if err != nil {
		return false, err
	}
	if exists && !replace {
		return false, nil
	}
	if sdb == ddb && string(src) == string(dst) {
		return true, nil
	}
	if exists {
		if err := t.deleteKey(ddb, dst, &old); err != nil {
			return false, err
		}
	}
	if m.Type != TypeString {
		sp := elemPrefix(t.phys(sdb), src)
		dp := elemPrefix(t.phys(ddb), dst)
		it, err := t.iter(sp, prefixEnd(sp))
		if err != nil {
			return false, err
		}
		// Collect first: writing into the batch while iterating it is not allowed.
		var kvs [][2][]byte
		for it.First(); it.Valid(); it.Next() {
			sub := it.Key()[len(sp):]
			kvs = append(kvs, [2][]byte{elemKey(dp, sub), append([]byte(nil), it.Value()...)})
		}
		if err := it.Close(); err != nil {
			return false, err
		}
		for _, kv := range kvs {
			if err := t.b.Set(kv[0], kv[1], nil); err != nil {
				return false, err
			}
		}
	}
	nm := m
	if err := t.putMeta(ddb, dst, &nm, nil); err != nil {
		return false, err
	}
	t.dirty++
	return true, nil
}

// Rename moves src to dst in one db, replacing dst. With nx an existing dst
// makes it a no-op. It reports (src existed, renamed).
func (t *Txn) Rename(db int, src, dst []byte, nx bool) (bool, bool, error) {
	m, ok, err := t.Lookup(db, src)
	if err != nil || !ok {
		return false, false, err
	}
	if string(src) == string(dst) {
		return true, !nx, nil
	}
	if nx {
		if _, exists, err := t.Lookup(db, dst); err != nil || exists {
			return true, false, err
		}
	}
	if _, err := t.Copy(db, src, db, dst, true); err != nil {
		return true, false, err
	}
	if err := t.deleteKey(db, src, &m); err != nil {
		return true, false, err
	}
	return true, true, nil
}

// Move moves key from db to ddb unless it exists there.
func (t *Txn) Move(db int, key []byte, ddb int) (bool, error) {
	m, ok, err := t.Lookup(db, key)
	if err != nil || !ok {
		return false, err
	}
	if _, exists, err := t.Lookup(ddb, key); err != nil || exists {
		return false, err
	}
	if _, err := t.Copy(db, key, ddb, key, false); err != nil {
		return false, err
	}
	return true, t.deleteKey(db, key, &m)
}

// FlushDB deletes every key of a logical db with range deletes.
func (t *Txn) FlushDB(db int) error {
	p := t.phys(db)
	lo, hi := dbRange(p)
	if err := t.b.DeleteRange(lo, hi, nil); err != nil {
		return err
	}
	// Expiry index entries of this db stay behind: active expiry drops
	// entries whose key no longer carries that expire-at.
	cl := countKey(p, 0)[:len(countKey(p, 0))-2]
	if err := t.b.DeleteRange(cl, prefixEnd(cl), nil); err != nil {
		return err
	}
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
	t.touched = append(t.touched, Touched{DB: db, Key: ""}) // "" = whole db
	t.dirty++
	return nil
}

// SwapDB swaps two logical dbs in O(1) by swapping their physical ids.
func (t *Txn) SwapDB(a, b int) {
	t.dbmap[a], t.dbmap[b] = t.dbmap[b], t.dbmap[a]
	t.dbmapChanged = true
	t.touched = append(t.touched, Touched{DB: a}, Touched{DB: b})
	t.dirty++
}

// SetInternal stores an internal record (replication ids…) with the
// batch; name must not collide with the engine's own records.
func (t *Txn) SetInternal(name string, v []byte) error {
	return t.b.Set(internalKey("x/"+name), v, nil)
}

// Internal reads an internal record stored with SetInternal.
func (db *DB) Internal(name string) ([]byte, bool, error) {
	v, closer, err := db.pdb.Get(internalKey("x/" + name))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	out := append([]byte(nil), v...)
	closer.Close()
	return out, true, nil
}
