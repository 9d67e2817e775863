package engine

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"math"
	"slices"

	"github.com/cockroachdb/pebble/v2"
)

// The bulk path of a Loader (AddString, AddList, AddSet, AddHash, AddZSet).
//
// A staged db starts empty and an RDB file names each key of a db once, so
// a key's records can be written blind: the metadata record, the element
// records and the expiry index entry go into large unindexed batches with
// no read at all, and the per-slot counts are kept in memory and written
// with the swap at Commit. Compared with the typed writes of a Txn (one
// point read of the metadata per key, an indexed batch) this is several
// times faster.
//
// A file that names a key twice (Redis itself refuses to load one) must
// not corrupt the store: blind writes would leave the elements of the first
// copy under the second and count the key twice. Each staged db keeps a
// Bloom filter of the keys written; only a key the filter may have seen is
// checked exactly (a set of the current batch's key hashes, then a point
// read of what earlier batches committed), and a real duplicate fails the
// load with ErrDuplicateKey, as it fails in Redis. Inside one collection a
// repeated member, field or element is merged instead (the last value
// wins, as HSET, SADD and ZADD do), so sizes stay exact.

// ErrDuplicateKey is returned by the Add methods of a Loader (or its
// Commit) when the data set being loaded names a key twice.
var ErrDuplicateKey = errors.New("engine: duplicate key in the data set being loaded")

// bulkBatchBytes bounds a bulk batch. At this size Pebble takes a batch
// as a "large batch" (over half a memtable): instead of inserting every
// record into the memtable's skiplist it indexes the batch once and
// flushes it as an sstable of its own, several times cheaper per key.
// The records are sorted before they go into the batch, so Pebble's own
// sort of it is a linear pass.
var bulkBatchBytes = 40 << 20 // a variable for tests

// bulkState is the Loader's state for the Add methods.
type bulkState struct {
	cur     *bulkBuf            // records being gathered
	flight  *bulkBuf            // sorted records being committed in the background
	done    chan error          // the result of flight's commit
	spare   *bulkBuf            // a committed buffer, for reuse
	slots   []*[SlotCount]int64 // per logical db: keys per slot
	exps    []int64             // per logical db: keys with a TTL
	filters [][]*keyFilter      // per logical db
	hint    []uint64            // per logical db: expected keys (RESIZEDB)
	seed    maphash.Seed
	// The span of the expire-at times written, so Abort finds the expiry
	// index entries of the load.
	minExp, maxExp int64

	kbuf, vbuf, ebuf []byte
	order            []int
}

// bulkBuf gathers records: keys and values back to back in data.
type bulkBuf struct {
	data []byte
	ents []bulkEnt
	tmp  []bulkEnt // sort's second buffer
}

type bulkEnt struct {
	pfx  uint64 // the key's first 8 bytes, big endian, zero padded
	off  int    // the key's offset in data; the value follows it
	klen uint32
	vlen uint32
}

func newBulkBuf() *bulkBuf {
	// Grown by append: a small load stays small; the two buffers a big
	// load cycles through keep their capacity.
	return &bulkBuf{data: make([]byte, 0, 1<<20)}
}

func (bb *bulkBuf) put(k, v []byte) {
	var p [8]byte
	copy(p[:], k)
	bb.ents = append(bb.ents, bulkEnt{pfx: binary.BigEndian.Uint64(p[:]), off: len(bb.data), klen: uint32(len(k)), vlen: uint32(len(v))})
	bb.data = append(append(bb.data, k...), v...)
}

func (bb *bulkBuf) key(e *bulkEnt) []byte { return bb.data[e.off : e.off+int(e.klen)] }

func (bb *bulkBuf) val(e *bulkEnt) []byte {
	o := e.off + int(e.klen)
	return bb.data[o : o+int(e.vlen)]
}

func (bb *bulkBuf) reset() {
	bb.data = bb.data[:0]
	bb.ents = bb.ents[:0]
}

