package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/cobbledb/cobble/engine"
	"github.com/cobbledb/cobble/rdb"
)

// writeRDB writes the data set seen by txn (a snapshot) as an RDB file
// real Redis loads, stamped with the replication id and the log offset the
// snapshot was taken at (aux repl-id/repl-offset, as Redis records them).
func (s *Server) writeRDB(w io.Writer, txn *engine.Txn, replid string, offset int64) (keys int64, err error) {
	return s.writeRDBProgress(w, txn, replid, offset, nil)
}

// writeRDBProgress is writeRDB calling onKey (when not nil) after each key
// written, for SAVE's progress counters and to stop a save early: an error
// onKey returns ends the write.
//
// Every db is read from the snapshot itself: the live key counts may
// already differ (a FLUSHDB or SWAPDB committed after the snapshot), so
// they serve only as the RESIZEDB hint, written before a db's first key.
func (s *Server) writeRDBProgress(w io.Writer, txn *engine.Txn, replid string, offset int64, onKey func() error) (keys int64, err error) {
	return s.writeRDBStream(w, txn, replid, offset, 0, onKey)
}

// writeRDBStream is writeRDBProgress with the db the log had selected at
// offset (aux repl-stream-db): a replica applies the stream that follows
// a full resync in it until the stream SELECTs, as Redis replicas do.
func (s *Server) writeRDBStream(w io.Writer, txn *engine.Txn, replid string, offset int64, streamDB int, onKey func() error) (keys int64, err error) {
	enc := rdb.NewEncoder(w, rdb.EncoderOptions{NoCompression: !s.cfg.Bool("rdbcompression"), NoChecksum: !s.cfg.Bool("rdbchecksum")})
	if err := enc.Header(); err != nil {
		return 0, err
	}
	for _, kv := range [][2]string{
		{"redis-ver", Version}, {"redis-bits", "64"},
		{"ctime", strconv.FormatInt(time.Now().Unix(), 10)},
		{"used-mem", "0"}, {"repl-stream-db", strconv.Itoa(streamDB)},
		{"repl-id", replid}, {"repl-offset", strconv.FormatInt(offset, 10)},
		{"aof-base", "0"}, {"cobble-ver", CobbleVersion},
	} {
		if err := enc.Aux(kv[0], kv[1]); err != nil {
			return 0, err
		}
	}
	var e rdb.Entry
	for db := range s.db.Databases() {
		started := false
		err := txn.EachKey(db, func(key []byte, m *engine.Meta) error {
			if err := fillEntry(txn, db, key, m, &e); err != nil {
				return err
			}
			if e.Len() == 0 {
				return nil // an empty collection has no RDB form
			}
			if !started {
				started = true
				if err := enc.SelectDB(db); err != nil {
					return err
				}
				if err := enc.ResizeDB(uint64(max(s.db.DBSize(db), 0)), uint64(max(s.db.Expires(db), 0))); err != nil {
					return err
				}
			}
			keys++
			if err := enc.Entry(&e); err != nil {
				return err
			}
			if onKey != nil {
				return onKey()
			}
			return nil
		})
		if err != nil {
			return keys, err
		}
	}
	return keys, enc.Finish()
}

// fillEntry reads one key's whole value into e.
func fillEntry(txn *engine.Txn, db int, key []byte, m *engine.Meta, e *rdb.Entry) error {
	*e = rdb.Entry{DB: db, Key: key, ExpireAtMs: m.ExpireAt, IdleSec: -1, Freq: -1}
	var err error
	switch m.Type {
	case engine.TypeString:
		e.Type, e.String = rdb.TypeString, m.Value
	case engine.TypeList:
		e.Type = rdb.TypeList
		e.List, err = txn.ListRange(db, key, 0, -1)
	case engine.TypeSet:
		e.Type = rdb.TypeSet
		e.Set, err = txn.SMembers(db, key)
	case engine.TypeHash:
		e.Type = rdb.TypeHash
		var fields, vals [][]byte
		fields, vals, err = txn.HGetAll(db, key, true)
		e.Hash = make([][2][]byte, len(fields))
		for i := range fields {
			e.Hash[i] = [2][]byte{fields[i], vals[i]}
		}
	case engine.TypeZSet:
		e.Type = rdb.TypeZSet
		var items []engine.ScoreMember
		items, err = txn.ZRange(db, key, engine.ZRangeSpec{By: engine.ByRank, Start: 0, Stop: -1})
		e.ZSet = make([]rdb.ZMember, len(items))
		for i, it := range items {
			e.ZSet[i] = rdb.ZMember{Member: it.Member, Score: it.Score}
		}
	default:
		return fmt.Errorf("server: key %q has unknown type %d", key, m.Type)
	}
	return err
}

