package aof

// Covers the RESP framing of the log: encoding, parsing of whole, partial
// (every cut) and invalid commands, the streaming Parser with tiny reads,
// buffer growth for big commands and EOF inside a command.

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
)

func TestAppendCommand_Encoding(t *testing.T) {
	got := string(AppendCommand([]byte("x"), []byte("SET"), []byte("k"), []byte("")))
	want := "x*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n"
	if got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestParseCommand_RoundTrip(t *testing.T) {
	cases := [][]string{
		{"PING"},
		{"SET", "k", "v"},
		{"SET", "", "\r\n*3\r\n$"},
		{"SELECT", "15"},
		{"HSET", "h", strings.Repeat("x", 1000), "f", "v"},
	}
	for _, c := range cases {
		b := cmd(c...)
		trailing := append(bytes.Clone(b), cmd("NEXT")...)
		args, n, err := ParseCommand(trailing)
		if err != nil {
			t.Fatalf("%q: %v", b, err)
		}
		if n != len(b) {
			t.Fatalf("%q: n = %d, want %d", b, n, len(b))
		}
		if len(args) != len(c) {
			t.Fatalf("%q: %d args, want %d", b, len(args), len(c))
		}
		for i := range c {
			if string(args[i]) != c[i] {
				t.Fatalf("%q: arg %d = %q, want %q", b, i, args[i], c[i])
			}
		}
	}
}

func TestParseCommand_IncompleteAtEveryCut(t *testing.T) {
	b := cmd("SET", "key", "", "value1234567890")
	for cut := range len(b) {
		_, n, err := ParseCommand(b[:cut])
		if err != ErrIncomplete || n != 0 {
			t.Fatalf("cut %d (%q): n=%d err=%v, want ErrIncomplete", cut, b[:cut], n, err)
		}
	}
}

func TestParseCommand_Corrupt(t *testing.T) {
	cases := []struct {
		in     string
		pos    int64
		reason string
	}{
		{"+OK\r\n", 0, `expected '*'`},
		{"*0\r\n", 0, "empty command"},
		{"*-1\r\n", 1, "invalid byte"},
		{"*\r\n", 1, "missing length"},
		{"*01\r\n", 2, "leading zero"},
		{"*1x\r\n", 2, "invalid byte"},
		{"*1\rx", 3, "not followed by CRLF"},
		{"*1048577\r\n", 7, "out of range"},
		{"*99999999999999999999", 7, "out of range"},
		{"*1\r\n:1\r\n", 4, `expected '$'`},
		{"*1\r\n$536870913\r\n", 13, "out of range"},
		{"*1\r\n$3\r\nabcd\r\n", 11, "not followed by CRLF"},
		{"*1\r\n$3\r\nabc\rx", 12, "not followed by CRLF"},
		{"*1\r\n$3\r\nabcX", 11, "not followed by CRLF"},
		{"*2\r\n$1\r\na\r\n*1\r\n", 11, `expected '$'`},
	}
	for _, c := range cases {
		_, _, err := ParseCommand([]byte(c.in))
		var ce *CorruptError
		if !errors.As(err, &ce) || !errors.Is(err, ErrCorrupt) {
			t.Errorf("%q: err = %v, want a CorruptError", c.in, err)
			continue
		}
		if ce.Pos != c.pos || !strings.Contains(ce.Reason, c.reason) {
			t.Errorf("%q: pos %d reason %q, want pos %d reason containing %q", c.in, ce.Pos, ce.Reason, c.pos, c.reason)
		}
		if errors.Is(err, ErrIncomplete) {
			t.Errorf("%q: corrupt error also matches ErrIncomplete", c.in)
		}
	}
}

func TestValidateGroup(t *testing.T) {
	good := group(cmd("SELECT", "1"), cmd("SET", "a", "b"))
	if err := validateGroup(good); err != nil {
		t.Fatalf("valid group: %v", err)
	}
	for _, bad := range [][]byte{good[:len(good)-1], append(bytes.Clone(good), 'x'), []byte("PING\r\n")} {
		if err := validateGroup(bad); !errors.Is(err, ErrInvalidGroup) {
			t.Fatalf("%q: err = %v, want ErrInvalidGroup", bad, err)
		}
	}
}

// parseAll reads every command of a stream, joining args with spaces.
func parseAll(p *Parser) ([]string, error) {
	var out []string
	for {
		args, err := p.Next()
		if err != nil {
			return out, err
		}
		out = append(out, string(bytes.Join(args, []byte(" "))))
	}
}

func TestParser_Stream(t *testing.T) {
	big := strings.Repeat("v", 3*parserBufSize+17) // forces the buffer to grow
	many := make([]string, 50000)                  // a command of ~500 KB in tiny args
	for i := range many {
		many[i] = "m"
	}
	cmds := [][]string{{"SELECT", "0"}, {"SET", "big", big}, {"DEL", "k"}, append([]string{"SADD"}, many...), {"PING"}}
	var stream []byte
	for _, c := range cmds {
		stream = append(stream, cmd(c...)...)
	}
	readers := map[string]io.Reader{
		"bulk":     bytes.NewReader(stream),
		"one-byte": iotest.OneByteReader(bytes.NewReader(stream)),
		"half":     iotest.HalfReader(bytes.NewReader(stream)),
	}
	for name, r := range readers {
		t.Run(name, func(t *testing.T) {
			p := NewParser(r)
			got, err := parseAll(p)
			if err != io.EOF {
				t.Fatalf("err = %v, want io.EOF", err)
			}
			if len(got) != len(cmds) {
				t.Fatalf("%d commands, want %d", len(got), len(cmds))
			}
			for i, c := range cmds {
				if got[i] != strings.Join(c, " ") {
					t.Fatalf("command %d differs", i)
				}
			}
			if p.Offset() != int64(len(stream)) {
				t.Fatalf("Offset = %d, want %d", p.Offset(), len(stream))
			}
		})
	}
}

func TestParser_TornAndCorrupt(t *testing.T) {
	first := cmd("SET", "a", "1")
	torn := append(bytes.Clone(first), cmd("SET", "b", "2")[:9]...)
	p := NewParser(bytes.NewReader(torn))
	_, err := parseAll(p)
	var ce *CorruptError
	if !errors.As(err, &ce) || !ce.Torn || !errors.Is(err, ErrIncomplete) || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("torn stream: err = %v", err)
	}
	if ce.Offset != int64(len(first)) || ce.Pos != int64(len(torn)) {
		t.Fatalf("torn at offset %d pos %d, want %d and %d", ce.Offset, ce.Pos, len(first), len(torn))
	}

	bad := append(bytes.Clone(first), "*1\r\n$1\r\nxyz"...)
	p = NewParser(bytes.NewReader(bad))
	_, err = parseAll(p)
	if !errors.As(err, &ce) || ce.Torn || ce.Offset != int64(len(first)) || ce.Pos != int64(len(first)+9) {
		t.Fatalf("corrupt stream: err = %v (%+v)", err, ce)
	}

	readErr := errors.New("link down")
	p = NewParser(io.MultiReader(bytes.NewReader(first), iotest.ErrReader(readErr)))
	got, err := parseAll(p)
	if err != readErr || len(got) != 1 {
		t.Fatalf("read error: got %d commands, err %v", len(got), err)
	}
}

