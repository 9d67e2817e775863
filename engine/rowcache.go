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
// Memory: the cache is built so the garbage collector has almost nothing
// to mark however many entries it holds (with one allocation per entry,
// marking a million of them was a tenth of the server's CPU). A shard
// appends its entries to byte chunks, which hold no pointers, and maps
// each key's hash to where its entry starts (chunk number and offset),
// a map of integers the collector does not scan either: a shard is a
// handful of objects, not one per entry.
//
// Chunks are only ever appended to, never rewritten, so a record get
// returns (a slice of a chunk) stays valid and unchanged for as long as
// its holder keeps it, even after the cache dropped the chunk. A changed
// key gets a new entry at the end; the old one is dead bytes until its
// chunk goes. Eviction is FIFO by chunk: when a new chunk would take the
// shard past its budget, the oldest chunk is dropped with the entries
// whose map slot still points into it. The budget counts chunk bytes
// (what Bytes reports); the map (30-40 bytes an entry) is on top.
type rowCache struct {
	seed   maphash.Seed
	shards [rowCacheShards]rowShard
	budget int64 // per shard: bytes of chunks
	chunk  int   // chunk size; also the largest entry cached
}

const rowCacheShards = 64

// Chunk sizes: a shard's budget in rowCacheChunks chunks, so a drop evicts
// about 6% of it, within [minChunk, maxChunk]. The default 256 MiB cache
// (4 MiB a shard) gets 256 KiB chunks. The upper bound keeps the walk of a
// dropped chunk (under the shard's lock) short for big caches; the lower
// one keeps values of a few KiB cacheable in tiny ones (tests). A chunk is
// never larger than the budget. A shard's first chunks are smaller, from
// minChunk doubling up to the chunk size, so a cache holding a few keys
// does not take 64 full chunks.
//
// A location (a map value) is chunk number<<offsetBits | offset: 44 bits
// of chunk number, which a shard starting a new chunk every millisecond
// would wrap in 500 years.
const (
	rowCacheChunks = 16
	minChunk       = 4 << 10
	maxChunk       = 1 << 20
	offsetBits     = 20 // offsets within a chunk are < maxChunk
)

// An entry is [uvarint body length][body][8-byte hash], the body
// [uvarint keylen][key][1 present | 0 absent][record]. A lookup reads from
// the entry's start; the hash, at the end out of its way, lets the drop of
// a chunk find each entry's map slot without hashing its key.
const hashLen = 8

type rowShard struct {
	mu     sync.Mutex
	m      map[uint64]uint64 // key hash → location: chunk number<<offsetBits | offset
	chunks [][]byte          // oldest first; new entries go to the last one
	first  uint64            // number of chunks[0]; numbers never repeat
	seq    uint64
	bytes  int64 // capacity of the chunks held
	hits   int64 // counted under mu: no shared counter on the read path
	miss   int64
	_      [48]byte // 128 bytes: shards on separate cache lines
}

// absent is the record stored for "no such key".
var absent = []byte{}

func newRowCache(size int64) *rowCache {
	if size <= 0 {
		return nil
	}
	budget := size / rowCacheShards
	chunk := min(max(budget/rowCacheChunks, minChunk), maxChunk, budget)
	c := &rowCache{seed: maphash.MakeSeed(), budget: budget, chunk: int(chunk)}
	for i := range c.shards {
		c.shards[i].m = map[uint64]uint64{}
	}
	return c
}

func (c *rowCache) hash(k []byte) (uint64, *rowShard) {
	h := maphash.Bytes(c.seed, k)
	return h, &c.shards[h%rowCacheShards]
}

