package aof

import (
	"fmt"
	"slices"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// TruncateBefore removes the whole segments that end at or before offset:
// retention (the server keeps at least repl-backlog-size bytes and whatever
// the engine has not flushed). It never removes the active segment, nor a
// segment an open Reader is positioned in or before, so StartOffset may stay
// below offset. It returns the number of segment files removed. A crash
// while removing leaves a contiguous log.
func (l *Log) TruncateBefore(offset int64) (removed int, err error) {
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	l.mu.Lock()
	if l.mu.closed {
		l.mu.Unlock()
		return 0, ErrClosed
	}
	limit := offset
	for r := range l.mu.readers {
		if r.gen == l.mu.gen {
			limit = min(limit, r.off)
		}
	}
	segs := l.mu.segs
	n := 0
	for n < len(segs)-1 && segs[n].end() <= limit {
		n++
	}
	drop := segs[:n:n]
	l.mu.segs = slices.Clone(segs[n:])
	l.mu.Unlock()
	// The segments left the list first: from now on NewReader refuses their
	// offsets, so nobody opens the files being removed.
	return l.removeSegments(drop)
}

// Reset drops the whole log and starts an empty one at offset, as a replica
// does after a full resynchronization: the next Append writes offset onward.
// Open Readers get ErrOffsetGone from then on. Reset clears LastError.
//
// A crash during Reset leaves a suffix of the old log, or an empty log at
// offset 0 if it happened after the old segments were removed and before
// the new one was created; the caller compares the log with its own state on
// restart. If Reset fails, the log refuses every write until reopened.
func (l *Log) Reset(offset int64) error {
	if offset < 0 {
		return fmt.Errorf("aof: reset to negative offset %d", offset)
	}
	l.writeMu.Lock()
	defer l.writeMu.Unlock()
	l.syncMu.Lock()
	defer l.syncMu.Unlock()
	l.mu.Lock()
	if l.mu.closed {
		l.mu.Unlock()
		return ErrClosed
	}
	old := l.mu.segs
	l.mu.Unlock()

	if l.active != nil {
		l.active.Close() // its data is being dropped: no fsync needed
		l.active = nil
	}
	_, err := l.removeSegments(old)
	var s *segment
	if err == nil {
		var f vfs.File
		f, s, err = l.createSegment(offset)
		if err == nil {
			l.setActive(f, s)
		}
	}

	l.mu.Lock()
	defer l.mu.Unlock()
	l.mu.gen++
	l.mu.end, l.mu.written, l.mu.synced = offset, offset, offset
	l.notifyLocked()
	if err != nil {
		// Keep the invariant of a non-empty segment list; the permanent
		// error keeps everybody off the missing file.
		l.mu.segs = []*segment{{start: offset, name: segmentName(l.opts.BaseName, offset)}}
		l.mu.err = nil
		return l.failLocked(fmt.Errorf("aof: reset to offset %d: %w", offset, err))
	}
	l.mu.segs = []*segment{s}
	l.mu.err, l.mu.writeErr = nil, nil
	l.log.Info("aof reset", "offset", offset, "segments_removed", len(old))
	return nil
}
