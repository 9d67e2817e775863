package engine

import (
	"bytes"
	"encoding/binary"
	"hash/maphash"
	"sync"
)

// rowCache keeps recently used metadata records (a string's value is in
// its metadata, so this is also the cache of string values) in memory,
// including "no such key" answers. A Pebble point read walks the memtable
// skiplists and the sstable indexes: dozens of cache misses. A hit here is
// one hash lookup, so GET of a hot key and the metadata read every write
// starts with cost about what they cost in Redis.
//
// Consistency: entries describe committed state only. The executor (the
// one writer) updates the entries a commit changed right after the Pebble
// commit and before any of its clients get a reply. A reader that missed
// fills the entry with what it read from Pebble only when no commit touched
// the entry's shard in between (the shard's sequence number is unchanged),
// so a value read before a commit can never land after it. Commits that
// wipe whole physical dbs (FLUSHDB, FLUSHALL, a load's swap) clear the
// cache.
//
// Memory: each shard holds at most its share of the budget; beyond it
// entries are dropped in map order (random). One entry is one allocation,
// hash → [uvarint keylen][key][record], so the garbage collector has one
// pointer per entry to follow.
type rowCache struct {
	seed   maphash.Seed
	shards [rowCacheShards]rowShard
	budget int64 // per shard
}

const rowCacheShards = 64

// entryOverhead approximates the map slot and allocation header per entry.
const entryOverhead = 48

type rowShard struct {
	mu    sync.Mutex
	m     map[uint64][]byte
	seq   uint64
	bytes int64
	hits  int64 // counted under mu: no shared counter on the read path
	miss  int64
	_     [16]byte // keep shards on separate cache lines (64 bytes each)
}

// absent is the record stored for "no such key".
var absent = []byte{}

func newRowCache(size int64) *rowCache {
	if size <= 0 {
		return nil
	}
	c := &rowCache{seed: maphash.MakeSeed(), budget: size / rowCacheShards}
	for i := range c.shards {
		c.shards[i].m = map[uint64][]byte{}
	}
	return c
}

func (c *rowCache) hash(k []byte) (uint64, *rowShard) {
	h := maphash.Bytes(c.seed, k)
	return h, &c.shards[h%rowCacheShards]
}

// get returns the record cached for meta key k: (record, true) on a hit,
// where an empty record means the key does not exist; on a miss it returns
// the shard's sequence number for fill.
func (c *rowCache) get(k []byte) (rec []byte, hit bool, seq uint64) {
	h, s := c.hash(k)
	s.mu.Lock()
	e, ok := s.m[h]
	seq = s.seq
	if ok {
		if r, match := entryRecord(e, k); match {
			s.hits++
			s.mu.Unlock()
			return r, true, 0
		}
	}
	s.miss++
	s.mu.Unlock()
	return nil, false, seq
}

// fill caches what a reader found in Pebble (rec nil: no such key), unless
// a commit touched the shard since get returned seq.
func (c *rowCache) fill(k, rec []byte, seq uint64) {
	h, s := c.hash(k)
	e := makeEntry(k, rec)
	s.mu.Lock()
	if s.seq == seq {
		s.put(h, e, c.budget)
	}
	s.mu.Unlock()
}

// set records a committed change of k (rec nil: deleted).
func (c *rowCache) set(k, rec []byte) {
	h, s := c.hash(k)
	e := makeEntry(k, rec)
	s.mu.Lock()
	s.seq++
	s.put(h, e, c.budget)
	s.mu.Unlock()
}

// clear drops every entry (a physical db was wiped).
func (c *rowCache) clear() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		s.seq++
		s.m = map[uint64][]byte{}
		s.bytes = 0
		s.mu.Unlock()
	}
}

// RowCacheStats describes the row cache for INFO.
type RowCacheStats struct {
	Entries, Bytes, Hits, Misses int64
}

// RowCacheStats reports the row cache's size and hit counts (zero when
// it is off).
func (db *DB) RowCacheStats() RowCacheStats {
	var st RowCacheStats
	if db.rows == nil {
		return st
	}
	for i := range db.rows.shards {
		s := &db.rows.shards[i]
		s.mu.Lock()
		st.Entries += int64(len(s.m))
		st.Bytes += s.bytes
		st.Hits += s.hits
		st.Misses += s.miss
		s.mu.Unlock()
	}
	return st
}

// len is the number of entries (tests, INFO).
func (c *rowCache) len() (n int) {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		n += len(s.m)
		s.mu.Unlock()
	}
	return n
}

func (s *rowShard) put(h uint64, e []byte, budget int64) {
	if old, ok := s.m[h]; ok {
		s.bytes -= int64(len(old)) + entryOverhead
	}
	s.m[h] = e
	s.bytes += int64(len(e)) + entryOverhead
	if s.bytes <= budget {
		return
	}
	for k, old := range s.m { // evict in map order until 90% of the share
		if s.bytes <= budget*9/10 {
			break
		}
		if k == h {
			continue
		}
		delete(s.m, k)
		s.bytes -= int64(len(old)) + entryOverhead
	}
}

// makeEntry builds [uvarint len(k)][k][1 present | 0 absent][rec].
func makeEntry(k, rec []byte) []byte {
	e := make([]byte, 0, binary.MaxVarintLen32+len(k)+1+len(rec))
	e = binary.AppendUvarint(e, uint64(len(k)))
	e = append(e, k...)
	if rec == nil {
		return append(e, 0)
	}
	e = append(e, 1)
	return append(e, rec...)
}

// entryRecord checks that e is k's entry (hashes can collide) and returns
// its record: absent for "no such key".
func entryRecord(e, k []byte) ([]byte, bool) {
	n, w := binary.Uvarint(e)
	if w <= 0 || uint64(len(e)-w) < n+1 || !bytes.Equal(e[w:w+int(n)], k) {
		return nil, false
	}
	rest := e[w+int(n):]
	if rest[0] == 0 {
		return absent, true
	}
	return rest[1:], true
}

// Prefetch brings a key's metadata into the row cache (logical db). The
// connection goroutines call it for the keys of writes before handing them
// to the executor: the point read of a key not cached yet then runs in
// parallel on the connection's goroutine instead of inside the executor,
// the one goroutine every write waits for. A prefetch is only a fill of
// committed state, so it never changes what the executor sees.
func (db *DB) Prefetch(logical int, key []byte) {
	if db.rows == nil || logical < 0 || logical >= db.opts.Databases {
		return
	}
	t := Txn{db: db, r: db.pdb, rows: db.rows} // a plain read Txn
	p := db.phys(logical)
	t.getMeta(p, metaKey(p, key))
}
