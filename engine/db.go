package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// ErrWrongType is returned when a command meets a key of another type.
var ErrWrongType = errors.New("engine: wrong type")

// ErrCorrupt marks data the engine cannot decode.
var ErrCorrupt = errors.New("engine: corrupt data")

// ErrNotInteger and ErrOverflow are returned by numeric string operations.
var (
	ErrNotInteger = errors.New("engine: value is not an integer or out of range")
	ErrNotFloat   = errors.New("engine: value is not a valid float")
	ErrOverflow   = errors.New("engine: increment or decrement would overflow")
	ErrNaN        = errors.New("engine: increment would produce NaN or Infinity")
)

// Options configure a DB. The zero value of each field means its default.
type Options struct {
	Databases int          // number of logical dbs (databases directive); default 16
	CacheSize int64        // Pebble block cache in bytes (cache-size); default 256 MiB
	RowCache  int64        // metadata/string-value cache in bytes (row-cache-size); default 256 MiB, < 0 = none
	FS        vfs.FS       // default vfs.Default; tests use vfs.NewMem / crash clones
	Logger    *slog.Logger // default discards
	Now       func() int64 // clock in unix ms; default time.Now
}

// DefaultOptions returns the documented defaults.
func DefaultOptions() Options {
	return Options{Databases: 16, CacheSize: 256 << 20, RowCache: 256 << 20}
}

// DB is the keyspace: a Pebble store with the key encoding of keys.go.
//
// Concurrency: any number of goroutines read through read Txns; exactly one
// goroutine (the server's executor) writes through write Txns. In-memory
// counters are atomics so readers can report DBSIZE without locks.
type DB struct {
	pdb   *pebble.DB
	cache *pebble.Cache
	rows  *rowCache // nil when disabled
	opts  Options
	log   *slog.Logger

	applied  atomic.Int64          // log offset reflected by committed state
	dbmap    atomic.Pointer[[]int] // logical db → physical db (SWAPDB)
	keys     []atomic.Int64        // per physical db
	expires  []atomic.Int64        // per physical db: keys with a TTL
	slotKeys [][]atomic.Int64      // per physical db, per slot

	// The delta log of counts, owned by whoever holds commitMu: commits
	// (the executor) and checkpoints (which may run elsewhere).
	commitMu   sync.Mutex
	deltaSeq   uint64
	dirtySlots map[slotRef]struct{} // slots whose base record is stale

	scanMu      sync.Mutex
	scanCursors map[uint64][]byte // cursor → last meta key returned
	scanOrder   []uint64
	scanSeq     uint64
}

