package server

import (
	"bytes"
	"errors"
	"io"
	"strconv"

	"github.com/cobbledb/cobble/aof"
)

// errIncomplete means the buffer holds only part of a command.
var errIncomplete = errors.New("incomplete command")

// ProtocolError is a malformed request: the client gets
// "-ERR Protocol error: <Msg>" and the connection is closed, as in Redis.
type ProtocolError struct{ Msg string }

func (e *ProtocolError) Error() string { return "Protocol error: " + e.Msg }

// Limits bound what one request may make the server allocate.
type Limits struct {
	MaxBulkLen    int64 // proto-max-bulk-len
	MaxQueryBuf   int64 // client-query-buffer-limit: one command's total size
	MaxInline     int   // longest inline command line
	Unauthentic   bool  // client not yet authenticated: Redis's tighter limits
	MaxMultiBulk  int64
	unauthArgs    int64
	unauthBulkLen int64
}

func defaultLimits() Limits {
	// MaxMultiBulk is the log's per-command limit (aof.MaxArgs): a command
	// the log could not hold is refused before it runs.
	return Limits{MaxBulkLen: 512 << 20, MaxQueryBuf: 1 << 30, MaxInline: 64 << 10, MaxMultiBulk: aof.MaxArgs,
		unauthArgs: 10, unauthBulkLen: 16384}
}

// parseCommand parses one command from the start of b: a RESP array of
// bulk strings or an inline command. It returns the arguments (slices of
// b) and the bytes consumed; errIncomplete when more input is needed; a
// *ProtocolError for malformed input. Limits are checked on each header as
// soon as it is complete, before the data it announces arrives. n > 0 with
// nil args means a line to ignore (empty inline line, *0, *-1).
func parseCommand(b []byte, lim *Limits) (args [][]byte, n int, err error) {
	return parseCommandInto(nil, b, lim)
}

// parseCommandInto is parseCommand appending the arguments to dst[:0]:
// the reader parses into one reused slice and copies only what it returns.
func parseCommandInto(dst [][]byte, b []byte, lim *Limits) (args [][]byte, n int, err error) {
	if len(b) == 0 {
		return nil, 0, errIncomplete
	}
	if b[0] != '*' {
		return parseInline(b, lim)
	}
	line, pos, err := readLine(b, 0, lim.MaxInline)
	if err != nil {
		if err == errIncomplete {
			return nil, 0, err
		}
		return nil, 0, &ProtocolError{"too big mbulk count string"}
	}
	count, ok := parseInt(line[1:])
	if !ok || count > lim.MaxMultiBulk {
		return nil, 0, &ProtocolError{"invalid multibulk length"}
	}
	if lim.Unauthentic && count > lim.unauthArgs {
		return nil, 0, &ProtocolError{"unauthenticated multibulk length"}
	}
	if count <= 0 {
		return nil, pos, nil
	}
	total := int64(0)
	args = dst[:0]
	if args == nil {
		args = make([][]byte, 0, min(count, 1024))
	}
	for range count {
		if pos >= len(b) {
			return nil, 0, errIncomplete
		}
		if b[pos] != '$' {
			return nil, 0, &ProtocolError{"expected '$', got '" + string(b[pos]) + "'"}
		}
		line, next, err := readLine(b, pos, 32)
		if err != nil {
			if err == errIncomplete {
				return nil, 0, err
			}
			return nil, 0, &ProtocolError{"too big bulk count string"}
		}
		size, ok := parseInt(line[1:])
		if !ok || size < 0 || size > lim.MaxBulkLen {
			return nil, 0, &ProtocolError{"invalid bulk length"}
		}
		if lim.Unauthentic && size > lim.unauthBulkLen {
			return nil, 0, &ProtocolError{"unauthenticated bulk length"}
		}
		total += size
		if total > lim.MaxQueryBuf {
			return nil, 0, &ProtocolError{"query buffer limit exceeded"}
		}
		if int64(len(b)-next) < size+2 {
			return nil, 0, errIncomplete
		}
		end := next + int(size)
		if b[end] != '\r' || b[end+1] != '\n' {
			return nil, 0, &ProtocolError{"expected CRLF after bulk"}
		}
		args = append(args, b[next:end:end])
		pos = end + 2
	}
	return args, pos, nil
}

