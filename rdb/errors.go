package rdb

import (
	"errors"
	"fmt"
)

var (
	// ErrCorrupt is wrapped by every error about bytes that are not a valid
	// RDB file or DUMP payload: a bad opcode, a length running past the end,
	// a truncated file, an invalid ziplist/listpack/intset/zipmap, a
	// duplicate set member or hash field, a checksum mismatch.
	ErrCorrupt = errors.New("rdb: corrupt data")

	// ErrChecksum is wrapped by the error for a CRC64 that does not match the
	// data. It wraps ErrCorrupt too.
	ErrChecksum = fmt.Errorf("%w: checksum mismatch", ErrCorrupt)

	// ErrVersion is wrapped by the error for a file or DUMP payload whose
	// RDB version this package does not read.
	ErrVersion = errors.New("rdb: unsupported RDB version")

	// ErrUnsupported is wrapped by the error for content the decoder cannot
	// turn into an Entry: a stream or module key when
	// DecodeOptions.SkipUnsupported is off, or a value type whose layout
	// is unknown (and so cannot even be skipped).
	ErrUnsupported = errors.New("rdb: unsupported content")

	// ErrLimit is wrapped by the error for a key that needs more memory than
	// DecodeOptions.MaxAlloc allows. The input may be valid.
	ErrLimit = errors.New("rdb: size limit exceeded")

	// ErrInvalidEntry is wrapped by the errors the Encoder and DumpPayload
	// return for an Entry they refuse to write: an empty collection, a
	// duplicate member or field, a NaN score, an unknown type.
	ErrInvalidEntry = errors.New("rdb: invalid entry")
)

// Error reports where decoding stopped. Decode and ParseDumpPayload return
// it for bad input; errors.Is(err, ErrCorrupt) (or ErrVersion,
// ErrUnsupported, ErrLimit) tells the class, and a truncated input also
// matches io.ErrUnexpectedEOF.
type Error struct {
	Offset int64  // byte offset in the input where the problem was found
	Msg    string // what is wrong, with the key it belongs to when known
	Kind   error  // ErrCorrupt, ErrChecksum, ErrVersion, ErrUnsupported or ErrLimit
	Cause  error  // the underlying error, if any (e.g. io.ErrUnexpectedEOF)
}

func (e *Error) Error() string {
	return fmt.Sprintf("rdb: offset %d: %s", e.Offset, e.Msg)
}

// Unwrap returns the error class and the cause, for errors.Is and errors.As.
func (e *Error) Unwrap() []error {
	if e.Cause != nil {
		return []error{e.Kind, e.Cause}
	}
	return []error{e.Kind}
}

// keyError adds the key being decoded to an *Error's message, so a report
// names what was being read ("db 0 key \"user:1\" (hash_listpack): …").
func keyError(err error, db int, key []byte, t ObjectType) error {
	var e *Error
	if errors.As(err, &e) {
		c := *e
		c.Msg = fmt.Sprintf("db %d key %q (%s): %s", db, clip(key), t, e.Msg)
		return &c
	}
	return err
}

// clip shortens a key for an error message.
func clip(b []byte) []byte {
	if len(b) > 64 {
		return append(b[:64:64], "..."...)
	}
	return b
}