// Open opens or creates the keyspace in dir.
func Open(dir string, opts Options) (*DB, error) {
	def := DefaultOptions()
	if opts.Databases <= 0 {
		opts.Databases = def.Databases
	}
	if opts.Databases > 1<<16 {
		return nil, fmt.Errorf("engine: databases %d out of range", opts.Databases)
	}
	if opts.CacheSize <= 0 {
		opts.CacheSize = def.CacheSize
	}
	if opts.RowCache == 0 {
		opts.RowCache = def.RowCache
	}
	if opts.Now == nil {
		opts.Now = func() int64 { return time.Now().UnixMilli() }
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	cache := pebble.NewCache(opts.CacheSize)
	po := &pebble.Options{
		Cache:                       cache,
		MemTableSize:                16 << 20, // a small skiplist: every write's metadata read seeks it
		MemTableStopWritesThreshold: 4,
		L0CompactionThreshold:       4,
		L0StopWritesThreshold:       1000,
		LBaseMaxBytes:               64 << 20,
		FormatMajorVersion:          pebble.FormatNewest,
		CompactionConcurrencyRange:  func() (int, int) { return 1, 2 },
		BytesPerSync:                512 << 10,
		// The log (package aof) is the source of durability: Pebble's own
		// WAL would be a second write and a second fsync of the same data.
		// After a crash the engine says which offset its flushed state
		// reflects and the server replays the log from there.
		DisableWAL: true,
		FS:         opts.FS,
		Logger:     quietLogger{opts.Logger},
	}
	for i := range po.Levels {
		po.Levels[i].BlockSize = 32 << 10
		po.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
		po.Levels[i].FilterType = pebble.TableFilter
	}
	po.EnsureDefaults()
	pdb, err := pebble.Open(dir, po)
	if err != nil {
		cache.Unref()
		return nil, fmt.Errorf("engine: open %s: %w", dir, err)
	}
	db := &DB{pdb: pdb, cache: cache, rows: newRowCache(opts.RowCache), opts: opts, log: opts.Logger, scanCursors: map[uint64][]byte{},
		dirtySlots: map[slotRef]struct{}{}}
	if err := db.load(); err != nil {
		pdb.Close()
		cache.Unref()
		return nil, err
	}
	if err := db.dropUnmapped(); err != nil {
		pdb.Close()
		cache.Unref()
		return nil, err
	}
	return db, nil
}

// load reads the internal records: format, applied offset, db map, counts.
func (db *DB) load() error {
	n := db.opts.Databases
	if v, ok, err := db.getInternal(metaFormat); err != nil {
		return err
	} else if ok && binary.BigEndian.Uint64(v) != FormatVersion {
		return fmt.Errorf("engine: on-disk format %d, this build reads %d", binary.BigEndian.Uint64(v), FormatVersion)
	} else if !ok {
		b := binary.BigEndian.AppendUint64(nil, FormatVersion)
		if err := db.pdb.Set(internalKey(metaFormat), b, pebble.NoSync); err != nil {
			return err
		}
	}
	if v, ok, err := db.getInternal(metaApplied); err != nil {
		return err
	} else if ok {
		db.applied.Store(int64(binary.BigEndian.Uint64(v)))
	}
	m := make([]int, n)
	for i := range m {
		m[i] = i
	}
	if v, ok, err := db.getInternal(metaDBMap); err != nil {
		return err
	} else if ok {
		if len(v)%2 != 0 {
			return fmt.Errorf("engine: db map: %w", ErrCorrupt)
		}
		for i := 0; i+1 < len(v) && i/2 < n; i += 2 {
			m[i/2] = int(binary.BigEndian.Uint16(v[i:]))
		}
	}
	// Twice the logical count: a load (Loader) fills unused ids beside the
	// live ones.
	phys := 2 * n
	for _, p := range m {
		phys = max(phys, p+1)
	}
	db.dbmap.Store(&m)
	db.keys = make([]atomic.Int64, phys)
	db.expires = make([]atomic.Int64, phys)
	db.slotKeys = make([][]atomic.Int64, phys)
	for i := range db.slotKeys {
		db.slotKeys[i] = make([]atomic.Int64, SlotCount)
	}
	// Counts are kept up to date by every commit; load them, never scan data.
	lo := internalKey(metaCount)
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
	if err != nil {
		return err
	}
	for it.First(); it.Valid(); it.Next() {
		k := it.Key()[len(lo):]
		if len(k) != 4 || len(it.Value()) != 8 {
			it.Close()
			return fmt.Errorf("engine: count record: %w", ErrCorrupt)
		}
		pdbi := int(binary.BigEndian.Uint16(k))
		slot := binary.BigEndian.Uint16(k[2:])
		if pdbi >= phys || slot >= SlotCount {
			continue // a db beyond the configured count: ignored, kept on disk
		}
		c := int64(binary.BigEndian.Uint64(it.Value()))
		db.slotKeys[pdbi][slot].Store(c)
		db.keys[pdbi].Add(c)
	}
	if err := it.Close(); err != nil {
		return err
	}
	for p := range phys {
		if v, ok, err := db.getInternal(metaExpires + string([]byte{byte(p >> 8), byte(p)})); err != nil {
			return err
		} else if ok {
			db.expires[p].Store(int64(binary.BigEndian.Uint64(v)))
		}
	}
	return db.loadDeltas(phys)
}

// loadDeltas applies the count delta records written since the last
// checkpoint on top of the base counts, in commit order.
func (db *DB) loadDeltas(phys int) error {
	lo := internalKey(metaDelta)
	it, err := db.pdb.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: prefixEnd(lo)})
	if err != nil {
		return err
	}
	defer it.Close()
	bad := fmt.Errorf("engine: count delta record: %w", ErrCorrupt)
	for it.First(); it.Valid(); it.Next() {
		if len(it.Key()) != len(lo)+8 {
			return bad
		}
		db.deltaSeq = binary.BigEndian.Uint64(it.Key()[len(lo):])
		v := it.Value()
		for len(v) > 0 {
			if len(v) < 3 {
				return bad
			}
			kind, p := v[0], int(binary.BigEndian.Uint16(v[1:3]))
			v = v[3:]
			if p >= phys {
				return bad
			}
			switch kind {
			case deltaReset:
				for s := range db.slotKeys[p] {
					if db.slotKeys[p][s].Load() != 0 {
						db.slotKeys[p][s].Store(0)
						db.dirtySlots[slotRef{p, uint16(s)}] = struct{}{}
					}
				}
				db.keys[p].Store(0)
				db.expires[p].Store(0)
			case deltaKeys:
				if len(v) < 2 {
					return bad
				}
				slot := binary.BigEndian.Uint16(v)
				d, n := binary.Varint(v[2:])
				if n <= 0 || slot >= SlotCount {
					return bad
				}
				v = v[2+n:]
				db.slotKeys[p][slot].Add(d)
				db.keys[p].Add(d)
				db.dirtySlots[slotRef{p, slot}] = struct{}{}
			case deltaExpires:
				d, n := binary.Varint(v)
				if n <= 0 {
					return bad
				}
				v = v[n:]
				db.expires[p].Add(d)
			default:
				return bad
			}
		}
	}
	return it.Error()
}