// rdbLoader feeds decoded keys into an engine.Loader.
type rdbLoader struct {
	s           *Server
	l           *engine.Loader
	streamDB    int  // aux repl-stream-db
	dropExpired bool // a master skips keys already expired, like Redis
	now         int64
	skipped     int64 // keys of types cobble does not store (streams, modules)
	expired     int64 // keys dropped because their TTL had passed
	fieldTTLs   int64 // hashes whose field TTLs were dropped
}

func (h *rdbLoader) ResizeDB(db int, size, _ uint64) error {
	h.l.Expect(db, size)
	return nil
}

func (h *rdbLoader) Aux(key, val []byte) error {
	if string(key) == "repl-stream-db" {
		if n, err := strconv.Atoi(string(val)); err == nil && n >= 0 && n < h.s.db.Databases() {
			h.streamDB = n
		}
	}
	return nil
}
func (h *rdbLoader) Skipped(int, []byte, string) error { h.skipped++; return nil }
func (h *rdbLoader) Entry(e *rdb.Entry) error {
	if e.DB < 0 || e.DB >= h.s.db.Databases() {
		return fmt.Errorf("server: RDB key %q is in db %d, beyond databases %d", e.Key, e.DB, h.s.db.Databases())
	}
	if h.dropExpired && e.ExpireAtMs > 0 && e.ExpireAtMs <= h.now {
		h.expired++
		return nil
	}
	if e.HashExpireAtMs != nil {
		h.fieldTTLs++
		if !DropFieldTTLs(e, time.Now().UnixMilli()) {
			return nil // every field had expired: no key, as in Redis
		}
	}
	return loadEntry(h.l, e)
}

// loadEntry adds one decoded key to a load through the Loader's bulk
// path: blind writes, no reads (a key named twice fails the load).
func loadEntry(l *engine.Loader, e *rdb.Entry) error {
	db, key, at := e.DB, e.Key, e.ExpireAtMs
	switch e.Type {
	case rdb.TypeString:
		return l.AddString(db, key, e.String, at)
	case rdb.TypeList:
		return l.AddList(db, key, e.List, at)
	case rdb.TypeSet:
		return l.AddSet(db, key, e.Set, at)
	case rdb.TypeHash:
		return l.AddHash(db, key, e.Hash, at)
	case rdb.TypeZSet:
		items := make([]engine.ScoreMember, len(e.ZSet))
		for i, z := range e.ZSet {
			items[i] = engine.ScoreMember{Member: z.Member, Score: z.Score}
		}
		return l.AddZSet(db, key, items, at)
	}
	return fmt.Errorf("server: RDB key %q has unsupported type %v", key, e.Type)
}

// DropFieldTTLs makes a hash with field TTLs (Redis 7.4 HPEXPIRE) one
// cobble stores: fields whose time has passed are removed, the others
// kept without a TTL (cobble has no field TTLs). It reports whether a
// field is left. cobble-rdb uses it too.
func DropFieldTTLs(e *rdb.Entry, nowMs int64) bool {
	if e.HashExpireAtMs == nil {
		return e.Len() > 0
	}
	kept := e.Hash[:0]
	for i, fv := range e.Hash {
		if at := e.HashExpireAtMs[i]; at > 0 && at <= nowMs {
			continue
		}
		kept = append(kept, fv)
	}
	e.Hash, e.HashExpireAtMs = kept, nil
	return len(kept) > 0
}

// putEntry writes one decoded key (replacing what the key held).
func putEntry(txn *engine.Txn, e *rdb.Entry) error {
	if _, err := txn.Delete(e.DB, e.Key); err != nil {
		return err
	}
	return writeEntry(txn, e)
}

