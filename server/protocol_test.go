package server_test

// Bad input on the wire: malformed RESP, oversized bulk lengths, inline
// commands, huge pipelines and clients vanishing mid-command. Each gets
// Redis's error (and a closed connection for protocol errors) while the
// server keeps serving everyone else and loses nothing.

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/cobbledb/cobble/server/servertest"
)

func rawConn(t *testing.T, addr string) (net.Conn, *bufio.Reader) {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	return nc, bufio.NewReader(nc)
}

func readLine(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	l, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("read: %v (got %q)", err, l)
	}
	return strings.TrimRight(l, "\r\n")
}

func expectClosed(t *testing.T, r *bufio.Reader) {
	t.Helper()
	if _, err := r.ReadByte(); err != io.EOF {
		t.Fatalf("connection not closed: %v", err)
	}
}

func TestProtocol_Errors(t *testing.T) {
	n := servertest.Start(t)
	cases := []struct{ in, want string }{
		{"*1\r\n$abc\r\n", "-ERR Protocol error: invalid bulk length"},
		{"*1\r\n$-5\r\n", "-ERR Protocol error: invalid bulk length"},
		{"*x\r\n", "-ERR Protocol error: invalid multibulk length"},
		{"*1\r\n+PING\r\n", "-ERR Protocol error: expected '$', got '+'"},
		{"*1\r\n$600000000\r\n", "-ERR Protocol error: invalid bulk length"},
		{"*2000000\r\n", "-ERR Protocol error: invalid multibulk length"},
		{"set \"a b\n", "-ERR Protocol error: unbalanced quotes in request"},
		{strings.Repeat("a", 70000) + "\r\n", "-ERR Protocol error: too big inline request"},
	}
	for _, tc := range cases {
		nc, r := rawConn(t, n.Addr)
		fmt.Fprint(nc, tc.in)
		if got := readLine(t, r); got != tc.want {
			t.Errorf("%.30q: got %q, want %q", tc.in, got, tc.want)
		}
		expectClosed(t, r)
	}
	// The server still serves, and nothing was written.
	if v, _ := n.Client.DBSize(ctx).Result(); v != 0 {
		t.Fatalf("DBSIZE = %d after bad input", v)
	}
}

func TestProtocol_InlineAndUnknown(t *testing.T) {
	n := servertest.Start(t)
	nc, r := rawConn(t, n.Addr)
	fmt.Fprint(nc, "PING\r\nset k \"hello world\"\r\nget k\r\n\r\nfoo bar\r\n")
	for _, want := range []string{"+PONG", "+OK", "$11", "hello world",
		"-ERR unknown command 'foo', with args beginning with: 'bar' "} {
		if got := readLine(t, r); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}

// Commands rejected before they run (unknown, wrong arity) answer in their
// place in a pipeline, after the writes sent before them, never ahead.
func TestProtocol_PipelineRejectsInOrder(t *testing.T) {
	n := servertest.Start(t)
	nc, r := rawConn(t, n.Addr)
	fmt.Fprint(nc, "SET a 1\r\nFOO\r\nSET b 2\r\nINCR\r\nSET c 3 EX\r\nINCR a\r\nBAR x\r\nGET a\r\n")
	for i, want := range []string{"+OK", "-ERR unknown command 'FOO', with args beginning with: ", "+OK",
		"-ERR wrong number of arguments for 'incr' command", "-ERR syntax error", ":2",
		"-ERR unknown command 'BAR', with args beginning with: 'x' ", "$1", "2"} {
		if got := readLine(t, r); got != want {
			t.Fatalf("reply %d: got %q, want %q", i, got, want)
		}
	}
}

// Malformed input right after pipelined writes: the writes run and answer
// first, then the protocol error closes the connection.
func TestProtocol_ErrorAfterPipelinedWrites(t *testing.T) {
	n := servertest.Start(t)
	nc, r := rawConn(t, n.Addr)
	fmt.Fprint(nc, "SET a 1\r\nSET b 2\r\n*1\r\n$abc\r\n")
	for i, want := range []string{"+OK", "+OK", "-ERR Protocol error: invalid bulk length"} {
		if got := readLine(t, r); got != want {
			t.Fatalf("reply %d: got %q, want %q", i, got, want)
		}
	}
	expectClosed(t, r)
	if v, _ := n.Client.Get(ctx, "b").Result(); v != "2" {
		t.Fatalf("b = %q", v)
	}
}

func TestProtocol_HugePipeline(t *testing.T) {
	n := servertest.Start(t)
	nc, r := rawConn(t, n.Addr)
	nc.SetDeadline(time.Now().Add(2 * time.Minute)) // slow under -race on 2 cores
	const count = 20000
	var sb strings.Builder
	for i := range count {
		key := fmt.Sprint("p", i)
		fmt.Fprintf(&sb, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\nv\r\n*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n", len(key), key, len(key), key)
	}
	go io.WriteString(nc, sb.String())
	for i := range count {
		if got := readLine(t, r); got != "+OK" {
			t.Fatalf("reply %d: %q", i, got)
		}
		if got := readLine(t, r); got != "$1" {
			t.Fatalf("reply %d: %q", i, got)
		}
		readLine(t, r)
	}
	if v, _ := n.Client.DBSize(ctx).Result(); v != count {
		t.Fatalf("DBSIZE = %d", v)
	}
}

func TestProtocol_DisconnectMidCommand(t *testing.T) {
	n := servertest.Start(t)
	nc, _ := rawConn(t, n.Addr)
	// A command cut in the middle of its last argument, then gone.
	fmt.Fprint(nc, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$10\r\nabc")
	nc.Close()
	// A big announced bulk that never arrives costs nothing and blocks no one.
	nc2, _ := rawConn(t, n.Addr)
	fmt.Fprint(nc2, "*2\r\n$3\r\nGET\r\n$400000000\r\nxx")
	if err := n.Client.Set(ctx, "other", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if n.Client.Exists(ctx, "k").Val() != 0 {
		t.Fatal("a half-received command was executed")
	}
	nc2.Close()
}

func TestProtocol_RESP3(t *testing.T) {
	n := servertest.Start(t)
	nc, r := rawConn(t, n.Addr)
	fmt.Fprint(nc, "HELLO 3\r\nPING\r\n")
	if got := readLine(t, r); got != "%7" {
		t.Fatalf("HELLO 3 = %q", got)
	}
	for readLine(t, r) != "+PONG" {
	}
	fmt.Fprint(nc, "GET nokey\r\nINCRBYFLOAT f 1.5\r\n")
	if got := readLine(t, r); got != "_" {
		t.Fatalf("RESP3 null = %q", got)
	}
	if got := readLine(t, r); got != "$3" {
		t.Fatalf("INCRBYFLOAT = %q", got)
	}
}
