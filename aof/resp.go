package aof

import (
	"errors"
	"fmt"
	"io"
	"strconv"
)

// Limits every command in the log respects. They are part of the log format:
// Open reports a command beyond them as corruption, so Append refuses to write
// one, and whoever builds effects must keep within them.
const (
	// MaxArgs is the largest argument count of one command, the multibulk
	// limit of Redis's client protocol (1024*1024).
	MaxArgs = 1 << 20
	// MaxBulkLen is the largest argument in bytes, proto-max-bulk-len's
	// default (512mb).
	MaxBulkLen = 512 << 20
)

// AppendCommand appends args to dst as one RESP array of bulk strings, the
// form of every command in the log, and returns the extended slice.
func AppendCommand(dst []byte, args ...[]byte) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(len(args)), 10)
	dst = append(dst, '\r', '\n')
	for _, a := range args {
		dst = append(dst, '$')
		dst = strconv.AppendInt(dst, int64(len(a)), 10)
		dst = append(dst, '\r', '\n')
		dst = append(dst, a...)
		dst = append(dst, '\r', '\n')
	}
	return dst
}

// ParseCommand parses the command at the start of b: "*N\r\n" followed by N
// bulk strings "$len\r\n<len bytes>\r\n", with 1 <= N <= MaxArgs and
// len <= MaxBulkLen, lengths in plain decimal (no sign, no leading zero).
// It returns the arguments, which alias b, and the command's length n.
//
// If b ends inside a command whose bytes so far are valid, the error is
// ErrIncomplete; if the bytes cannot start a valid command, it is a
// *CorruptError (Offset 0, Pos the index of the offending byte) that wraps
// ErrCorrupt. Bytes after the first command are not looked at.
func ParseCommand(b []byte) (args [][]byte, n int, err error) {
	count, pos, err := parseHeader(b, 0, '*', MaxArgs)
	if err == nil && count < 1 {
		err = corruptAt(0, "empty command")
	}
	if err != nil {
		return nil, 0, err
	}
	// Each argument takes at least 6 bytes: don't let a header alone make
	// us allocate for a million arguments.
	args = make([][]byte, 0, min(int(count), (len(b)-pos)/6+1))
	for range count {
		l, next, err := parseHeader(b, pos, '$', MaxBulkLen)
		if err != nil {
			return nil, 0, err
		}
		end, err := bulkEnd(b, next, l)
		if err != nil {
			return nil, 0, err
		}
		args = append(args, b[next:end:end])
		pos = end + 2
	}
	return args, pos, nil
}

// errIncomplete is the internal form of ErrIncomplete: the parser returns it
// on every partial read, so it must not allocate.
var errIncomplete = ErrIncomplete

// cmdState is a resumable parse of one command: when the input ends inside the
// command, step can be called again once more bytes follow, and continues
// from the last complete argument instead of rescanning the whole command.
// Positions are relative to the command's first byte.
type cmdState struct {
	count int   // arguments announced by the "*N" header; 0 until it is read
	done  int   // arguments parsed so far
	n     int   // bytes parsed so far; the command's length once complete
	spans []int // start and end of each parsed argument, when collecting
}

// step continues parsing the command that starts at b[0]. It returns nil once
// the command is complete (its length is st.n), errIncomplete with a lower
// bound of the bytes the command needs, or a *CorruptError.
func (st *cmdState) step(b []byte, collect bool) (need int, err error) {
	if st.count == 0 {
		v, next, err := parseHeader(b, 0, '*', MaxArgs)
		if err != nil {
			return len(b) + 1, err
		}
		if v < 1 {
			return 0, corruptAt(0, "empty command")
		}
		st.count, st.n = int(v), next
	}
	for st.done < st.count {
		l, next, err := parseHeader(b, st.n, '$', MaxBulkLen)
		if err != nil {
			return len(b) + 1, err
		}
		end, err := bulkEnd(b, next, l)
		if err != nil {
			return end + 2, err
		}
		if collect {
			st.spans = append(st.spans, next, end)
		}
		st.done++
		st.n = end + 2
	}
	return 0, nil
}

// args appends the parsed arguments, as subslices of b, to dst.
func (st *cmdState) args(b []byte, dst [][]byte) [][]byte {
	for i := 0; i+1 < len(st.spans); i += 2 {
		s, e := st.spans[i], st.spans[i+1]
		dst = append(dst, b[s:e:e])
	}
	return dst
}

// bulkEnd checks the payload of l bytes at b[pos:] and the CRLF after it,
// and returns the payload's end.
func bulkEnd(b []byte, pos int, l int64) (int, error) {
	end := pos + int(l)
	switch {
	case end < len(b) && b[end] != '\r':
		return 0, corruptAt(end, fmt.Sprintf("bulk string of %d bytes not followed by CRLF", l))
	case end+1 < len(b) && b[end+1] != '\n':
		return 0, corruptAt(end+1, fmt.Sprintf("bulk string of %d bytes not followed by CRLF", l))
	case end+2 > len(b):
		return end, errIncomplete
	}
	return end, nil
}

