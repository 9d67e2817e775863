package aof

// Covers Open's recovery: a torn tail cut at every byte of the last command
// (truncated with LoadTruncated, refused without, on a filesystem that can
// truncate in place and on one that cannot), a corrupt byte in the middle of
// a segment (refused with file and offsets, or truncated with LoadCorrupt,
// dropping later segments), a sealed segment ending inside a command, a
// missing segment, empty and stray files, and arbitrary segment contents
// (FuzzOpenSegment).

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// openErr returns the error of an Open expected to fail, closing the Log if
// it unexpectedly succeeds.
func openErr(opts Options) error {
	l, err := Open(opts)
	if err == nil {
		l.Close()
	}
	return err
}

// buildLog writes groups into a fresh log on fs and returns the bytes and
// the end offset of each group.
func buildLog(t *testing.T, opts Options, groups ...[]byte) (all []byte, ends []int64) {
	t.Helper()
	l := openT(t, opts)
	for _, g := range groups {
		ends = append(ends, mustAppend(t, l, g))
		all = append(all, g...)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	return all, ends
}

func TestOpen_TornTailAtEveryCut(t *testing.T) {
	last := cmd("SET", "last", "value")
	groups := [][]byte{cmd("SELECT", "2"), cmd("SET", "a", "1"), last}
	filesystems := map[string]func(t *testing.T) (vfs.FS, string){
		"os":  func(t *testing.T) (vfs.FS, string) { return vfs.Default, t.TempDir() }, // truncates in place
		"mem": func(t *testing.T) (vfs.FS, string) { return vfs.NewMem(), "/log" },     // copies and renames
	}
	for name, newFS := range filesystems {
		t.Run(name, func(t *testing.T) {
			for cut := 1; cut < len(last); cut++ {
				fs, dir := newFS(t)
				opts := DefaultOptions(dir)
				opts.FS = fs
				all, ends := buildLog(t, opts, groups...)
				lastStart := ends[len(ends)-2]
				seg := fs.PathJoin(dir, segmentName(DefaultBaseName, 0))
				torn := all[:lastStart+int64(cut)]
				writeFile(t, fs, seg, torn)

				strict := opts
				strict.LoadTruncated = false
				err := openErr(strict)
				var ce *CorruptError
				if !errors.As(err, &ce) || !ce.Torn || !errors.Is(err, ErrIncomplete) || ce.Offset != lastStart || ce.File != seg {
					t.Fatalf("cut %d without LoadTruncated: %v", cut, err)
				}
				if !bytes.Equal(readFile(t, fs, seg), torn) {
					t.Fatalf("cut %d: a refused Open changed the file", cut)
				}

				var info TruncateInfo
				logger, logs := newLogger()
				opts.Logger = logger
				opts.Events.OnTruncate = func(ti TruncateInfo) { info = ti }
				l := openT(t, opts)
				if l.EndOffset() != lastStart {
					t.Fatalf("cut %d: EndOffset %d, want %d", cut, l.EndOffset(), lastStart)
				}
				want := TruncateInfo{File: seg, Offset: lastStart, FileOffset: lastStart, Dropped: int64(cut), Reason: "stream ends inside a command"}
				if info != want {
					t.Fatalf("cut %d: OnTruncate %+v, want %+v", cut, info, want)
				}
				if st := l.Stats(); !st.LoadTruncated || st.LoadDropped != int64(cut) {
					t.Fatalf("cut %d: Stats %+v", cut, st)
				}
				if out := logs.String(); !strings.Contains(out, "level=WARN") || !strings.Contains(out, "aof torn tail truncated") ||
					!strings.Contains(out, fmt.Sprintf("bytes_dropped=%d", cut)) {
					t.Fatalf("cut %d: log output %q", cut, out)
				}
				// Appending continues right after the last whole command.
				if end := mustAppend(t, l, last); end != ends[len(ends)-1] {
					t.Fatalf("cut %d: Append ends at %d, want %d", cut, end, ends[len(ends)-1])
				}
				l.Close()
				opts.Events.OnTruncate = func(ti TruncateInfo) { t.Fatalf("cut %d: second Open truncated: %+v", cut, ti) }
				l2 := openT(t, opts)
				if !bytes.Equal(readAll(t, l2, 0), all) {
					t.Fatalf("cut %d: the repaired log differs", cut)
				}
				l2.Close()
			}
		})
	}
}

func TestOpen_TornTailOfMultiSegmentLog(t *testing.T) {
	fs := vfs.NewMem()
	opts := memOptions(fs)
	opts.SegmentSize = 30
	var groups [][]byte
	for i := range 10 {
		groups = append(groups, cmd("SET", "k", fmt.Sprint(i)))
	}
	_, ends := buildLog(t, opts, groups...)
	names := segmentFiles(t, fs, "/log")
	lastName := names[len(names)-1]
	b := readFile(t, fs, "/log/"+lastName)
	writeFile(t, fs, "/log/"+lastName, b[:len(b)-3])
	l := openT(t, opts)
	if l.EndOffset() != ends[len(ends)-2] || len(segmentFiles(t, fs, "/log")) != len(names) {
		t.Fatalf("EndOffset %d (want %d), %d segments", l.EndOffset(), ends[len(ends)-2], len(segmentFiles(t, fs, "/log")))
	}
}

func TestOpen_CorruptByteInTheMiddle(t *testing.T) {
	fs := vfs.NewMem()
	opts := memOptions(fs)
	opts.SegmentSize = 60
	var groups [][]byte
	for i := range 12 {
		groups = append(groups, cmd("SET", "key", fmt.Sprint("value", i)))
	}
	all, ends := buildLog(t, opts, groups...)
	names := segmentFiles(t, fs, "/log")
	if len(names) < 4 {
		t.Fatalf("%d segments", len(names))
	}
	// Break the second command of the second segment: its second "$".
	victim := names[1]
	start, _ := parseSegmentName(DefaultBaseName, victim)
	seg := readFile(t, fs, "/log/"+victim)
	_, n1, err := ParseCommand(seg)
	if err != nil {
		t.Fatal(err)
	}
	cmdStart := start + int64(n1)
	bad := int64(n1) + int64(bytes.Index(seg[n1:], []byte("$3"))) + 1 // the length of "$3\r\nSET"
	seg[bad] = 'x'
	writeFile(t, fs, "/log/"+victim, seg)

	err = openErr(opts)
	var ce *CorruptError
	if !errors.As(err, &ce) || !errors.Is(err, ErrCorrupt) || ce.Torn {
		t.Fatalf("Open: %v", err)
	}
	if ce.File != "/log/"+victim || ce.Offset != cmdStart || ce.FileOffset != int64(n1) || ce.Pos != start+bad {
		t.Fatalf("CorruptError %+v, want file %s offset %d file offset %d pos %d", ce, victim, cmdStart, n1, start+bad)
	}
	for _, want := range []string{victim, fmt.Sprint("offset ", cmdStart), fmt.Sprint("file offset ", n1)} {
		if !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not name %q", err, want)
		}
	}

	var info TruncateInfo
	logger, logs := newLogger()
	opts.LoadCorrupt = true
	opts.Logger = logger
	opts.Events.OnTruncate = func(ti TruncateInfo) { info = ti }
	l := openT(t, opts)
	if l.EndOffset() != cmdStart {
		t.Fatalf("EndOffset %d, want %d", l.EndOffset(), cmdStart)
	}
	if !info.Corrupt || info.Offset != cmdStart || info.Dropped != int64(len(all))-cmdStart {
		t.Fatalf("OnTruncate %+v, want %d bytes dropped at %d", info, int64(len(all))-cmdStart, cmdStart)
	}
	if !strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("corruption not logged at error level: %s", logs)
	}
	if got := segmentFiles(t, fs, "/log"); len(got) != 2 {
		t.Fatalf("segments after truncation: %v", got)
	}
	if !bytes.Equal(readAll(t, l, 0), all[:cmdStart]) {
		t.Fatal("the truncated log is not the prefix before the corruption")
	}
	if !containsInt(ends, cmdStart) {
		t.Fatal("test setup: the corrupt command does not start a group")
	}
	// The log continues at the cut.
	if end := mustAppend(t, l, cmd("PING")); end != cmdStart+int64(len(cmd("PING"))) {
		t.Fatalf("end %d", end)
	}
}