// sort orders the records by key. Two equal keys can only come from one
// user key added twice: that fails with ErrDuplicateKey.
//
// A radix sort on the keys' first 44 bits (for data keys: namespace, db
// and slot) does most of the work in four linear passes; the short runs
// sharing those bits (the keys of one slot) are then sorted by comparison.
func (bb *bulkBuf) sort() error {
	ents := bb.ents
	if cap(bb.tmp) < len(ents) {
		bb.tmp = make([]bulkEnt, len(ents))
	}
	src, dst := ents, bb.tmp[:len(ents)]
	const bits = 11
	for shift := 64 - 4*bits; shift < 64; shift += bits {
		var count [1 << bits]int
		for i := range src {
			count[(src[i].pfx>>shift)&(1<<bits-1)]++
		}
		if count[(src[0].pfx>>shift)&(1<<bits-1)] == len(src) {
			continue // one bucket: nothing to do
		}
		pos := 0
		for d, c := range count {
			count[d] = pos
			pos += c
		}
		for i := range src {
			d := (src[i].pfx >> shift) & (1<<bits - 1)
			dst[count[d]] = src[i]
			count[d]++
		}
		src, dst = dst, src
	}
	if len(ents) > 0 && &src[0] != &ents[0] {
		copy(ents, src)
	}
	cmpEnt := func(a, b bulkEnt) int {
		if a.pfx != b.pfx {
			return cmp.Compare(a.pfx, b.pfx)
		}
		return bytes.Compare(bb.key(&a), bb.key(&b))
	}
	for i := 0; i < len(ents); {
		j := i + 1
		for j < len(ents) && ents[j].pfx>>(64-4*bits) == ents[i].pfx>>(64-4*bits) {
			j++
		}
		if j-i > 1 {
			slices.SortFunc(ents[i:j], cmpEnt)
		}
		i = j
	}
	for i := 1; i < len(ents); i++ {
		if k := bb.key(&ents[i]); bytes.Equal(k, bb.key(&ents[i-1])) {
			d, _ := DecodeKey(k)
			return fmt.Errorf("%w: %q", ErrDuplicateKey, d.Key)
		}
	}
	return nil
}

// has reports whether the sorted records hold key k.
func (bb *bulkBuf) has(k []byte) bool {
	i, found := slices.BinarySearchFunc(bb.ents, k, func(e bulkEnt, k []byte) int {
		return bytes.Compare(bb.key(&e), k)
	})
	_ = i
	return found
}

// commit writes the sorted records as one batch.
func (bb *bulkBuf) commit(pdb *pebble.DB) error {
	b := pdb.NewBatchWithSize(len(bb.data) + 12*len(bb.ents) + 64)
	defer b.Close()
	for i := range bb.ents {
		e := &bb.ents[i]
		if err := b.Set(bb.key(e), bb.val(e), nil); err != nil {
			return err
		}
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return fmt.Errorf("engine: load: %w", err)
	}
	return nil
}

// Expect tells the Loader how many keys logical db db will receive (an
// RDB file's RESIZEDB hint), so its duplicate filter is sized once.
func (l *Loader) Expect(db int, keys uint64) {
	if db < 0 || db >= len(l.staged) {
		return
	}
	l.initBulk()
	if len(l.bk.filters[db]) == 0 {
		l.bk.hint[db] = keys
	}
}

func (l *Loader) initBulk() {
	if l.bk != nil {
		return
	}
	n := len(l.staged)
	l.bk = &bulkState{
		cur:     newBulkBuf(),
		slots:   make([]*[SlotCount]int64, n),
		exps:    make([]int64, n),
		filters: make([][]*keyFilter, n),
		hint:    make([]uint64, n),
		seed:    maphash.MakeSeed(),
	}
}

// put adds one record to the batch being gathered.
func (l *Loader) put(k, v []byte) { l.bk.cur.put(k, v) }

// AddString adds a string key to the data set being loaded.
func (l *Loader) AddString(db int, key, val []byte, expireAt int64) error {
	m := Meta{Type: TypeString, Value: val}
	return l.add(db, key, &m, expireAt, nil)
}