// get returns the record cached for meta key k: (record, true) on a hit,
// where an empty record means the key does not exist; on a miss it returns
// the shard's sequence number for fill. The record is shared (read only).
func (c *rowCache) get(k []byte) (rec []byte, hit bool, seq uint64) {
	h, s := c.hash(k)
	s.mu.Lock()
	loc, ok := s.m[h]
	seq = s.seq
	if ok {
		if r, match := entryRecord(s.entry(loc), k); match {
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
	s.mu.Lock()
	if s.seq == seq {
		s.put(h, k, rec, c)
	}
	s.mu.Unlock()
}

// set records a committed change of k (rec nil: deleted).
func (c *rowCache) set(k, rec []byte) {
	h, s := c.hash(k)
	s.mu.Lock()
	s.seq++
	s.put(h, k, rec, c)
	s.mu.Unlock()
}

// clear drops every entry (a physical db was wiped).
func (c *rowCache) clear() {
	for i := range c.shards {
		s := &c.shards[i]
		s.mu.Lock()
		s.seq++
		s.m = map[uint64]uint64{}
		s.first += uint64(len(s.chunks))
		s.chunks = nil
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

// put appends k's entry to the shard's last chunk and points h's map slot
// at it. An entry larger than a chunk is not cached (the copy of so big a
// value costs about what the Pebble read does); its old entry, if any, is
// forgotten so it cannot be read stale.
func (s *rowShard) put(h uint64, k, rec []byte, c *rowCache) {
	body := uvarintLen(uint64(len(k))) + len(k) + 1 + len(rec)
	size := uvarintLen(uint64(body)) + body + hashLen
	if size > c.chunk {
		delete(s.m, h)
		return
	}
	n := len(s.chunks)
	if n == 0 || len(s.chunks[n-1])+size > cap(s.chunks[n-1]) {
		grow := min(max(int(s.bytes), minChunk, size), c.chunk) // doubling while the shard fills
		for s.bytes+int64(grow) > c.budget && len(s.chunks) > 0 {
			s.dropOldest()
		}
		s.chunks = append(s.chunks, make([]byte, 0, grow))
		s.bytes += int64(grow)
		n = len(s.chunks)
	}
	// Fits in the room checked above: the appends never reallocate, so the
	// bytes already handed out by get are not copied or touched.
	e := s.chunks[n-1]
	off := len(e)
	e = binary.AppendUvarint(e, uint64(body))
	e = binary.AppendUvarint(e, uint64(len(k)))
	e = append(e, k...)
	if rec == nil {
		e = append(e, 0)
	} else {
		e = append(e, 1)
		e = append(e, rec...)
	}
	e = binary.LittleEndian.AppendUint64(e, h)
	s.chunks[n-1] = e
	s.m[h] = (s.first+uint64(n-1))<<offsetBits | uint64(off)
}

// dropOldest drops the oldest chunk and the map slots that still point
// into it (a key set again since has its slot pointing at a newer entry).
func (s *rowShard) dropOldest() {
	c := s.chunks[0]
	base := s.first << offsetBits
	for off := 0; off < len(c); {
		body, w := binary.Uvarint(c[off:])
		end := off + w + int(body)
		h := binary.LittleEndian.Uint64(c[end:])
		if loc, ok := s.m[h]; ok && loc == base|uint64(off) {
			delete(s.m, h)
		}
		off = end + hashLen
	}
	s.chunks[0] = nil // the chunk stays alive only while records of it are held
	s.chunks = s.chunks[1:]
	s.first++
	s.bytes -= int64(cap(c))
}

// entry returns the body of the entry at loc, a location in the map.
func (s *rowShard) entry(loc uint64) []byte {
	c := s.chunks[loc>>offsetBits-s.first]
	off := int(loc & (1<<offsetBits - 1))
	body, w := binary.Uvarint(c[off:])
	start := off + w
	end := start + int(body)
	return c[start:end:end] // capped: an append by a holder cannot reach the next entry
}

func uvarintLen(x uint64) int {
	n := 1
	for x >= 0x80 {
		x >>= 7
		n++
	}
	return n
}

// entryRecord checks that e is k's entry body (hashes can collide) and
// returns its record: absent for "no such key".
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
