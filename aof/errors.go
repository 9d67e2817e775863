package aof

import (
	"errors"
	"fmt"
)

var (
	// ErrCorrupt is wrapped by every error that reports bytes which are not a
	// sequence of RESP commands: a CorruptError from Open, Replay or a Parser,
	// and the syntax errors of ParseCommand. Callers test it with errors.Is.
	ErrCorrupt = errors.New("aof: corrupt log")

	// ErrIncomplete reports input that ends inside a command. ParseCommand
	// returns it as is (the caller reads more and retries); a Parser or Open
	// wrap it in a CorruptError with Torn set.
	ErrIncomplete = errors.New("aof: incomplete command")

	// ErrInvalidGroup is wrapped by Append when the group is not a sequence of
	// whole RESP commands within MaxArgs and MaxBulkLen. Nothing was written,
	// and the log stays usable.
	ErrInvalidGroup = errors.New("aof: group is not whole RESP commands")

	// ErrOffsetGone is returned for an offset before the first one still on
	// disk (removed by TruncateBefore), and by Reader methods after Reset
	// replaced the log the Reader was reading.
	ErrOffsetGone = errors.New("aof: offset no longer in the log")

	// ErrOffsetAhead is returned for an offset after EndOffset.
	ErrOffsetAhead = errors.New("aof: offset beyond the end of the log")

	// ErrClosed is returned by every method of a closed Log, and of a Reader
	// whose Log or itself was closed.
	ErrClosed = errors.New("aof: log closed")
)

// CorruptError describes where a log stops being valid RESP. Offsets are log
// offsets (for ParseCommand: indexes into its input).
type CorruptError struct {
	File       string // segment file path; empty when the bytes did not come from a segment
	Offset     int64  // start of the first command that cannot be parsed: where the log would be truncated
	FileOffset int64  // Offset within File
	Pos        int64  // the offending byte; for a torn command, the end of the input
	Reason     string // what is wrong, e.g. "expected '$', got 'x'"
	Torn       bool   // the input ended inside the command (a torn write), rather than holding garbage
}

func (e *CorruptError) Error() string {
	where := ""
	if e.File != "" {
		where = fmt.Sprintf(" in %s (file offset %d)", e.File, e.FileOffset)
	}
	return fmt.Sprintf("aof: corrupt log: command at offset %d%s: %s at offset %d", e.Offset, where, e.Reason, e.Pos)
}

// Is makes errors.Is(err, ErrCorrupt) true for every CorruptError, and
// errors.Is(err, ErrIncomplete) true for a torn one.
func (e *CorruptError) Is(target error) bool {
	return target == ErrCorrupt || (e.Torn && target == ErrIncomplete)
}