// AddList adds a list key (elems from head to tail). An empty list adds
// nothing, as Redis keeps no empty collections.
func (l *Loader) AddList(db int, key []byte, elems [][]byte, expireAt int64) error {
	if len(elems) == 0 {
		return nil
	}
	m := Meta{Type: TypeList, Head: listMid, Tail: listMid + uint64(len(elems))}
	return l.add(db, key, &m, expireAt, func(ep []byte) {
		k := l.bk.kbuf
		for i, v := range elems {
			k = listKey(k, ep, listMid+uint64(i))
			l.put(k, v)
		}
		l.bk.kbuf = k
	})
}

// AddSet adds a set key. A member named twice is stored once.
func (l *Loader) AddSet(db int, key []byte, members [][]byte, expireAt int64) error {
	if len(members) == 0 {
		return nil
	}
	keep := l.lastDistinct(len(members), func(i int) []byte { return members[i] })
	m := Meta{Type: TypeSet, Size: int64(len(members))}
	if keep != nil {
		m.Size = int64(len(keep))
	}
	return l.add(db, key, &m, expireAt, func(ep []byte) {
		eachKept(keep, len(members), func(i int) { l.putElem(ep, 0, members[i], nil) })
	})
}

// AddHash adds a hash key (field, value pairs). A field named twice keeps
// its last value.
func (l *Loader) AddHash(db int, key []byte, fields [][2][]byte, expireAt int64) error {
	if len(fields) == 0 {
		return nil
	}
	keep := l.lastDistinct(len(fields), func(i int) []byte { return fields[i][0] })
	m := Meta{Type: TypeHash, Size: int64(len(fields))}
	if keep != nil {
		m.Size = int64(len(keep))
	}
	return l.add(db, key, &m, expireAt, func(ep []byte) {
		eachKept(keep, len(fields), func(i int) { l.putElem(ep, 0, fields[i][0], fields[i][1]) })
	})
}

// AddZSet adds a sorted set key. A member named twice keeps its last
// score; a NaN score fails with ErrScoreNaN.
func (l *Loader) AddZSet(db int, key []byte, items []ScoreMember, expireAt int64) error {
	if len(items) == 0 {
		return nil
	}
	for _, it := range items {
		if math.IsNaN(it.Score) {
			return fmt.Errorf("%w (key %q)", ErrScoreNaN, key)
		}
	}
	keep := l.lastDistinct(len(items), func(i int) []byte { return items[i].Member })
	m := Meta{Type: TypeZSet, Size: int64(len(items))}
	if keep != nil {
		m.Size = int64(len(keep))
	}
	return l.add(db, key, &m, expireAt, func(ep []byte) {
		eachKept(keep, len(items), func(i int) {
			score := items[i].Score
			if score == 0 {
				score = 0 // -0 → +0, as ZADD stores it
			}
			var v [8]byte
			binary.BigEndian.PutUint64(v[:], math.Float64bits(score))
			l.putElem(ep, zKindMember, items[i].Member, v[:])
			k := append(append(l.bk.kbuf[:0], ep...), zKindScore)
			k = binary.BigEndian.AppendUint64(k, encodeScore(score))
			k = append(k, items[i].Member...)
			l.bk.kbuf = k
			l.put(k, nil)
		})
	})
}

// putElem adds the element record ep [kind] sub → val (kind 0: none).
func (l *Loader) putElem(ep []byte, kind byte, sub, val []byte) {
	k := append(l.bk.kbuf[:0], ep...)
	if kind != 0 {
		k = append(k, kind)
	}
	k = append(k, sub...)
	l.bk.kbuf = k
	l.put(k, val)
}

// eachKept calls fn for every index in keep, or for 0..n-1 when keep is nil.
func eachKept(keep []int, n int, fn func(i int)) {
	if keep == nil {
		for i := range n {
			fn(i)
		}
		return
	}
	for _, i := range keep {
		fn(i)
	}
}