// neededBytes estimates how many bytes the partial command at the start of
// b needs in total, so the reader can grow its buffer once for a big bulk.
func neededBytes(b []byte) int {
	if len(b) == 0 || b[0] != '*' {
		return 0
	}
	_, pos, err := readLine(b, 0, 64)
	if err != nil {
		return 0
	}
	for pos < len(b) && b[pos] == '$' {
		line, next, err := readLine(b, pos, 32)
		if err != nil {
			return 0
		}
		size, ok := parseInt(line[1:])
		if !ok || size < 0 {
			return 0
		}
		if int64(len(b)-next) < size+2 {
			return next + int(size) + 2
		}
		pos = next + int(size) + 2
	}
	return 0
}

// readLine returns the line starting at pos without its CRLF and the
// position after it. A line longer than max is a *ProtocolError.
func readLine(b []byte, pos, max int) ([]byte, int, error) {
	i := bytes.IndexByte(b[pos:min(len(b), pos+max+2)], '\n')
	if i < 0 {
		if len(b)-pos > max+1 {
			return nil, 0, &ProtocolError{"line too long"}
		}
		return nil, 0, errIncomplete
	}
	end := pos + i
	line := b[pos:end]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	return line, end + 1, nil
}

// parseInt parses a decimal int64 as Redis's string2ll: no spaces, no '+'.
func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if b[0] == '+' {
		return 0, false
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	return n, err == nil
}

func parseInline(b []byte, lim *Limits) ([][]byte, int, error) {
	i := bytes.IndexByte(b, '\n')
	if i < 0 {
		if len(b) > lim.MaxInline {
			return nil, 0, &ProtocolError{"too big inline request"}
		}
		return nil, 0, errIncomplete
	}
	if i > lim.MaxInline {
		return nil, 0, &ProtocolError{"too big inline request"}
	}
	line := b[:i]
	if len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	args, ok := splitArgs(line)
	if !ok {
		return nil, 0, &ProtocolError{"unbalanced quotes in request"}
	}
	if lim.Unauthentic && int64(len(args)) > lim.unauthArgs {
		return nil, 0, &ProtocolError{"unauthenticated multibulk length"}
	}
	return args, i + 1, nil
}

// splitArgs splits an inline command like Redis's sdssplitargs: spaces
// separate arguments; "double quotes" take \n \r \t \b \a \\ \" \xHH;
// 'single quotes' take \'; a closing quote must be followed by a space.
func splitArgs(line []byte) ([][]byte, bool) {
	var args [][]byte
	p := 0
	for {
		for p < len(line) && isSpace(line[p]) {
			p++
		}
		if p >= len(line) {
			return args, true
		}
		var cur []byte
		inq, insq, done := false, false, false
		for !done {
			if inq {
				if p >= len(line) {
					return nil, false
				}
				c := line[p]
				switch {
				case c == '\\' && p+3 < len(line) && line[p+1] == 'x' && isHex(line[p+2]) && isHex(line[p+3]):
					cur = append(cur, unhex(line[p+2])<<4|unhex(line[p+3]))
					p += 3
				case c == '\\' && p+1 < len(line):
					p++
					switch line[p] {
					case 'n':
						cur = append(cur, '\n')
					case 'r':
						cur = append(cur, '\r')
					case 't':
						cur = append(cur, '\t')
					case 'b':
						cur = append(cur, '\b')
					case 'a':
						cur = append(cur, '\a')
					default:
						cur = append(cur, line[p])
					}
				case c == '"':
					if p+1 < len(line) && !isSpace(line[p+1]) {
						return nil, false
					}
					done = true
				default:
					cur = append(cur, c)
				}
			} else if insq {
				if p >= len(line) {
					return nil, false
				}
				c := line[p]
				switch {
				case c == '\\' && p+1 < len(line) && line[p+1] == '\'':
					p++
					cur = append(cur, '\'')
				case c == '\'':
					if p+1 < len(line) && !isSpace(line[p+1]) {
						return nil, false
					}
					done = true
				default:
					cur = append(cur, c)
				}
			} else {
				if p >= len(line) {
					break
				}
				switch c := line[p]; c {
				case ' ', '\n', '\r', '\t', 0:
					done = true
				case '"':
					inq = true
				case '\'':
					insq = true
				default:
					cur = append(cur, c)
				}
			}
			if p < len(line) {
				p++
			}
		}
		if cur == nil {
			cur = []byte{}
		}
		args = append(args, cur)
	}
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f'
}

