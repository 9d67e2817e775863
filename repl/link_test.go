package repl

// Unit tests of the replica side against a scripted master: the RDB
// payload framings, the stream cut at every byte into batches that never
// split a command or a MULTI block, and the offsets in REPLCONF ACK.
//
// Failure cases covered: the EOF mark split across reads, bytes after the
// mark, a payload cut short, a stream cut inside a command and inside a
// MULTI block, a non-canonical command.

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cobbledb/cobble/aof"
)

// chunkReader returns its data in reads of random sizes.
type chunkReader struct {
	data []byte
	rng  *rand.Rand
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), len(c.data), 1+c.rng.IntN(100))
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

func TestRDBReader_EOFMark(t *testing.T) {
	mark := strings.Repeat("ab", 20)
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 1))
		payload := make([]byte, rng.IntN(3000))
		for i := range payload {
			payload[i] = byte(rng.IntN(256))
		}
		if seed%7 == 0 {
			// Bytes that look like the start of the mark.
			payload = append(payload, mark[:39]...)
		}
		after := []byte("*1\r\n$4\r\nPING\r\n"[:rng.IntN(15)])
		stream := append([]byte("$EOF:"+mark+"\r\n"), payload...)
		stream = append(stream, mark...)
		stream = append(stream, after...)
		br := bufio.NewReaderSize(&chunkReader{data: stream, rng: rng}, 16)
		r, size, err := RDBReader(br)
		if err != nil || size != -1 {
			t.Fatalf("seed %d: RDBReader: %v size %d", seed, err, size)
		}
		got, err := readAllSmall(r, rng)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if !bytes.Equal(got, payload) {
			t.Fatalf("seed %d: payload of %d bytes read as %d bytes", seed, len(payload), len(got))
		}
		rest, _ := io.ReadAll(r.(*eofReader).Rest())
		if !bytes.Equal(rest, after) {
			t.Fatalf("seed %d: after the mark %q, want %q", seed, rest, after)
		}
	}
}

// readAllSmall reads r with buffers of random sizes.
func readAllSmall(r io.Reader, rng *rand.Rand) ([]byte, error) {
	var out []byte
	for {
		p := make([]byte, 1+rng.IntN(500))
		n, err := r.Read(p)
		out = append(out, p[:n]...)
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return out, err
		}
	}
}

func TestRDBReader_Truncated(t *testing.T) {
	mark := strings.Repeat("cd", 20)
	br := bufio.NewReader(strings.NewReader("$EOF:" + mark + "\r\nsome payload" + mark[:10]))
	r, _, err := RDBReader(br)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(r); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("payload without its mark: %v, want ErrUnexpectedEOF", err)
	}
	br = bufio.NewReader(strings.NewReader("\n\n$5\r\nabcdePING"))
	r, size, err := RDBReader(br)
	if err != nil || size != 5 {
		t.Fatalf("sized: %v %d", err, size)
	}
	if b, _ := io.ReadAll(r); string(b) != "abcde" {
		t.Fatalf("sized payload %q", b)
	}
	if _, _, err := RDBReader(bufio.NewReader(strings.NewReader("-LOADING busy\r\n"))); err == nil || !strings.Contains(err.Error(), "LOADING") {
		t.Fatalf("error reply: %v", err)
	}
}

func cmd(args ...string) []byte {
	bs := make([][]byte, len(args))
	for i, a := range args {
		bs[i] = []byte(a)
	}
	return aof.AppendCommand(nil, bs...)
}

func TestSplitStream(t *testing.T) {
	stream := bytes.Join([][]byte{
		cmd("SELECT", "1"), cmd("SET", "a", "1"),
		cmd("MULTI"), cmd("INCR", "a"), cmd("INCR", "b"), cmd("EXEC"),
		cmd("REPLCONF", "GETACK", "*"), cmd("DEL", "a"),
	}, nil)
	multiAt := len(cmd("SELECT", "1")) + len(cmd("SET", "a", "1"))
	execEnd := bytes.Index(stream, cmd("EXEC")) + len(cmd("EXEC"))
	for cut := 0; cut <= len(stream); cut++ {
		b, err := splitStream(stream[:cut])
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		// The batch is whole commands, never part of the MULTI block.
		if b.n > multiAt && b.n < execEnd {
			t.Fatalf("cut %d: batch ends at %d, inside the MULTI block", cut, b.n)
		}
		var re []byte
		for _, c := range b.cmds {
			re = aof.AppendCommand(re, c...)
		}
		if !bytes.Equal(re, stream[:b.n]) {
			t.Fatalf("cut %d: commands %q are not the batch's bytes", cut, re)
		}
		if cut == len(stream) && (b.n != cut || !b.getack || len(b.cmds) != 8) {
			t.Fatalf("whole stream: n=%d getack=%v cmds=%d", b.n, b.getack, len(b.cmds))
		}
	}
	if _, err := splitStream([]byte("*1\r\n$04\r\nPING\r\n")); !errors.Is(err, ErrProtocol) {
		t.Fatalf("non-canonical length: %v", err)
	}
	if _, err := splitStream([]byte("PING\r\n")); !errors.Is(err, ErrProtocol) {
		t.Fatalf("inline command: %v", err)
	}
}