// lastDistinct returns nil when the n elements at(i) are all different,
// else the index of the last occurrence of each distinct element.
func (l *Loader) lastDistinct(n int, at func(int) []byte) []int {
	if n < 2 {
		return nil
	}
	if n <= 8 {
		dup := false
		for i := 1; i < n && !dup; i++ {
			for j := range i {
				if bytes.Equal(at(i), at(j)) {
					dup = true
					break
				}
			}
		}
		if !dup {
			return nil
		}
	}
	l.initBulk()
	order := l.bk.order[:0]
	for i := range n {
		order = append(order, i)
	}
	// Equal elements end up adjacent, the last occurrence first.
	slices.SortFunc(order, func(a, b int) int {
		if c := bytes.Compare(at(a), at(b)); c != 0 {
			return c
		}
		return b - a
	})
	l.bk.order = order
	var keep []int
	for j, i := range order {
		if j > 0 && bytes.Equal(at(i), at(order[j-1])) {
			if keep == nil {
				keep = make([]int, 0, n)
				keep = append(keep, order[:j]...)
			}
			continue
		}
		if keep != nil {
			keep = append(keep, i)
		}
	}
	return keep
}

// add writes one key: its element records (through elems, given the
// key's element prefix), its metadata and its expiry index entry.
func (l *Loader) add(db int, key []byte, m *Meta, expireAt int64, elems func(ep []byte)) error {
	if l.usedTxn {
		return errors.New("engine: a load writes through Txn or through the Add methods, not both")
	}
	if db < 0 || db >= len(l.staged) {
		return fmt.Errorf("engine: load into db %d of %d", db, len(l.staged))
	}
	l.initBulk()
	bk := l.bk
	l.bulk = true
	p := l.staged[db]
	if err := l.checkNew(db, p, key); err != nil {
		return err
	}
	slot := KeySlot(key)
	if expireAt > 0 {
		m.ExpireAt = expireAt
	}
	if elems != nil {
		// elems builds its keys in kbuf: the prefix has its own buffer.
		ep := append(appendDataPrefix(bk.ebuf[:0], p, slot, key), markElem)
		bk.ebuf = ep
		elems(ep)
	}
	k := append(appendDataPrefix(bk.kbuf[:0], p, slot, key), markMeta)
	bk.kbuf = k
	bk.vbuf = m.appendTo(bk.vbuf[:0])
	l.put(k, bk.vbuf)
	if m.ExpireAt > 0 {
		k = append(bk.kbuf[:0], nsExpire)
		k = binary.BigEndian.AppendUint64(k, uint64(m.ExpireAt))
		k = append(k, byte(p>>8), byte(p), byte(slot>>8), byte(slot))
		k = append(k, key...)
		bk.kbuf = k
		l.put(k, nil)
		if bk.minExp == 0 || m.ExpireAt < bk.minExp {
			bk.minExp = m.ExpireAt
		}
		bk.maxExp = max(bk.maxExp, m.ExpireAt)
		bk.exps[db]++
	}
	if bk.slots[db] == nil {
		bk.slots[db] = new([SlotCount]int64)
	}
	bk.slots[db][slot]++
	l.keys++
	if len(bk.cur.data) >= bulkBatchBytes {
		return l.flushBulk(false)
	}
	return nil
}

// checkNew fails with ErrDuplicateKey when key was already added to
// logical db db (physical p) and records it. Only a key the filter may
// have seen is looked up: in the batch being committed, then in what is
// committed. A duplicate inside the batch being gathered shows when it is
// sorted.
func (l *Loader) checkNew(db, p int, key []byte) error {
	bk := l.bk
	h := maphash.Bytes(bk.seed, key)
	fs := bk.filters[db]
	for _, f := range fs {
		if !f.has(h) {
			continue
		}
		mk := append(appendDataPrefix(bk.kbuf[:0], p, KeySlot(key), key), markMeta)
		bk.kbuf = mk
		dup := bk.flight != nil && bk.flight.has(mk)
		if !dup {
			_, closer, err := l.db.pdb.Get(mk)
			if err == nil {
				closer.Close()
				dup = true
			} else if !errors.Is(err, pebble.ErrNotFound) {
				return err
			}
		}
		if dup {
			return fmt.Errorf("%w: %q in db %d", ErrDuplicateKey, key, db)
		}
		break
	}
	// Record the key in the newest filter, growing when it is full.
	if len(fs) == 0 || fs[len(fs)-1].full() {
		n := uint64(1 << 20)
		if len(fs) == 0 && bk.hint[db] > 0 {
			n = max(bk.hint[db], 1024)
		} else if len(fs) > 0 {
			n = 2 * fs[len(fs)-1].capacity
		}
		fs = append(fs, newKeyFilter(n))
		bk.filters[db] = fs
	}
	fs[len(fs)-1].add(h)
	return nil
}