func TestOpen_SealedSegmentEndingInsideACommand(t *testing.T) {
	fs := vfs.NewMem()
	opts := memOptions(fs)
	opts.SegmentSize = 30
	opts.LoadTruncated = true
	buildLog(t, opts, cmd("SET", "a", "1111111111"), cmd("SET", "b", "2222222222"), cmd("SET", "c", "3"))
	names := segmentFiles(t, fs, "/log")
	first := readFile(t, fs, "/log/"+names[0])
	writeFile(t, fs, "/log/"+names[0], first[:len(first)-1])
	err := openErr(opts)
	var ce *CorruptError
	if !errors.As(err, &ce) || ce.Torn || !strings.Contains(ce.Reason, "sealed") {
		t.Fatalf("Open: %v, want corruption of a sealed segment", err)
	}
}

func TestOpen_MissingSegment(t *testing.T) {
	fs := vfs.NewMem()
	opts := memOptions(fs)
	opts.SegmentSize = 30
	var groups [][]byte
	for i := range 10 {
		groups = append(groups, cmd("SET", "k", fmt.Sprint(i)))
	}
	all, _ := buildLog(t, opts, groups...)
	names := segmentFiles(t, fs, "/log")
	if len(names) < 4 {
		t.Fatalf("%d segments", len(names))
	}
	if err := fs.Remove("/log/" + names[2]); err != nil {
		t.Fatal(err)
	}
	err := openErr(opts)
	var ce *CorruptError
	if !errors.As(err, &ce) || !strings.Contains(ce.Reason, "previous one ends") || ce.File != "/log/"+names[3] {
		t.Fatalf("Open: %v", err)
	}
	gap, _ := parseSegmentName(DefaultBaseName, names[2])
	opts.LoadCorrupt = true
	l := openT(t, opts)
	if l.EndOffset() != gap || !bytes.Equal(readAll(t, l, 0), all[:gap]) {
		t.Fatalf("EndOffset %d, want %d", l.EndOffset(), gap)
	}
	if got := segmentFiles(t, fs, "/log"); len(got) != 2 {
		t.Fatalf("segments after the gap were kept: %v", got)
	}
}

