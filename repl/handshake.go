package repl

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ErrProtocol marks an answer the replication protocol does not allow.
var ErrProtocol = errors.New("repl: protocol error")

// SyncReply is the master's answer to PSYNC.
type SyncReply struct {
	Full   bool   // +FULLRESYNC: an RDB follows
	ReplID string // the master's replication id
	Offset int64  // FULLRESYNC: the offset the RDB reflects
}

// ParsePSyncReply parses "+FULLRESYNC <replid> <offset>", "+CONTINUE" or
// "+CONTINUE <replid>". Errors from the master ("-NOMASTERLINK…",
// "-LOADING…") come back as errors naming them.
func ParsePSyncReply(line string) (SyncReply, error) {
	line = strings.TrimRight(line, "\r\n")
	switch {
	case strings.HasPrefix(line, "+FULLRESYNC"):
		f := strings.Fields(line)
		if len(f) != 3 || len(f[1]) != 40 {
			return SyncReply{}, fmt.Errorf("%w: %q", ErrProtocol, line)
		}
		off, err := strconv.ParseInt(f[2], 10, 64)
		if err != nil || off < 0 {
			return SyncReply{}, fmt.Errorf("%w: %q", ErrProtocol, line)
		}
		return SyncReply{Full: true, ReplID: f[1], Offset: off}, nil
	case strings.HasPrefix(line, "+CONTINUE"):
		f := strings.Fields(line)
		r := SyncReply{}
		if len(f) == 2 && len(f[1]) == 40 {
			r.ReplID = f[1]
		}
		return r, nil
	case strings.HasPrefix(line, "-"):
		return SyncReply{}, fmt.Errorf("repl: master refused PSYNC: %s", line[1:])
	}
	return SyncReply{}, fmt.Errorf("%w: unexpected PSYNC reply %q", ErrProtocol, line)
}

// EncodeCommand encodes a command as a RESP array of bulk strings.
func EncodeCommand(args ...string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	return b.Bytes()
}

// readLine reads one CRLF-terminated line (the master may send bare "\n"
// keepalives while it prepares an RDB; those are skipped).
func readLine(r *bufio.Reader) (string, error) {
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return "", err
		}
		if line == "\n" || line == "\r\n" {
			continue
		}
		if len(line) > 64<<10 {
			return "", fmt.Errorf("%w: line too long", ErrProtocol)
		}
		return strings.TrimRight(line, "\r\n"), nil
	}
}

// RDBReader returns a reader of the RDB payload that follows FULLRESYNC:
// "$<len>\r\n<len bytes>" or the disk-less "$EOF:<40-byte mark>\r\n<bytes>
// <mark>". The payload ends exactly there; the stream follows.
func RDBReader(r *bufio.Reader) (io.Reader, int64, error) {
	line, err := readLine(r)
	if err != nil {
		return nil, 0, err
	}
	if !strings.HasPrefix(line, "$") {
		if strings.HasPrefix(line, "-") {
			return nil, 0, fmt.Errorf("repl: master error during sync: %s", line[1:])
		}
		return nil, 0, fmt.Errorf("%w: bad RDB header %q", ErrProtocol, line)
	}
	if strings.HasPrefix(line, "$EOF:") {
		mark := line[5:]
		if len(mark) != 40 {
			return nil, 0, fmt.Errorf("%w: bad EOF mark %q", ErrProtocol, line)
		}
		return &eofReader{r: r, mark: []byte(mark)}, -1, nil
	}
	n, err := strconv.ParseInt(line[1:], 10, 64)
	if err != nil || n < 0 {
		return nil, 0, fmt.Errorf("%w: bad RDB length %q", ErrProtocol, line)
	}
	return io.LimitReader(r, n), n, nil
}

// eofReader reads until a 40-byte mark, holding back the last 40 bytes so
// the mark never reaches the caller.
type eofReader struct {
	r    *bufio.Reader
	mark []byte
	hold []byte // read, not given out yet; ends with what may be the start of the mark
	buf  []byte // read buffer
	done bool   // the mark was found: hold is the rest of the payload
}

func (e *eofReader) Read(p []byte) (int, error) {
	for !e.done && len(e.hold) <= len(e.mark) {
		if e.buf == nil {
			e.buf = make([]byte, 64<<10)
		}
		n, err := e.r.Read(e.buf)
		from := max(0, len(e.hold)-len(e.mark)) // the mark can only end in the new bytes
		e.hold = append(e.hold, e.buf[:n]...)
		if i := bytes.Index(e.hold[from:], e.mark); i >= 0 {
			i += from
			if rest := e.hold[i+len(e.mark):]; len(rest) > 0 {
				// Bytes after the mark belong to the stream (a master that
				// does not wait for the replica): keep them for Rest.
				e.r = bufio.NewReader(io.MultiReader(bytes.NewReader(bytes.Clone(rest)), e.r))
			}
			e.hold = e.hold[:i]
			e.done = true
			break
		}
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return 0, err
		}
	}
	avail := len(e.hold)
	if !e.done {
		avail -= len(e.mark) // what could be the start of the mark stays
	}
	if avail == 0 {
		return 0, io.EOF
	}
	n := copy(p, e.hold[:avail])
	m := copy(e.hold, e.hold[n:])
	e.hold = e.hold[:m]
	return n, nil
}

// Rest returns the reader to continue the stream with after the payload:
// bytes read past the mark are not lost.
func (e *eofReader) Rest() *bufio.Reader { return e.r }