// writeEntry writes one decoded key that does not exist yet.
func writeEntry(txn *engine.Txn, e *rdb.Entry) error {
	db, key := e.DB, e.Key
	var err error
	switch e.Type {
	case rdb.TypeString:
		_, _, err = txn.SetString(db, key, e.String, engine.SetOptions{ExpireAt: e.ExpireAtMs})
		return err
	case rdb.TypeList:
		_, err = txn.ListPush(db, key, false, false, e.List...)
	case rdb.TypeSet:
		_, err = txn.SAdd(db, key, e.Set)
	case rdb.TypeHash:
		pairs := make([][]byte, 0, 2*len(e.Hash))
		for _, fv := range e.Hash {
			pairs = append(pairs, fv[0], fv[1])
		}
		_, err = txn.HSet(db, key, pairs)
	case rdb.TypeZSet:
		items := make([]engine.ScoreMember, len(e.ZSet))
		for i, z := range e.ZSet {
			items[i] = engine.ScoreMember{Member: z.Member, Score: z.Score}
		}
		_, err = txn.ZAdd(db, key, items, engine.ZAddFlags{})
	default:
		return fmt.Errorf("server: RDB key %q has unsupported type %v", key, e.Type)
	}
	if err == nil && e.ExpireAtMs > 0 {
		_, err = txn.SetExpireAt(db, key, e.ExpireAtMs)
	}
	return err
}

// snapshotAt is a read view of the whole data set, taken in the executor
// between two groups: exactly the state the log reaches at offset. dirty
// is the change counter at that point (what a successful save clears).
type snapshotAt struct {
	txn           *engine.Txn
	offset, dirty int64
}

// snapshot takes a snapshotAt; ok is false when the server is shutting
// down. The caller must Close snap.txn.
func (s *Server) snapshot() (snap snapshotAt, ok bool) {
	s.exec.do(func(*engine.Txn) {
		snap.txn = s.db.ReadTxn(true)
		snap.offset = s.aof.EndOffset()
		snap.dirty = s.stats.dirty.Load()
	})
	return snap, snap.txn != nil
}

// saveResult describes a finished save.
type saveResult struct {
	keys, bytes, offset, dirty int64
}

// saveRDBFile writes snap to dir/dbfilename the way Redis does: into a
// temporary file in dir, fsynced, then renamed over the old file and the
// directory fsynced, so a crash leaves the old file or the new one, never
// a torn one. Writes keep flowing meanwhile. ctx cancels the save
// (shutdown), checked after each key; the temporary file is removed on any
// failure. It closes the snapshot.
func (s *Server) saveRDBFile(ctx context.Context, snap snapshotAt, onKey func()) (saveResult, error) {
	defer snap.txn.Close()
	s.repl.mu.Lock()
	replid := s.repl.replid
	s.repl.mu.Unlock()
	path := s.rdbPath()
	tmp := filepath.Join(filepath.Dir(path), fmt.Sprintf("temp-%d.rdb", os.Getpid()))
	f, err := os.Create(tmp)
	if err != nil {
		return saveResult{}, fmt.Errorf("server: save: %w", err)
	}
	cw := &ctxWriter{ctx: ctx, w: f}
	bw := bufio.NewWriterSize(cw, 1<<20)
	keys, err := s.writeRDBProgress(bw, snap.txn, replid, snap.offset, func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if onKey != nil {
			onKey()
		}
		return nil
	})
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return saveResult{}, fmt.Errorf("server: save %s: %w", path, err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return saveResult{}, fmt.Errorf("server: save %s: %w", path, err)
	}
	return saveResult{keys: keys, bytes: cw.n, offset: snap.offset, dirty: snap.dirty}, nil
}

// SaveTo writes the whole data set to w as an RDB file real Redis loads,
// from a snapshot taken between two write groups: exactly the state the
// log reaches at offset. Writes keep flowing while it runs. cobble-rdb
// uses it to back up a stopped node's data directory.
func (s *Server) SaveTo(w io.Writer) (keys, offset int64, err error) {
	snap, ok := s.snapshot()
	if !ok {
		return 0, 0, errors.New("server: shutting down")
	}
	defer snap.txn.Close()
	s.repl.mu.Lock()
	replid := s.repl.replid
	s.repl.mu.Unlock()
	keys, err = s.writeRDB(w, snap.txn, replid, snap.offset)
	return keys, snap.offset, err
}

// ctxWriter counts the bytes written and fails writes once ctx is done
// (the final flush of a save cancelled by a shutdown).
type ctxWriter struct {
	ctx context.Context
	w   io.Writer
	n   int64
}

