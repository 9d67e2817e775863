package server

import (
	"bytes"
	"testing"
)

// FuzzParseCommand feeds arbitrary input, whole and split at a point, to
// the request parser: no panic, and a split input parses to the same
// commands as the whole.
func FuzzParseCommand(f *testing.F) {
	f.Add([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"), 5)
	f.Add([]byte("PING\r\nset a \"b c\"\r\n"), 3)
	f.Add([]byte("*1\r\n$-1\r\n"), 1)
	f.Add([]byte("*2\r\n$3\r\nGET\r\n$999999999999\r\n"), 9)
	f.Add([]byte("get 'a\\'b' \"\\x41\\n\"\r\n"), 2)
	f.Fuzz(func(t *testing.T, in []byte, cut int) {
		whole := parseAll(in, -1)
		if cut < 0 {
			cut = -cut
		}
		if len(in) > 0 {
			cut %= len(in) + 1
		} else {
			cut = 0
		}
		split := parseAll(in, cut)
		if whole != split {
			t.Fatalf("whole %q != split at %d %q", whole, cut, split)
		}
	})
}

// parseAll runs the connection reader over in (delivered in two writes
// when cut >= 0) and renders what it parsed.
func parseAll(in []byte, cut int) string {
	var chunks [][]byte
	if cut >= 0 {
		chunks = [][]byte{in[:cut], in[cut:]}
	} else {
		chunks = [][]byte{in}
	}
	r := newReader(&chunkReader{chunks: chunks}, nil)
	var out bytes.Buffer
	for range 10000 {
		args, err := r.next()
		if err != nil {
			if pe, ok := err.(*ProtocolError); ok {
				out.WriteString("ERR " + pe.Msg)
			}
			break
		}
		for _, a := range args {
			out.WriteString(string(a))
			out.WriteByte(0)
		}
		out.WriteByte('\n')
	}
	return out.String()
}

type chunkReader struct{ chunks [][]byte }

func (c *chunkReader) Read(p []byte) (int, error) {
	for len(c.chunks) > 0 && len(c.chunks[0]) == 0 {
		c.chunks = c.chunks[1:]
	}
	if len(c.chunks) == 0 {
		return 0, errEOF
	}
	n := copy(p, c.chunks[0])
	c.chunks[0] = c.chunks[0][n:]
	return n, nil
}

var errEOF = bytes.ErrTooLarge // any non-nil error ends the stream
