package aof

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// Log is an open append-only log. See the package documentation for its
// concurrency model; the caller must Close it.
type Log struct {
	opts Options // defaults applied
	fs   vfs.FS
	dir  string
	log  *slog.Logger
	lock io.Closer // the directory lock, held until Close

	// writeMu serializes the methods that change the log: Append, Reset,
	// TruncateBefore and Close.
	writeMu sync.Mutex
	// syncMu serializes fsyncs with each other and with switching the
	// active file, so an fsync never runs on a file being closed.
	syncMu sync.Mutex
	// active is the open active segment. It is replaced only with both
	// writeMu and syncMu held, so holding either is enough to use it.
	active     vfs.File
	activeName string

	mu struct {
		sync.Mutex
		segs     []*segment // in log order; the last one is active
		end      int64      // end of the whole groups readers may see
		written  int64      // end of the bytes written (> end only inside Append with FsyncAlways)
		synced   int64      // bytes before it are durable
		gen      uint64     // incremented by Reset: Readers of an older log stop
		closed   bool
		err      error                // permanent failure: every Append fails until the log is reopened or Reset
		writeErr error                // last write failure; cleared by the next successful Append
		notify   chan struct{}        // closed when end or gen changes, or on Close; nil when nobody waits
		readers  map[*Reader]struct{} // open Readers; they pin the segments at and after their offset
		fsyncs   int64
		lastSync time.Time
		syncDur  time.Duration
	}

	loadDropped   int64 // set by Open
	loadTruncated bool

	stop chan struct{} // closed by Close to stop the everysec goroutine
	wg   sync.WaitGroup
}

// Open opens the log in opts.Dir, creating an empty one starting at offset 0
// if the directory holds no segment. It validates every segment, truncates a
// torn tail or corruption as opts allow (see Options), and takes a lock on
// the directory so that no other process opens the same log. The caller must
// Close the Log.
func Open(opts Options) (*Log, error) {
	if opts.BaseName == "" {
		opts.BaseName = DefaultBaseName
	}
	if opts.SegmentSize == 0 {
		opts.SegmentSize = DefaultSegmentSize
	}
	if opts.syncInterval == 0 {
		opts.syncInterval = time.Second
	}
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	l := &Log{opts: opts, fs: opts.FS, dir: opts.Dir, stop: make(chan struct{})}
	if l.fs == nil {
		l.fs = vfs.Default
	}
	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	l.log = logger.With("component", "aof")
	l.mu.readers = make(map[*Reader]struct{})

	if err := l.mkdir(); err != nil {
		return nil, err
	}
	lock, err := l.fs.Lock(l.path(opts.BaseName + lockName))
	if err != nil {
		return nil, fmt.Errorf("aof: lock %s (is another process using it?): %w", l.dir, err)
	}
	l.lock = lock
	if err := l.load(); err != nil {
		if l.active != nil {
			l.active.Close()
		}
		lock.Close()
		return nil, err
	}
	last := l.mu.segs[len(l.mu.segs)-1]
	l.mu.end, l.mu.written, l.mu.synced = last.end(), last.end(), last.end()
	if opts.Fsync == FsyncEverySec {
		l.wg.Add(1)
		go l.syncLoop(opts.syncInterval)
	}
	l.log.Info("aof opened", "dir", l.dir, "start_offset", l.mu.segs[0].start,
		"end_offset", l.mu.end, "segments", len(l.mu.segs), "appendfsync", opts.Fsync.String())
	return l, nil
}

// mkdir creates the log's directory if it is missing, durably: every
// directory it creates is fsynced into its parent.
func (l *Log) mkdir() error {
	var missing []string // outermost last
	for d := l.dir; ; d = l.fs.PathDir(d) {
		_, err := l.fs.Stat(d)
		if err == nil {
			break
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("aof: stat %s: %w", d, err)
		}
		missing = append(missing, d)
		if l.fs.PathDir(d) == d {
			break
		}
	}
	if len(missing) == 0 {
		return nil
	}
	if err := l.fs.MkdirAll(l.dir, 0o755); err != nil {
		return fmt.Errorf("aof: create %s: %w", l.dir, err)
	}
	for i := len(missing) - 1; i >= 0; i-- {
		if err := syncDir(l.fs, l.fs.PathDir(missing[i])); err != nil {
			return err
		}
	}
	return nil
}

func (l *Log) setActive(f vfs.File, s *segment) {
	l.active, l.activeName = f, s.name
}