// flushBulk sorts the records gathered and hands them to a background
// commit, after the previous one finished (so at most one is in flight
// while the next batch is gathered). With wait it also waits for this
// commit.
func (l *Loader) flushBulk(wait bool) error {
	bk := l.bk
	if bk == nil {
		return nil
	}
	if len(bk.cur.ents) > 0 {
		if err := bk.cur.sort(); err != nil {
			return err
		}
		if err := l.waitFlight(); err != nil {
			return err
		}
		bb := bk.cur
		bk.flight, bk.done = bb, make(chan error, 1)
		pdb, done := l.db.pdb, bk.done
		go func() { done <- bb.commit(pdb) }()
		if bk.spare != nil {
			bk.cur, bk.spare = bk.spare, nil
		} else {
			bk.cur = newBulkBuf()
		}
	}
	if wait {
		return l.waitFlight()
	}
	return nil
}

// waitFlight waits for the background commit, if any.
func (l *Loader) waitFlight() error {
	bk := l.bk
	if bk == nil || bk.flight == nil {
		return nil
	}
	err := <-bk.done
	bb := bk.flight
	bk.flight, bk.done = nil, nil
	bb.reset()
	bk.spare = bb
	return err
}

// closeBulk waits for a background commit and drops the bulk state.
func (l *Loader) closeBulk() error {
	err := l.waitFlight()
	l.bk = nil
	return err
}

// dropBulkExpiries deletes, in t, the expiry index entries the Add
// methods wrote (Abort): the entries of the staged dbs in the span of
// expire-at times written. Unlike the data, they do not live in the
// staged dbs' key ranges.
func (l *Loader) dropBulkExpiries(t *Txn) error {
	bk := l.bk
	if bk == nil || bk.minExp == 0 {
		return nil
	}
	staged := map[int]bool{}
	for _, p := range l.staged {
		staged[p] = true
	}
	lo := binary.BigEndian.AppendUint64([]byte{nsExpire}, uint64(bk.minExp))
	hi := binary.BigEndian.AppendUint64([]byte{nsExpire}, uint64(bk.maxExp)+1)
	it, err := l.db.pdb.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
	if err != nil {
		return err
	}
	for it.First(); it.Valid(); it.Next() {
		if d, err := DecodeKey(it.Key()); err == nil && staged[d.DB] {
			if err := t.b.Delete(it.Key(), nil); err != nil {
				it.Close()
				return err
			}
		}
	}
	return it.Close()
}

// keyFilter is a blocked Bloom filter of 64-bit key hashes: each key sets
// bloomProbes bits in one 512-bit block (one cache line), about 10 bits
// per key, so about 1% false positives at capacity.
type keyFilter struct {
	blocks   [][8]uint64
	capacity uint64
	n        uint64
}

const bloomProbes = 7

func newKeyFilter(capacity uint64) *keyFilter {
	nb := (capacity*10 + 511) / 512
	return &keyFilter{blocks: make([][8]uint64, max(nb, 1)), capacity: capacity}
}

func (f *keyFilter) full() bool { return f.n >= f.capacity }

func (f *keyFilter) block(h uint64) (*[8]uint64, uint64) {
	// Fast range reduction on the high half picks the block; a mix of h
	// gives the bit positions (9 bits each).
	i := (h >> 32) * uint64(len(f.blocks)) >> 32
	g := h * 0x9e3779b97f4a7c15
	g ^= g >> 31
	return &f.blocks[i], g
}

func (f *keyFilter) add(h uint64) {
	b, g := f.block(h)
	for range bloomProbes {
		pos := g & 511
		b[pos>>6] |= 1 << (pos & 63)
		g >>= 9
	}
	f.n++
}

func (f *keyFilter) has(h uint64) bool {
	b, g := f.block(h)
	for range bloomProbes {
		pos := g & 511
		if b[pos>>6]&(1<<(pos&63)) == 0 {
			return false
		}
		g >>= 9
	}
	return true
}