func TestParser_ShrinksAfterBigCommand(t *testing.T) {
	stream := append(cmd("SET", "k", strings.Repeat("x", 2*parserMaxRetain)), cmd("PING")...)
	p := NewParser(bytes.NewReader(stream))
	if _, err := p.Next(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Next(); err != nil {
		t.Fatal(err)
	}
	if cap(p.buf) > parserMaxRetain {
		t.Fatalf("buffer of %d bytes retained", cap(p.buf))
	}
}

func FuzzParseCommand(f *testing.F) {
	f.Add([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"))
	f.Add([]byte("*1\r\n$0\r\n\r\n*1\r\n$4\r\nPING\r\n"))
	f.Add([]byte("*2\r\n$6\r\nSELECT\r\n$1\r\n1"))
	f.Add([]byte("*1\r\n$-1\r\n"))
	f.Add([]byte("$3\r\nabc\r\n"))
	f.Add([]byte("*01\r\n"))
	f.Fuzz(func(t *testing.T, b []byte) {
		args, n, err := ParseCommand(b)
		if err != nil {
			if err != ErrIncomplete && !errors.Is(err, ErrCorrupt) {
				t.Fatalf("untyped error %v", err)
			}
			if args != nil || n != 0 {
				t.Fatalf("error with results: %d args, n=%d", len(args), n)
			}
			// A streaming Parser agrees with ParseCommand on the first command.
			_, perr := NewParser(bytes.NewReader(b)).Next()
			if err == ErrIncomplete && !(errors.Is(perr, ErrIncomplete) || (len(b) == 0 && perr == io.EOF)) {
				t.Fatalf("ParseCommand says incomplete, Parser says %v", perr)
			}
			if err != ErrIncomplete && (errors.Is(perr, ErrIncomplete) || !errors.Is(perr, ErrCorrupt)) {
				t.Fatalf("ParseCommand says %v, Parser says %v", err, perr)
			}
			return
		}
		if n <= 0 || n > len(b) || len(args) == 0 {
			t.Fatalf("success with n=%d of %d, %d args", n, len(b), len(args))
		}
		// Canonical encoding: re-encoding gives back the same bytes.
		if enc := AppendCommand(nil, args...); !bytes.Equal(enc, b[:n]) {
			t.Fatalf("re-encoding %q gives %q", b[:n], enc)
		}
		// And the arguments of an encoding round-trip.
		enc := AppendCommand(nil, append(args, b)...)
		args2, n2, err := ParseCommand(enc)
		if err != nil || n2 != len(enc) || len(args2) != len(args)+1 || !bytes.Equal(args2[len(args)], b) {
			t.Fatalf("round trip failed: %v", err)
		}
		// Every cut of a valid command is incomplete, never corrupt.
		for cut := 0; cut < n; cut += 1 + n/64 {
			if _, _, err := ParseCommand(b[:cut]); err != ErrIncomplete {
				t.Fatalf("cut %d of a valid command: %v", cut, err)
			}
		}
	})
}

func BenchmarkParseCommand(b *testing.B) {
	for _, size := range []int{16, 1024} {
		c := cmd("SET", "key:000000001", strings.Repeat("v", size))
		b.Run("value="+strconv.Itoa(size), func(b *testing.B) {
			b.SetBytes(int64(len(c)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := ParseCommand(c); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	b.Run("Parser/stream", func(b *testing.B) {
		var stream []byte
		for len(stream) < 8<<20 {
			stream = append(stream, cmd("SET", "key:000000001", strings.Repeat("v", 100))...)
		}
		b.SetBytes(int64(len(stream)))
		for b.Loop() {
			p := newParser(bytes.NewReader(stream), 0, false)
			for {
				if _, err := p.Next(); err != nil {
					if err != io.EOF {
						b.Fatal(err)
					}
					break
				}
			}
		}
	})
}

func TestParser_ResumesAfterEOF(t *testing.T) {
	var stream bytes.Buffer
	p := NewParser(&stream)
	if _, err := p.Next(); err != io.EOF {
		t.Fatalf("empty stream: %v", err)
	}
	c := cmd("SET", "k", "v")
	stream.Write(c[:5])
	if _, err := p.Next(); !errors.Is(err, ErrIncomplete) {
		t.Fatalf("half a command: %v", err)
	}
	stream.Write(c[5:])
	args, err := p.Next()
	if err != nil || len(args) != 3 || p.Offset() != int64(len(c)) {
		t.Fatalf("after the rest arrived: %q, %v", args, err)
	}
}