// Append writes p, one group of whole RESP commands, at the end of the log
// with a single write, and with FsyncAlways fsyncs it before returning. It
// returns the log offset after p. Readers see the group only once Append has
// written it (with FsyncAlways: once it is durable), never a part of it.
// Append does not retain p.
//
// A group that is not whole commands is refused with ErrInvalidGroup and
// nothing is written. A failed write is returned and reported by LastError
// until a later Append succeeds; a failed fsync, or a partial write that
// cannot be undone, makes every later Append fail (see LastError).
//
// Append is meant for one writer goroutine, but is safe to call from several.
func (l *Log) Append(p []byte) (end int64, err error) {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	l.mu.Lock()
	closed, perr, written := l.mu.closed, l.mu.err, l.mu.written
	seg := l.mu.segs[len(l.mu.segs)-1]
	l.mu.Unlock()
	switch {
	case closed:
		return 0, ErrClosed
	case perr != nil:
		return 0, perr
	case len(p) == 0:
		return written, nil
	}
	if err := validateGroup(p); err != nil {
		return 0, fmt.Errorf("aof: append: %w", err)
	}
	if written-seg.start >= l.opts.SegmentSize {
		if seg, err = l.rotate(written); err != nil {
			return 0, err
		}
	}
	pos := written - seg.start
	n, err := l.active.WriteAt(p, pos)
	if err == nil && n != len(p) {
		err = io.ErrShortWrite
	}
	if err != nil {
		return 0, l.writeFailed(pos, n, err)
	}
	end = written + int64(len(p))
	l.mu.Lock()
	l.mu.written = end
	if l.opts.Fsync != FsyncAlways {
		l.publishLocked(seg, end)
	}
	l.mu.Unlock()
	if l.opts.Fsync == FsyncAlways {
		if err := l.Sync(); err != nil {
			return 0, err
		}
		l.mu.Lock()
		l.publishLocked(seg, end)
		l.mu.Unlock()
	}
	return end, nil
}

// publishLocked makes the log up to end (in seg) visible to readers.
func (l *Log) publishLocked(seg *segment, end int64) {
	seg.size = end - seg.start
	l.mu.end = end
	l.notifyLocked()
	if l.mu.writeErr != nil {
		l.log.Warn("aof write succeeded again", "after", l.mu.writeErr.Error())
		l.mu.writeErr = nil
	}
}

// notifyLocked wakes everybody waiting for a change of the log.
func (l *Log) notifyLocked() {
	if l.mu.notify != nil {
		close(l.mu.notify)
		l.mu.notify = nil
	}
}