func TestOpen_EmptyAndStrayFiles(t *testing.T) {
	fs := vfs.NewMem()
	opts := memOptions(fs)
	logger, logs := newLogger()
	opts.Logger = logger
	// An empty segment file is a valid empty log starting at its offset:
	// what Reset leaves, or a crash right after a rotation.
	writeFile(t, fs, "/log/"+segmentName(DefaultBaseName, 1000), nil)
	writeFile(t, fs, "/log/README", []byte("not a segment"))
	writeFile(t, fs, "/log/appendonly.aof.123.seg", []byte("short name: not a segment"))
	writeFile(t, fs, "/log/"+segmentName(DefaultBaseName, 5)+tmpSuffix, []byte("leftover"))
	l := openT(t, opts)
	if l.StartOffset() != 1000 || l.EndOffset() != 1000 {
		t.Fatalf("log spans %d..%d, want 1000..1000", l.StartOffset(), l.EndOffset())
	}
	if _, err := fs.Stat("/log/" + segmentName(DefaultBaseName, 5) + tmpSuffix); err == nil {
		t.Fatal("leftover temporary file kept")
	}
	if _, err := fs.Stat("/log/README"); err != nil {
		t.Fatal("a foreign file was touched")
	}
	if out := logs.String(); !strings.Contains(out, "appendonly.aof.123.seg") || strings.Contains(out, "README") {
		t.Fatalf("warning about foreign files: %s", out)
	}
	end := mustAppend(t, l, cmd("SET", "a", "b"))
	if end != 1000+int64(len(cmd("SET", "a", "b"))) {
		t.Fatalf("end %d", end)
	}

	// A rotation interrupted after creating the new file: an empty last segment.
	fs2 := vfs.NewMem()
	opts2 := memOptions(fs2)
	all, _ := buildLog(t, opts2, cmd("SET", "a", "1"))
	writeFile(t, fs2, "/log/"+segmentName(DefaultBaseName, int64(len(all))), nil)
	l2 := openT(t, opts2)
	if l2.EndOffset() != int64(len(all)) || l2.Stats().Segments != 2 {
		t.Fatalf("EndOffset %d, %d segments", l2.EndOffset(), l2.Stats().Segments)
	}
	if !bytes.Equal(readAll(t, l2, 0), all) {
		t.Fatal("content differs")
	}
}