// writeBase folds the delta log into the per-slot base records: the
// changed slots' counts and every db's expires count, and drops the
// deltas. The writer (executor) calls it; nothing else commits meanwhile.
func (db *DB) writeBase() error {
	b := db.pdb.NewBatch()
	defer b.Close()
	for ref := range db.dirtySlots {
		c := db.slotKeys[ref.db][ref.slot].Load()
		var err error
		if c == 0 {
			err = b.Delete(countKey(ref.db, ref.slot), nil)
		} else {
			err = b.Set(countKey(ref.db, ref.slot), binary.BigEndian.AppendUint64(nil, uint64(c)), nil)
		}
		if err != nil {
			return err
		}
	}
	for p := range db.expires {
		if err := b.Set(expiresKey(p), binary.BigEndian.AppendUint64(nil, uint64(db.expires[p].Load())), nil); err != nil {
			return err
		}
	}
	lo := internalKey(metaDelta)
	if err := b.DeleteRange(lo, prefixEnd(lo), nil); err != nil {
		return err
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return err
	}
	clear(db.dirtySlots)
	return nil
}

func (db *DB) getInternal(name string) ([]byte, bool, error) {
	v, closer, err := db.pdb.Get(internalKey(name))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	out := append([]byte(nil), v...)
	closer.Close()
	if name != metaDBMap && len(out) != 8 {
		return nil, false, fmt.Errorf("engine: internal record %q: %w", name, ErrCorrupt)
	}
	return out, true, nil
}

// Databases is the number of logical dbs.
func (db *DB) Databases() int { return db.opts.Databases }

// Now is the engine clock in unix ms.
func (db *DB) Now() int64 { return db.opts.Now() }

// AppliedOffset is the log offset the committed state reflects.
func (db *DB) AppliedOffset() int64 { return db.applied.Load() }

func (db *DB) phys(logical int) int { return (*db.dbmap.Load())[logical] }

// DBSize is the number of keys in a logical db, expired ones not yet
// removed included (as Redis's DBSIZE).
func (db *DB) DBSize(logical int) int64 { return db.keys[db.phys(logical)].Load() }

// Expires is the number of keys with a TTL in a logical db.
func (db *DB) Expires(logical int) int64 { return db.expires[db.phys(logical)].Load() }

// SlotKeys is the number of keys of a slot in a logical db.
func (db *DB) SlotKeys(logical int, slot uint16) int64 {
	return db.slotKeys[db.phys(logical)][slot].Load()
}

// Checkpoint makes everything committed so far durable in Pebble's own files
// and returns the log offset it covers: the log before it may be dropped
// (retention permitting) and a restart replays only what follows.
func (db *DB) Checkpoint() (int64, error) {
	db.commitMu.Lock()
	off := db.applied.Load()
	err := db.writeBase()
	db.commitMu.Unlock()
	if err != nil {
		return 0, fmt.Errorf("engine: checkpoint: %w", err)
	}
	if err := db.pdb.Flush(); err != nil {
		return 0, fmt.Errorf("engine: checkpoint: %w", err)
	}
	return off, nil
}

// Close flushes memtables (so a clean restart replays nothing) and closes.
func (db *DB) Close() error {
	db.commitMu.Lock()
	berr := db.writeBase()
	db.commitMu.Unlock()
	ferr := errors.Join(berr, db.pdb.Flush())
	err := db.pdb.Close()
	db.cache.Unref()
	return errors.Join(ferr, err)
}

// DiskUsage is the approximate size of the store on disk in bytes.
func (db *DB) DiskUsage() uint64 { return db.pdb.Metrics().DiskSpaceUsage() }

// Metrics exposes Pebble's metrics for INFO and benchmarks.
func (db *DB) Metrics() *pebble.Metrics { return db.pdb.Metrics() }

// RandomSlot picks a slot of a logical db with probability proportional
// to its key count, or false when the db is empty.
func (db *DB) randomSlot(phys int) (uint16, bool) {
	total := db.keys[phys].Load()
	if total <= 0 {
		return 0, false
	}
	r := rand.Int64N(total)
	for s := range SlotCount {
		c := db.slotKeys[phys][s].Load()
		if r < c {
			return uint16(s), true
		}
		r -= c
	}
	return 0, false
}

type quietLogger struct{ l *slog.Logger }

func (q quietLogger) Infof(format string, args ...any) {
	q.l.Debug(fmt.Sprintf(format, args...), "component", "engine")
}
func (q quietLogger) Errorf(format string, args ...any) {
	q.l.Warn(fmt.Sprintf(format, args...), "component", "engine")
}
func (q quietLogger) Fatalf(format string, args ...any) {
	q.l.Error(fmt.Sprintf(format, args...), "component", "engine")
	panic(fmt.Sprintf(format, args...))
}
