package aof

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// Reader reads the raw bytes of the log from an offset on, across segment
// boundaries: what a replication stream sends. Read returns io.EOF at the
// current end of the log; a later Read returns what was appended meanwhile
// (Wait blocks until there is some). A Reader never returns part of a group
// that is still being appended.
//
// While open, a Reader pins the segments from its offset on: TruncateBefore
// does not remove them. The caller must Close it. A Reader is for one
// goroutine, except Close, which may be called from any.
type Reader struct {
	l   *Log
	gen uint64 // the log's generation when the Reader was created

	// Guarded by l.mu: TruncateBefore reads off, Close may run concurrently.
	off    int64
	seg    *segment // the segment f is open on
	f      vfs.File
	closed bool
}

// NewReader returns a Reader positioned at from, which must be between
// StartOffset (else ErrOffsetGone) and EndOffset (else ErrOffsetAhead).
func (l *Log) NewReader(from int64) (*Reader, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case l.mu.closed:
		return nil, ErrClosed
	case from < l.mu.segs[0].start:
		return nil, fmt.Errorf("aof: offset %d, the log starts at %d: %w", from, l.mu.segs[0].start, ErrOffsetGone)
	case from > l.mu.end:
		return nil, fmt.Errorf("aof: offset %d, the log ends at %d: %w", from, l.mu.end, ErrOffsetAhead)
	}
	r := &Reader{l: l, gen: l.mu.gen, off: from}
	l.mu.readers[r] = struct{}{}
	return r, nil
}

// Offset returns the log offset of the next byte Read returns.
func (r *Reader) Offset() int64 {
	r.l.mu.Lock()
	defer r.l.mu.Unlock()
	return r.off
}

// Read reads log bytes into p. At the end of the log it returns 0, io.EOF;
// the Reader stays usable. After Reset it returns ErrOffsetGone: the bytes
// it was reading are no longer the log.
func (r *Reader) Read(p []byte) (int, error) {
	l := r.l
	l.mu.Lock()
	if err := r.checkLocked(); err != nil {
		l.mu.Unlock()
		return 0, err
	}
	if r.off >= l.mu.end {
		l.mu.Unlock()
		return 0, io.EOF
	}
	if len(p) == 0 {
		l.mu.Unlock()
		return 0, nil
	}
	s := l.segmentLocked(r.off)
	if s == nil {
		l.mu.Unlock()
		return 0, fmt.Errorf("aof: offset %d: %w", r.off, ErrOffsetGone)
	}
	if r.seg != s {
		if r.f != nil {
			r.f.Close()
			r.f, r.seg = nil, nil
		}
		// Opened with l.mu held, so the file cannot be removed between
		// finding the segment and opening it; once open, it stays readable
		// even if it is removed (Reset).
		f, err := l.fs.Open(l.path(s.name))
		if err != nil {
			l.mu.Unlock()
			return 0, fmt.Errorf("aof: open segment: %w", err)
		}
		r.f, r.seg = f, s
	}
	want := int(min(int64(len(p)), s.end()-r.off))
	f, fileOff := r.f, r.off-s.start
	l.mu.Unlock()

	// Read without the lock: the bytes before s.end() never change.
	n, err := f.ReadAt(p[:want], fileOff)
	if n == want {
		err = nil
	} else if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF // the file is shorter than the log says
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	if cerr := r.checkLocked(); cerr != nil {
		return 0, cerr // e.g. Reset while reading: the bytes are stale
	}
	if err != nil {
		return 0, fmt.Errorf("aof: read %s at %d: %w", s.name, fileOff, err)
	}
	r.off += int64(n)
	return n, nil
}

// Wait blocks until the log has bytes after the Reader's offset, ctx is
// done, or the Reader can no longer read (Reset, Close).
func (r *Reader) Wait(ctx context.Context) error {
	l := r.l
	for {
		l.mu.Lock()
		if err := r.checkLocked(); err != nil {
			l.mu.Unlock()
			return err
		}
		if l.mu.end > r.off {
			l.mu.Unlock()
			return nil
		}
		ch := l.waitChanLocked()
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Close releases the Reader and its pin on the log.
func (r *Reader) Close() error {
	r.l.mu.Lock()
	defer r.l.mu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	delete(r.l.mu.readers, r)
	if r.f != nil {
		r.f.Close()
		r.f, r.seg = nil, nil
	}
	r.l.notifyLocked() // wake our own Wait, if another goroutine is in it
	return nil
}

func (r *Reader) checkLocked() error {
	switch {
	case r.closed, r.l.mu.closed:
		return ErrClosed
	case r.gen != r.l.mu.gen:
		return fmt.Errorf("aof: the log was reset: %w", ErrOffsetGone)
	}
	return nil
}

// Wait blocks until EndOffset() > beyond, ctx is done (ctx.Err()) or the log
// is closed (ErrClosed). Replication streams tail the log with it.
func (l *Log) Wait(ctx context.Context, beyond int64) error {
	for {
		l.mu.Lock()
		if l.mu.closed {
			l.mu.Unlock()
			return ErrClosed
		}
		if l.mu.end > beyond {
			l.mu.Unlock()
			return nil
		}
		ch := l.waitChanLocked()
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// waitChanLocked returns a channel closed at the next change of the log.
// It is created only when somebody waits, so Append allocates nothing when
// nobody does.
func (l *Log) waitChanLocked() <-chan struct{} {
	if l.mu.notify == nil {
		l.mu.notify = make(chan struct{})
	}
	return l.mu.notify
}

// segmentLocked returns the segment holding offset off (the active one for
// the end offset), or nil if off is before the log.
func (l *Log) segmentLocked(off int64) *segment {
	segs := l.mu.segs
	// The last segment starting at or before off: segments are contiguous,
	// so it holds off unless off is its end, and then it is the last one.
	i := sort.Search(len(segs), func(i int) bool { return segs[i].start > off }) - 1
	if i < 0 {
		return nil
	}
	return segs[i]
}