// parseHeader parses "<prefix><decimal>\r\n" at b[pos:], with the value at
// most max, and returns the value and the position after the CRLF.
func parseHeader(b []byte, pos int, prefix byte, max int64) (v int64, next int, err error) {
	if pos >= len(b) {
		return 0, 0, errIncomplete
	}
	if b[pos] != prefix {
		return 0, 0, corruptAt(pos, fmt.Sprintf("expected %q, got %q", prefix, b[pos]))
	}
	i := pos + 1
	for ; i < len(b); i++ {
		c := b[i]
		if c == '\r' {
			break
		}
		if c < '0' || c > '9' {
			return 0, 0, corruptAt(i, fmt.Sprintf("invalid byte %q in length", c))
		}
		if i > pos+1 && v == 0 {
			return 0, 0, corruptAt(i, "length with a leading zero")
		}
		v = v*10 + int64(c-'0')
		if v > max {
			return 0, 0, corruptAt(i, fmt.Sprintf("length out of range (max %d)", max))
		}
	}
	switch {
	case i >= len(b):
		return 0, 0, errIncomplete
	case i == pos+1:
		return 0, 0, corruptAt(i, "missing length")
	case i+1 >= len(b):
		return 0, 0, errIncomplete
	case b[i+1] != '\n':
		return 0, 0, corruptAt(i+1, "length not followed by CRLF")
	}
	return v, i + 2, nil
}

func corruptAt(pos int, reason string) *CorruptError {
	return &CorruptError{Pos: int64(pos), Reason: reason}
}

// Parser reads commands from a stream of RESP commands: a replication link,
// a segment file, a Reader. It holds at most one command in memory (plus
// read-ahead), however long the stream. A Parser is for one goroutine.
type Parser struct {
	r       io.Reader
	buf     []byte
	start   int   // first byte of the current command in buf
	end     int   // end of the bytes read into buf
	off     int64 // stream offset of buf[start]
	st      cmdState
	args    [][]byte
	collect bool  // false: only validate, don't build args
	rerr    error // sticky error from r
}

const (
	parserBufSize   = 256 << 10 // read-ahead; large enough that one read fetches many commands
	parserMaxRetain = 4 << 20   // a buffer grown past this for a big command is dropped afterwards
	parserInitBuf   = 8 << 10   // a new Parser's buffer; most streams are small
	parserMinRead   = 2 << 10   // below this much room at the end, make room before reading
)

// NewParser returns a Parser reading r. Offsets in its errors and from Offset
// count from the first byte it reads.
func NewParser(r io.Reader) *Parser {
	return newParser(r, 0, true)
}

func newParser(r io.Reader, base int64, collect bool) *Parser {
	return &Parser{r: r, off: base, collect: collect}
}

// Offset returns the stream offset just after the last command Next returned.
func (p *Parser) Offset() int64 { return p.off }

// Next returns the next command's arguments. They alias the Parser's buffer
// and are valid only until the next call: copy what must outlive it.
//
// At the end of the stream, on a command boundary, Next returns io.EOF. If
// the stream ends inside a command, the error is a torn *CorruptError (it
// wraps both ErrCorrupt and ErrIncomplete). Neither is final: when the
// reader has more bytes later (a Reader of a live log), call Next again.
// Invalid bytes give a *CorruptError, which Next keeps returning; read
// errors other than io.EOF are returned as they are, and kept.
func (p *Parser) Next() ([][]byte, error) {
	if cap(p.buf) > parserMaxRetain && p.end-p.start < parserBufSize/2 {
		// The previous command was huge: don't keep its buffer.
		nb := make([]byte, parserBufSize)
		p.end = copy(nb, p.buf[p.start:p.end])
		p.start, p.buf = 0, nb
	}
	p.st = cmdState{spans: p.st.spans[:0]}
	for {
		b := p.buf[p.start:p.end]
		_, err := p.st.step(b, p.collect)
		if err == nil {
			n := p.st.n
			p.args = p.st.args(b, p.args[:0])
			p.start += n
			p.off += int64(n)
			return p.args, nil
		}
		if err != errIncomplete {
			ce := err.(*CorruptError)
			ce.Offset = p.off
			ce.Pos += p.off
			return nil, ce
		}
		if p.rerr != nil {
			if p.rerr != io.EOF {
				return nil, p.rerr
			}
			p.rerr = nil // the reader may have more later
			if len(b) == 0 {
				return nil, io.EOF
			}
			return nil, &CorruptError{Offset: p.off, Pos: p.off + int64(len(b)), Reason: "stream ends inside a command", Torn: true}
		}
		p.fill()
	}
}

// fill reads once into the buffer, making room first: the buffer grows
// from parserInitBuf to parserBufSize as the stream proves busy, and beyond
// when one command does not fit.
func (p *Parser) fill() {
	if p.buf == nil {
		p.buf = make([]byte, parserInitBuf)
	}
	if len(p.buf)-p.end < parserMinRead {
		used := p.end - p.start
		if len(p.buf) >= parserBufSize && used+parserMinRead <= len(p.buf) {
			copy(p.buf, p.buf[p.start:p.end])
		} else {
			// Growing by doubling (not to the length a header announces)
			// bounds memory by twice the bytes really present, even when
			// the header is garbage.
			nb := make([]byte, 2*len(p.buf))
			copy(nb, p.buf[p.start:p.end])
			p.buf = nb
		}
		p.start, p.end = 0, used
	}
	for range 100 {
		n, err := p.r.Read(p.buf[p.end:])
		p.end += n
		if err != nil {
			p.rerr = err
			return
		}
		if n > 0 {
			return
		}
	}
	p.rerr = io.ErrNoProgress
}

// validateGroup checks that p is a sequence of whole commands.
func validateGroup(p []byte) error {
	var st cmdState
	for off := 0; off < len(p); {
		st = cmdState{}
		if _, err := st.step(p[off:], false); err != nil {
			var ce *CorruptError
			if errors.As(err, &ce) {
				return fmt.Errorf("%w: %s at byte %d", ErrInvalidGroup, ce.Reason, off+int(ce.Pos))
			}
			return fmt.Errorf("%w: command at byte %d is incomplete", ErrInvalidGroup, off)
		}
		off += st.n
	}
	return nil
}