func (c *ctxWriter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// syncDir fsyncs a directory, making a rename in it durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}

// loadResult describes a loaded RDB file.
type loadResult struct {
	keys, expired, skipped int64
	fieldTTLs              int64 // hashes whose field TTLs were dropped
	summary                rdb.Summary
}

// pristine reports whether the node has never held data: an empty
// keyspace that reflects no log, and an empty log.
func (s *Server) pristine() bool {
	if s.aof.EndOffset() != 0 || s.db.AppliedOffset() != 0 {
		return false
	}
	for db := range s.db.Databases() {
		if s.db.DBSize(db) != 0 {
			return false
		}
	}
	return true
}

// loadDumpAtFirstStart loads dir/dbfilename (a Redis dump.rdb, or one SAVE
// wrote) into a node that has never held data, as redis-server loads it at
// start. A node with data or a log ignores the file: the log is the truth.
// Called by New after replay, before the executor starts, so nothing else
// writes. A corrupt file fails the start; nothing of it is kept.
func (s *Server) loadDumpAtFirstStart() error {
	path := s.rdbPath()
	if !s.pristine() {
		return nil
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("server: %w", err)
	}
	start := time.Now()
	res, err := s.loadRDBFile(path, nil)
	if err != nil {
		return err
	}
	s.log.Info("DB loaded from disk", "path", path, "keys", res.keys, "expired_skipped", res.expired,
		"unsupported_skipped", res.skipped, "rdb_version", res.summary.Version, "duration", time.Since(start).Round(time.Millisecond))
	if res.skipped > 0 {
		s.log.Warn("keys of types cobble does not store were skipped (streams, modules)", "keys", res.skipped)
	}
	if res.fieldTTLs > 0 {
		s.log.Warn("hash field TTLs were dropped (cobble has no field TTLs); expired fields were removed", "hashes", res.fieldTTLs)
	}
	return nil
}

// LoadRDB loads the RDB file at path into a node that has never held data
// (cobble-rdb restores a data directory offline with it). It runs in the
// executor, so nothing else writes meanwhile, and swaps the whole data set
// in at once: a failure leaves the node empty. onRead, when not nil, is
// called with the number of bytes read so far as the load goes on.
func (s *Server) LoadRDB(path string, onRead func(read int64)) (keys int64, err error) {
	var res loadResult
	done := s.exec.do(func(*engine.Txn) {
		if !s.pristine() {
			err = fmt.Errorf("server: load %s: the node already holds data", path)
			return
		}
		res, err = s.loadRDBFile(path, onRead)
	})
	if !done {
		return 0, errors.New("server: shutting down")
	}
	return res.keys, err
}

// loadRDBFile decodes the file through an engine.Loader beside the (empty)
// live data set and swaps it in; keys already expired are dropped, like a
// Redis master does at start. The log stays where it is: the loaded data
// set is the state at its current end offset.
func (s *Server) loadRDBFile(path string, onRead func(int64)) (loadResult, error) {
	f, err := os.Open(path)
	if err != nil {
		return loadResult{}, fmt.Errorf("server: load %s: %w", path, err)
	}
	defer f.Close()
	var in io.Reader = f
	if onRead != nil {
		st, err := f.Stat()
		if err != nil {
			return loadResult{}, fmt.Errorf("server: load %s: %w", path, err)
		}
		in = &sizedReader{r: f, left: st.Size(), onRead: onRead}
	}
	l, err := s.db.NewLoader()
	if err != nil {
		return loadResult{}, fmt.Errorf("server: load %s: %w", path, err)
	}
	s.loading.Store(true)
	defer s.loading.Store(false)
	h := &rdbLoader{s: s, l: l, dropExpired: true, now: time.Now().UnixMilli()}
	sum, err := rdb.Decode(in, h, rdb.DecodeOptions{SkipUnsupported: true, IgnoreChecksum: !s.cfg.Bool("rdbchecksum"), Logger: s.log})
	if err == nil {
		err = l.Commit(s.aof.EndOffset())
	}
	if err != nil {
		if aerr := l.Abort(); aerr != nil {
			s.log.Warn("dropping a failed load failed", "err", aerr)
		}
		return loadResult{}, fmt.Errorf("server: load %s: %w", path, err)
	}
	res := loadResult{keys: l.Keys(), expired: h.expired, skipped: h.skipped, fieldTTLs: h.fieldTTLs, summary: sum}
	s.persist.recordLoad(res)
	return res, nil
}

// sizedReader reports progress while keeping the input's size known to
// rdb.Decode (through Len, as a bytes.Reader does), so declared lengths
// are still checked against the bytes left.
type sizedReader struct {
	r      io.Reader
	read   int64
	left   int64
	onRead func(int64)
}

func (r *sizedReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	r.read += int64(n)
	r.left -= int64(n)
	r.onRead(r.read)
	return n, err
}

// Len is the number of bytes not read yet.
func (r *sizedReader) Len() int { return int(max(r.left, 0)) }
