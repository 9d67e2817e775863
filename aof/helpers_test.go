package aof

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// TestMain fails the run if a Log's background goroutine outlives the tests:
// every Log a test opens must be closed, and Close must stop it.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		deadline := time.Now().Add(5 * time.Second)
		for syncLoopsRunning() > 0 {
			if time.Now().After(deadline) {
				fmt.Fprintln(os.Stderr, "aof: syncLoop goroutines leaked")
				code = 1
				break
			}
			time.Sleep(time.Millisecond)
		}
	}
	os.Exit(code)
}

// syncLoopsRunning counts the everysec goroutines alive in the process.
func syncLoopsRunning() int {
	buf := make([]byte, 1<<20)
	n := runtime.Stack(buf, true)
	return strings.Count(string(buf[:n]), "aof.(*Log).syncLoop(")
}

// cmd encodes one command given as strings.
func cmd(args ...string) []byte {
	b := make([][]byte, len(args))
	for i, a := range args {
		b[i] = []byte(a)
	}
	return AppendCommand(nil, b...)
}

// group concatenates commands into one group.
func group(cmds ...[]byte) []byte { return bytes.Join(cmds, nil) }

// entry is one replayed command.
type entry struct {
	args string // arguments joined by spaces
	end  int64
}

func replayAll(t *testing.T, l *Log, from int64) []entry {
	t.Helper()
	var out []entry
	err := l.Replay(from, func(args [][]byte, end int64) error {
		out = append(out, entry{string(bytes.Join(args, []byte(" "))), end})
		return nil
	})
	if err != nil {
		t.Fatalf("Replay(%d): %v", from, err)
	}
	return out
}

// memOptions returns options for a log in /log on fs.
func memOptions(fs vfs.FS) Options {
	o := DefaultOptions("/log")
	o.FS = fs
	return o
}

func openT(t *testing.T, opts Options) *Log {
	t.Helper()
	l, err := Open(opts)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func mustAppend(t *testing.T, l *Log, p []byte) int64 {
	t.Helper()
	end, err := l.Append(p)
	if err != nil {
		t.Fatalf("Append: %v", err)
	}
	return end
}

// waitFor polls fn until it returns nil or the deadline passes.
func waitFor(t *testing.T, d time.Duration, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still failing after %v: %v", d, err)
		}
		time.Sleep(time.Millisecond)
	}
}

// readAll reads the log's bytes from offset from to its end with a Reader.
func readAll(t *testing.T, l *Log, from int64) []byte {
	t.Helper()
	r, err := l.NewReader(from)
	if err != nil {
		t.Fatalf("NewReader(%d): %v", from, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("reading from %d: %v", from, err)
	}
	return b
}

// logBuffer collects a Logger's output for assertions.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newLogger() (*slog.Logger, *logBuffer) {
	b := &logBuffer{}
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug})), b
}

// readFile returns a file's contents on fs.
func readFile(t *testing.T, fs vfs.FS, path string) []byte {
	t.Helper()
	f, err := fs.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, fi.Size())
	if _, err := f.ReadAt(b, 0); err != nil && len(b) > 0 {
		t.Fatal(err)
	}
	return b
}

// writeFile replaces a file's contents on fs.
func writeFile(t *testing.T, fs vfs.FS, path string, b []byte) {
	t.Helper()
	if err := fs.MkdirAll(fs.PathDir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := fs.Create(path, vfs.WriteCategoryUnspecified)
	if err != nil {
		t.Fatal(err)
	}
	// NB: a MemFS built with -race or -tags invariants scribbles over the
	// buffer passed to Write (vfs.File allows it): write a copy.
	if _, err := f.Write(bytes.Clone(b)); err != nil {
		t.Fatal(err)
	}
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// segmentFiles lists the segment file names of a log directory.
func segmentFiles(t *testing.T, fs vfs.FS, dir string) []string {
	t.Helper()
	names, err := fs.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	var segs []string
	for _, n := range names {
		if strings.HasSuffix(n, segSuffix) {
			segs = append(segs, n)
		}
	}
	slices.Sort(segs)
	return segs
}