// writeFailed handles a failed write of n bytes at file offset pos of the
// active segment.
func (l *Log) writeFailed(pos int64, n int, err error) error {
	err = fmt.Errorf("aof: write %s: %w", l.activeName, err)
	if n > 0 {
		// Part of the group reached the file. It must go: after a crash, a
		// prefix of a group that happens to end on a command boundary would
		// be replayed as if the group had been written.
		t, ok := l.active.(truncater)
		if !ok {
			l.mu.Lock()
			defer l.mu.Unlock()
			return l.failLocked(fmt.Errorf("%w (the partial write cannot be undone)", err))
		}
		if terr := t.Truncate(pos); terr != nil {
			l.mu.Lock()
			defer l.mu.Unlock()
			return l.failLocked(fmt.Errorf("%w (undoing the partial write failed: %v)", err, terr))
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mu.writeErr == nil {
		l.log.Warn("aof write failed", "file", l.activeName, "err", err)
	}
	l.mu.writeErr = err
	return err
}

// failLocked records a permanent failure; the first one is logged and kept.
func (l *Log) failLocked(err error) error {
	if l.mu.err == nil {
		l.mu.err = err
		l.log.Error("aof cannot be written any more", "err", err)
	}
	return err
}

// rotate seals the active segment, which ends at end, and starts a new one.
// l.writeMu must be held.
func (l *Log) rotate(end int64) (*segment, error) {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	// A sealed segment is always durable: only the active segment can hold
	// unsynced bytes, so SyncedOffset needs to track one file only.
	if err := l.syncHeld(); err != nil {
		return nil, err
	}
	f, s, err := l.createSegment(end)
	if err != nil {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.mu.writeErr == nil {
			l.log.Warn("aof cannot start a new segment", "err", err)
		}
		l.mu.writeErr = err
		return nil, err
	}
	old := l.active
	l.setActive(f, s)
	l.mu.Lock()
	l.mu.segs = append(l.mu.segs, s)
	l.mu.Unlock()
	if err := old.Close(); err != nil {
		l.log.Warn("aof close of sealed segment failed", "err", err)
	}
	return s, nil
}

// Sync fsyncs the log now: everything appended so far becomes durable. The
// everysec goroutine and shutdown use it. A failure is permanent (after a
// failed fsync the OS may have dropped the unsynced data while reporting the
// next fsync as successful) and is reported by LastError.
func (l *Log) Sync() error {
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	return l.syncHeld()
}

// syncHeld is Sync with l.syncMu held.
func (l *Log) syncHeld() error {
	l.mu.Lock()
	switch {
	case l.mu.err != nil:
		defer l.mu.Unlock()
		return l.mu.err
	case l.active == nil:
		l.mu.Unlock()
		return ErrClosed
	case l.mu.written <= l.mu.synced:
		l.mu.Unlock()
		return nil
	}
	target := l.mu.written
	l.mu.Unlock()

	t0 := time.Now()
	err := l.active.SyncData()
	dur := time.Since(t0)

	l.mu.Lock()
	defer l.mu.Unlock()
	if err != nil {
		return l.failLocked(fmt.Errorf("aof: fsync %s: %w", l.activeName, err))
	}
	l.mu.synced = max(l.mu.synced, target)
	l.mu.fsyncs++
	l.mu.lastSync, l.mu.syncDur = t0.Add(dur), dur
	if l.opts.Events.OnSync != nil {
		l.opts.Events.OnSync(target)
	}
	return nil
}

// syncLoop is the FsyncEverySec goroutine, owned by the Log: Close stops it
// and waits for it.
func (l *Log) syncLoop(interval time.Duration) {
	defer l.wg.Done()
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		l.mu.Lock()
		pending := l.mu.written > l.mu.synced && l.mu.err == nil
		l.mu.Unlock()
		if pending {
			l.Sync() // a failure is kept by the Log and reported by LastError
		}
	}
}

// Close stops the background goroutine, fsyncs whatever is unsynced (with
// every policy), and closes the files. It returns the fsync's error, or the
// log's permanent error. Readers of the Log get ErrClosed afterwards. Close
// is idempotent.
func (l *Log) Close() error {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	l.mu.Lock()
	closed := l.mu.closed
	l.mu.Unlock()
	if closed {
		return nil
	}
	close(l.stop)
	l.wg.Wait()

	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	err := l.syncHeld()
	if l.active != nil { // nil after a failed Reset
		if cerr := l.active.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("aof: close %s: %w", l.activeName, cerr)
		}
		l.active = nil
	}
	if cerr := l.lock.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("aof: unlock %s: %w", l.dir, cerr)
	}
	l.mu.Lock()
	l.mu.closed = true
	l.notifyLocked()
	l.mu.Unlock()
	return err
}

// StartOffset returns the first offset still in the log.
func (l *Log) StartOffset() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.mu.segs[0].start
}

// EndOffset returns the offset after the last appended group: the
// replication offset.
func (l *Log) EndOffset() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.mu.end
}

// SyncedOffset returns the offset up to which the log is known to be
// durable.
func (l *Log) SyncedOffset() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return min(l.mu.synced, l.mu.end)
}

// LastError returns the error that makes the log unwritable, or nil. A
// permanent error (failed fsync, partial write that could not be undone)
// stays until the log is reopened or Reset; a plain write error (e.g. disk
// full) stays until an Append succeeds. The server refuses writes while it
// is set, as Redis does with MISCONF.
func (l *Log) LastError() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.mu.err != nil {
		return l.mu.err
	}
	return l.mu.writeErr
}

// Stats returns a snapshot of the log's state.
func (l *Log) Stats() Stats {
	l.mu.Lock()
	defer l.mu.Unlock()
	st := Stats{
		Fsync:         l.opts.Fsync,
		StartOffset:   l.mu.segs[0].start,
		EndOffset:     l.mu.end,
		SyncedOffset:  min(l.mu.synced, l.mu.end),
		Segments:      len(l.mu.segs),
		ActiveSize:    l.mu.segs[len(l.mu.segs)-1].size,
		Fsyncs:        l.mu.fsyncs,
		LastFsync:     l.mu.lastSync,
		LastFsyncDur:  l.mu.syncDur,
		LoadDropped:   l.loadDropped,
		LoadTruncated: l.loadTruncated,
	}
	st.Size = st.EndOffset - st.StartOffset
	st.PendingBytes = st.EndOffset - st.SyncedOffset
	st.LastError = l.mu.err
	if st.LastError == nil {
		st.LastError = l.mu.writeErr
	}
	return st
}