// fakeApplier records what the link applies.
type fakeApplier struct {
	mu      sync.Mutex
	replid  string
	off     int64
	rdb     []byte
	applied []byte
	batches int
	cmds    int
	split   bool // a MULTI block was split across batches
}

func (a *fakeApplier) ReplState() (string, int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.replid, a.off
}

func (a *fakeApplier) FullSync(replid string, offset int64, r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.replid, a.off, a.rdb, a.applied = replid, offset, b, nil
	return nil
}

func (a *fakeApplier) Continue(string) error { return nil }

func (a *fakeApplier) Apply(raw []byte, cmds [][][]byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	depth := 0
	for _, c := range cmds {
		switch strings.ToLower(string(c[0])) {
		case "multi":
			depth++
		case "exec":
			depth--
		}
	}
	if depth != 0 {
		a.split = true
	}
	a.applied = append(a.applied, raw...)
	a.off += int64(len(raw))
	a.batches++
	a.cmds += len(cmds)
	return nil
}

// TestLink_FullSyncThenStream runs a link against a scripted master that
// sends a disk-less RDB and then a stream in random pieces; the applier
// must see exactly the stream, in batches of whole commands, and the ACKs
// must carry the offset reached.
func TestLink_FullSyncThenStream(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	const replid = "0123456789012345678901234567890123456789"
	mark := strings.Repeat("m", 40)
	rdb := bytes.Repeat([]byte("RDB-PAYLOAD."), 5000)
	var stream []byte
	for i := range 3000 {
		if i%100 == 0 {
			stream = append(stream, cmd("MULTI")...)
			stream = append(stream, cmd("SET", "k"+strconv.Itoa(i), strings.Repeat("v", i))...)
			stream = append(stream, cmd("EXEC")...)
		}
		stream = append(stream, cmd("SET", "k"+strconv.Itoa(i), "v")...)
	}
	stream = append(stream, cmd("REPLCONF", "GETACK", "*")...)
	const start = 1000
	acks := make(chan int64, 1000)
	masterErr := make(chan error, 1)
	go func() {
		masterErr <- func() error {
			c, err := ln.Accept()
			if err != nil {
				return err
			}
			defer c.Close()
			br := bufio.NewReader(c)
			p := aof.NewParser(br)
			for {
				args, err := p.Next()
				if err != nil {
					return err
				}
				name := strings.ToLower(string(args[0]))
				switch name {
				case "ping":
					c.Write([]byte("+PONG\r\n"))
					continue
				case "replconf":
					c.Write([]byte("+OK\r\n"))
					continue
				case "psync":
				default:
					return fmt.Errorf("unexpected %s", name)
				}
				if string(args[1]) != "?" || string(args[2]) != "-1" {
					return fmt.Errorf("PSYNC %s %s from a fresh replica", args[1], args[2])
				}
				break
			}
			fmt.Fprintf(c, "+FULLRESYNC %s %d\r\n\n$EOF:%s\r\n", replid, start, mark)
			rng := rand.New(rand.NewPCG(3, 4))
			out := append(append(append([]byte(nil), rdb...), mark...), stream...)
			for len(out) > 0 {
				n := min(len(out), 1+rng.IntN(3000))
				if _, err := c.Write(out[:n]); err != nil {
					return err
				}
				out = out[n:]
				if rng.IntN(20) == 0 {
					time.Sleep(time.Millisecond) // let the replica see a partial command
				}
			}
			for {
				args, err := p.Next()
				if err != nil {
					return nil
				}
				if len(args) == 3 && strings.EqualFold(string(args[1]), "ack") {
					off, _ := strconv.ParseInt(string(args[2]), 10, 64)
					acks <- off
				}
			}
		}()
	}()
	a := &fakeApplier{off: -1}
	host, port, _ := net.SplitHostPort(ln.Addr().String())
	l := NewLink(Config{Host: host, Port: port, AckInterval: 50 * time.Millisecond, RetryInterval: 10 * time.Millisecond}, a)
	l.Start()
	defer l.Stop()
	want := int64(start + len(stream))
	deadline := time.After(20 * time.Second)
	for got := int64(-1); got != want; {
		select {
		case got = <-acks:
			if got > want {
				t.Fatalf("ACK %d beyond the stream's end %d", got, want)
			}
		case err := <-masterErr:
			t.Fatalf("master: %v", err)
		case <-deadline:
			t.Fatalf("no ACK of offset %d; state %+v", want, l.State())
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if !bytes.Equal(a.rdb, rdb) {
		t.Fatalf("RDB payload of %d bytes arrived as %d bytes", len(rdb), len(a.rdb))
	}
	if !bytes.Equal(a.applied, stream) {
		t.Fatalf("applied %d bytes, the stream is %d", len(a.applied), len(stream))
	}
	if a.split {
		t.Fatal("a MULTI block was split across batches")
	}
	if st := l.State(); !st.Up || st.FullSyncs != 1 || st.Status != "connected" {
		t.Fatalf("state %+v", st)
	}
	t.Logf("%d commands in %d batches", a.cmds, a.batches)
}