func TestOpen_ZeroTailIsTorn(t *testing.T) {
	fs := vfs.NewMem()
	opts := memOptions(fs)
	all, _ := buildLog(t, opts, cmd("SET", "a", "1"))
	seg := "/log/" + segmentName(DefaultBaseName, 0)
	writeFile(t, fs, seg, append(bytes.Clone(all), make([]byte, 4096)...))
	opts.LoadTruncated = false
	if err := openErr(opts); !errors.Is(err, ErrIncomplete) {
		t.Fatalf("zeros at the end without LoadTruncated: %v", err)
	}
	opts.LoadTruncated = true
	l := openT(t, opts)
	if l.EndOffset() != int64(len(all)) {
		t.Fatalf("EndOffset %d", l.EndOffset())
	}
}

func FuzzOpenSegment(f *testing.F) {
	f.Add([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n"), false)
	f.Add([]byte("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n*1\r\n$4\r\nPI"), true)
	f.Add([]byte("*2\r\n$6\r\nSELECT\r\n$1\r\n0\r\n*1\r\n$4\r\nPINGxx"), true)
	f.Add([]byte("*1\r\n$4\r\nPING\r\n\x00\x00\x00\x00"), false)
	f.Add([]byte(""), false)
	f.Add([]byte("garbage"), true)
	f.Fuzz(func(t *testing.T, data []byte, loadCorrupt bool) {
		fs := vfs.NewMem()
		opts := memOptions(fs)
		opts.LoadCorrupt = loadCorrupt
		seg := "/log/" + segmentName(DefaultBaseName, 0)
		writeFile(t, fs, seg, data)
		l, err := Open(opts)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("Open failed with an untyped error: %v", err)
			}
			if loadCorrupt {
				t.Fatalf("Open with LoadCorrupt failed: %v", err)
			}
			return
		}
		defer l.Close()
		end := l.EndOffset()
		if end > int64(len(data)) {
			t.Fatalf("EndOffset %d beyond the %d bytes written", end, len(data))
		}
		// What is kept is a prefix of the file, made of whole commands.
		var n int64
		err = l.Replay(0, func(args [][]byte, cmdEnd int64) error {
			if len(args) == 0 || cmdEnd <= n {
				return fmt.Errorf("command ending at %d after %d", cmdEnd, n)
			}
			n = cmdEnd
			return nil
		})
		if err != nil || n != end {
			t.Fatalf("Replay: %v (reached %d of %d)", err, n, end)
		}
		if !bytes.Equal(readAll(t, l, 0), data[:end]) {
			t.Fatal("the log is not a prefix of the segment")
		}
		if end < int64(len(data)) && !l.Stats().LoadTruncated {
			t.Fatal("bytes dropped without reporting a truncation")
		}
		// The log stays appendable.
		if got := mustAppend(t, l, cmd("PING")); got != end+int64(len(cmd("PING"))) {
			t.Fatalf("Append ends at %d", got)
		}
	})
}

// BenchmarkOpen measures Open's validation of a 64 MiB log of small
// commands (in the OS cache), the restart cost the log adds.
func BenchmarkOpen(b *testing.B) {
	opts := DefaultOptions(b.TempDir())
	opts.Fsync = FsyncNo
	l, err := Open(opts)
	if err != nil {
		b.Fatal(err)
	}
	var g []byte
	for range 1000 {
		g = append(g, cmd("SET", "key:000000001", strings.Repeat("v", 100))...)
	}
	for l.EndOffset() < 64<<20 {
		if _, err := l.Append(g); err != nil {
			b.Fatal(err)
		}
	}
	size := l.EndOffset()
	if err := l.Close(); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(size)
	for b.Loop() {
		l, err := Open(opts)
		if err != nil {
			b.Fatal(err)
		}
		l.Close()
	}
}