func isHex(c byte) bool {
	return ('0' <= c && c <= '9') || ('a' <= c && c <= 'f') || ('A' <= c && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// reader reads commands from a connection into one growing buffer. Before
// it blocks on the socket it calls flush, so pipelined replies go out
// exactly when the client has nothing more queued.
type reader struct {
	rd    io.Reader
	buf   []byte
	r, w  int
	flush func() error
	lim   Limits
	parse [][]byte // scratch for parseCommandInto
	// ahead is what ready parsed at r.r, kept for next, so a pipelined
	// command is parsed once; a move of the buffer drops it.
	ahead parsed
}

// parsed is one result of parseCommandInto.
type parsed struct {
	args [][]byte
	n    int
	err  error
	set  bool
}

func newReader(rd io.Reader, flush func() error) *reader {
	return &reader{rd: rd, buf: make([]byte, 16<<10), flush: flush, lim: defaultLimits()}
}

// next returns the next command, reading more input when needed. The
// arguments are a private copy the caller may keep.
func (r *reader) next() ([][]byte, error) {
	for {
		p := r.ahead
		if !p.set {
			p = r.parseAt()
		}
		r.ahead = parsed{}
		args, n, err := p.args, p.n, p.err
		if err == nil {
			r.r += n
			if args == nil {
				continue
			}
			return copyArgs(args), nil
		}
		if err != errIncomplete {
			return nil, err
		}
		if err := r.fill(); err != nil {
			return nil, err
		}
	}
}

// ready reports whether a complete command (or a protocol error) is
// already buffered; next then returns it without parsing it again.
func (r *reader) ready() bool {
	if !r.ahead.set {
		p := r.parseAt()
		if p.err == errIncomplete {
			return false
		}
		r.ahead = p
	}
	return true
}

// parseAt parses the command at r.r into the reused scratch slice.
func (r *reader) parseAt() parsed {
	args, n, err := parseCommandInto(r.parse, r.buf[r.r:r.w], &r.lim)
	if err == nil && cap(args) <= 1024 {
		r.parse = args[:0]
	}
	return parsed{args, n, err, true}
}

func (r *reader) fill() error {
	if r.flush != nil {
		if err := r.flush(); err != nil {
			return err
		}
	}
	return r.fillRaw()
}

// fillRaw reads more input without flushing replies: a blocked client's
// connection goroutine uses it to notice a disconnect while the executor
// may be writing the reply.
func (r *reader) fillRaw() error {
	r.ahead = parsed{}
	if r.r > 0 {
		r.w = copy(r.buf, r.buf[r.r:r.w])
		r.r = 0
	}
	if r.w == len(r.buf) {
		need := max(neededBytes(r.buf[:r.w]), 2*len(r.buf))
		// Grow at most 1 MiB ahead of the data that actually arrived, so a
		// header announcing a huge bulk costs nothing until the bytes come.
		need = min(need, r.w+1<<20)
		nb := make([]byte, need)
		copy(nb, r.buf[:r.w])
		r.buf = nb
	}
	n, err := r.rd.Read(r.buf[r.w:])
	r.w += n
	if n > 0 {
		return nil
	}
	if err == nil {
		err = io.ErrNoProgress
	}
	return err
}

// shrink drops a large buffer once it is empty, so one big command does not
// pin memory for the life of the connection.
func (r *reader) shrink() {
	if r.r == r.w && len(r.buf) > 64<<10 {
		r.ahead = parsed{}
		r.buf = make([]byte, 16<<10)
		r.r, r.w = 0, 0
	}
}

// queryBufLen is the buffered, unparsed input (CLIENT LIST qbuf).
func (r *reader) queryBufLen() int { return r.w - r.r }

func copyArgs(args [][]byte) [][]byte {
	total := 0
	for _, a := range args {
		total += len(a)
	}
	if total == 0 {
		out := make([][]byte, len(args))
		for i := range out {
			out[i] = []byte{}
		}
		return out
	}
	mem := make([]byte, 0, total)
	out := make([][]byte, len(args))
	for i, a := range args {
		start := len(mem)
		mem = append(mem, a...)
		out[i] = mem[start:len(mem):len(mem)]
	}
	return out
}
