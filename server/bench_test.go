package server

import (
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"

	"github.com/cobbledb/cobble/aof"
	"github.com/cobbledb/cobble/server/config"
)

// Hot-path benchmarks: request parsing, reply encoding, and whole
// commands through the server (parse → dispatch → executor → log → reply).

func BenchmarkParseCommand(b *testing.B) {
	cmd := []byte("*3\r\n$3\r\nSET\r\n$16\r\nkey:000000012345\r\n$64\r\n" + strings.Repeat("x", 64) + "\r\n")
	lim := defaultLimits()
	b.SetBytes(int64(len(cmd)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := parseCommand(cmd, &lim); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReplyBulk(b *testing.B) {
	r := Reply{proto: 2}
	v := []byte(strings.Repeat("x", 64))
	b.ReportAllocs()
	for b.Loop() {
		r.buf = r.buf[:0]
		r.Bulk(v)
		r.Int(42)
		r.Null()
	}
}

func BenchmarkAppendCommand(b *testing.B) {
	args := [][]byte{[]byte("SET"), []byte("key:000000012345"), []byte(strings.Repeat("x", 64))}
	var buf []byte
	b.ReportAllocs()
	for b.Loop() {
		buf = aof.AppendCommand(buf[:0], args...)
	}
}

// startBench runs an in-process server for benchmarks.
func startBench(b *testing.B, conf string) (*Server, string) {
	b.Helper()
	text := fmt.Sprintf("port 0\ndir %s\n%s\n", b.TempDir(), conf)
	cfg, err := config.Parse(strings.NewReader(text), "bench.conf")
	if err != nil {
		b.Fatal(err)
	}
	s, err := New(cfg, slog.New(slog.DiscardHandler), Hooks{})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go s.Serve(ln)
	b.Cleanup(func() { s.Close() })
	return s, ln.Addr().String()
}

// pipelineBench sends batches of `depth` commands over one connection and
// reads the replies: ops/s through the whole server.
func pipelineBench(b *testing.B, conf string, depth int, mk func(i int) string) {
	_, addr := startBench(b, conf)
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer nc.Close()
	buf := make([]byte, 1<<20)
	i := 0
	b.ResetTimer()
	for b.Loop() {
		var sb strings.Builder
		for range depth {
			sb.WriteString(mk(i))
			i++
		}
		if _, err := nc.Write([]byte(sb.String())); err != nil {
			b.Fatal(err)
		}
		// Read until depth replies arrived (each reply ends with \r\n and
		// these commands' replies are single lines or a bulk of 2 lines).
		lines := 0
		for lines < depth {
			n, err := nc.Read(buf)
			if err != nil {
				b.Fatal(err)
			}
			for _, c := range buf[:n] {
				if c == '\n' {
					lines++
				}
			}
		}
	}
	b.ReportMetric(float64(b.N*depth)/b.Elapsed().Seconds(), "ops/s")
}

func setCmd(i int) string {
	k := fmt.Sprintf("key:%012d", i%1000000)
	return fmt.Sprintf("*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$3\r\nval\r\n", len(k), k)
}

func BenchmarkServer_SetPipelined16(b *testing.B) {
	pipelineBench(b, "appendfsync everysec", 16, setCmd)
}

func BenchmarkServer_SetPipelined16_Always(b *testing.B) {
	pipelineBench(b, "appendfsync always", 16, setCmd)
}

func BenchmarkServer_IncrPipelined16(b *testing.B) {
	pipelineBench(b, "appendfsync everysec", 16, func(int) string { return "*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n" })
}
