package aof

import (
	"errors"
	"fmt"
	"io"
)

// Replay parses the commands of the log from offset from (which must be a
// command boundary, such as an offset Append or Replay returned) to the end
// of the log when Replay starts, calling fn with each command's arguments
// and the offset right after it. The engine replays the tail it has not
// applied with it at startup.
//
// NB: args and its elements alias an internal buffer that the next command
// overwrites: fn must copy what it keeps (a Pebble batch copies on Set).
//
// Replay stops at the first error of fn and returns it, wrapped with the
// offset. Invalid bytes give a *CorruptError naming the segment file; an
// offset outside the log gives ErrOffsetGone or ErrOffsetAhead.
func (l *Log) Replay(from int64, fn func(args [][]byte, end int64) error) error {
	end := l.EndOffset()
	r, err := l.NewReader(from)
	if err != nil {
		return err
	}
	defer r.Close()
	p := newParser(io.LimitReader(r, end-from), from, true)
	for {
		args, err := p.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			var ce *CorruptError
			if errors.As(err, &ce) {
				l.locate(ce)
			}
			return err
		}
		if err := fn(args, p.Offset()); err != nil {
			return fmt.Errorf("aof: replay of command ending at offset %d: %w", p.Offset(), err)
		}
	}
}

// locate fills in the segment file of a CorruptError found at ce.Offset.
func (l *Log) locate(ce *CorruptError) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s := l.segmentLocked(ce.Offset); s != nil {
		ce.File, ce.FileOffset = l.path(s.name), ce.Offset-s.start
	}
}
