package aof

// Covers appending: byte-exact offsets and the round trip through reopen,
// segment rotation and contiguity, the three fsync policies (everysec
// goroutine, always, no), crashes simulated with a crashable MemFS (every
// acknowledged FsyncAlways group survives; any crash state reopens as a
// prefix), write errors (transient, partial with and without undo), fsync
// errors (permanent), invalid groups, the directory lock, and Close.

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
)

func TestFsyncPolicy_ParseAndString(t *testing.T) {
	for _, s := range []string{"always", "EverySec", "NO"} {
		p, err := ParseFsyncPolicy(s)
		if err != nil {
			t.Fatal(err)
		}
		if p.String() != strings.ToLower(s) {
			t.Fatalf("%q parsed to %v", s, p)
		}
	}
	if _, err := ParseFsyncPolicy("sometimes"); err == nil {
		t.Fatal("ParseFsyncPolicy accepted sometimes")
	}
	if FsyncPolicy(0) != FsyncEverySec {
		t.Fatal("the zero policy must be everysec, Redis's default")
	}
}

func TestOptions_Validate(t *testing.T) {
	for _, o := range []Options{{}, {Dir: "d", BaseName: "a/b"}, {Dir: "d", SegmentSize: -1}, {Dir: "d", Fsync: 7}} {
		if err := openErr(o); err == nil {
			t.Fatalf("Open(%+v) succeeded", o)
		}
	}
}

func TestLog_RoundTrip(t *testing.T) {
	dir := t.TempDir()
	opts := DefaultOptions(dir)
	l := openT(t, opts)
	if l.StartOffset() != 0 || l.EndOffset() != 0 {
		t.Fatalf("new log spans %d..%d", l.StartOffset(), l.EndOffset())
	}
	groups := [][]byte{
		group(cmd("SELECT", "0"), cmd("SET", "k", "v")),
		cmd("DEL", "k"),
		group(cmd("SELECT", "3"), cmd("HSET", "h", "f", strings.Repeat("x", 5000)), cmd("PEXPIREAT", "h", "1700000000000")),
	}
	var want []entry
	var off int64
	for _, g := range groups {
		for rest := g; len(rest) > 0; {
			args, n, err := ParseCommand(rest)
			if err != nil {
				t.Fatal(err)
			}
			off += int64(n)
			want = append(want, entry{string(bytes.Join(args, []byte(" "))), off})
			rest = rest[n:]
		}
		if end := mustAppend(t, l, g); end != off {
			t.Fatalf("Append returned %d, want %d (sum of RESP bytes)", end, off)
		}
	}
	if end, err := l.Append(nil); err != nil || end != off {
		t.Fatalf("empty Append: %d, %v", end, err)
	}
	check := func(l *Log) {
		t.Helper()
		got := replayAll(t, l, 0)
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("replay:\n got %v\nwant %v", got, want)
		}
		if l.EndOffset() != off {
			t.Fatalf("EndOffset = %d, want %d", l.EndOffset(), off)
		}
	}
	check(l)
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Append(cmd("PING")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Append after Close: %v", err)
	}
	// The file is the RESP stream, nothing else.
	if b := readFile(t, vfs.Default, vfs.Default.PathJoin(dir, segmentName(DefaultBaseName, 0))); !bytes.Equal(b, bytes.Join(groups, nil)) {
		t.Fatalf("segment content differs from the appended bytes")
	}
	l2 := openT(t, opts)
	check(l2)
	// Replay from the middle, at a command boundary.
	if got := replayAll(t, l2, want[1].end); fmt.Sprint(got) != fmt.Sprint(want[2:]) {
		t.Fatalf("replay from %d: %v", want[1].end, got)
	}
}

func TestLog_RotationAndContiguity(t *testing.T) {
	fs := vfs.NewMem()
	opts := memOptions(fs)
	opts.SegmentSize = 100
	l := openT(t, opts)
	var all []byte
	var ends []int64
	for i := range 40 {
		g := cmd("SET", fmt.Sprintf("key%d", i), strings.Repeat("v", i))
		if i%5 == 0 {
			g = group(g, cmd("INCR", "n"), cmd("INCR", "n"))
		}
		all = append(all, g...)
		ends = append(ends, mustAppend(t, l, g))
	}
	names := segmentFiles(t, fs, "/log")
	if len(names) < 5 {
		t.Fatalf("only %d segments for %d bytes of 100-byte segments", len(names), len(all))
	}
	if st := l.Stats(); st.Segments != len(names) || st.Size != int64(len(all)) {
		t.Fatalf("Stats: %+v, want %d segments of %d bytes", st, len(names), len(all))
	}
	var next int64
	for _, name := range names {
		start, ok := parseSegmentName(DefaultBaseName, name)
		if !ok || start != next {
			t.Fatalf("segment %s starts at %d, want %d", name, start, next)
		}
		b := readFile(t, fs, "/log/"+name)
		if !bytes.Equal(b, all[start:start+int64(len(b))]) {
			t.Fatalf("segment %s does not hold the log's bytes", name)
		}
		// Groups are never split: every segment starts and ends on a group boundary.
		if !containsInt(ends, start+int64(len(b))) || (start != 0 && !containsInt(ends, start)) {
			t.Fatalf("segment %s (%d..%d) does not end on a group boundary", name, start, start+int64(len(b)))
		}
		next = start + int64(len(b))
	}
	if next != int64(len(all)) {
		t.Fatalf("segments end at %d, want %d", next, len(all))
	}
	l.Close()
	l2 := openT(t, opts)
	if n := len(replayAll(t, l2, 0)); n != 40+8*2 {
		t.Fatalf("replayed %d commands after reopen", n)
	}
}

func containsInt(s []int64, v int64) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

func TestLog_FsyncEverySec(t *testing.T) {
	var syncs atomic.Int64
	opts := memOptions(vfs.NewMem())
	opts.syncInterval = 5 * time.Millisecond
	opts.Events.OnSync = func(int64) { syncs.Add(1) }
	l := openT(t, opts)
	waitFor(t, 5*time.Second, func() error {
		if n := syncLoopsRunning(); n != 1 {
			return fmt.Errorf("%d everysec goroutines running, want 1", n)
		}
		return nil
	})
	end := mustAppend(t, l, cmd("SET", "a", "b"))
	waitFor(t, 5*time.Second, func() error {
		if got := l.SyncedOffset(); got != end {
			return fmt.Errorf("SyncedOffset = %d, want %d", got, end)
		}
		return nil
	})
	st := l.Stats()
	if st.Fsyncs < 1 || st.LastFsync.IsZero() || st.PendingBytes != 0 || syncs.Load() < 1 {
		t.Fatalf("after the everysec fsync: %+v, OnSync calls %d", st, syncs.Load())
	}
	// Nothing appended: no more fsyncs.
	before := syncs.Load()
	end2 := mustAppend(t, l, cmd("SET", "c", "d"))
	waitFor(t, 5*time.Second, func() error {
		if l.SyncedOffset() != end2 {
			return errors.New("second group not synced")
		}
		return nil
	})
	if syncs.Load() != before+1 {
		t.Fatalf("%d fsyncs for one group", syncs.Load()-before)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if n := syncLoopsRunning(); n != 0 {
		t.Fatalf("%d everysec goroutines still running after Close", n)
	}
}

func TestLog_FsyncNoAndAlways(t *testing.T) {
	for _, policy := range []FsyncPolicy{FsyncNo, FsyncAlways} {
		t.Run(policy.String(), func(t *testing.T) {
			fs := vfs.NewCrashableMem()
			opts := memOptions(fs)
			opts.Fsync = policy
			l := openT(t, opts)
			if syncLoopsRunning() != 0 {
				t.Fatal("a background goroutine runs without everysec")
			}
			end := mustAppend(t, l, cmd("SET", "a", "b"))
			st := l.Stats()
			if policy == FsyncAlways && (st.Fsyncs != 1 || l.SyncedOffset() != end) {
				t.Fatalf("always: %d fsyncs, synced %d of %d", st.Fsyncs, l.SyncedOffset(), end)
			}
			if policy == FsyncNo && (st.Fsyncs != 0 || l.SyncedOffset() != 0 || st.PendingBytes != end) {
				t.Fatalf("no: %d fsyncs, synced %d, pending %d", st.Fsyncs, l.SyncedOffset(), st.PendingBytes)
			}
			crashed := fs.CrashClone(vfs.CrashCloneCfg{})
			if err := l.Close(); err != nil {
				t.Fatal(err)
			}
			afterClose := fs.CrashClone(vfs.CrashCloneCfg{})
			wantBeforeClose := end
			if policy == FsyncNo {
				wantBeforeClose = 0
			}
			for _, c := range []struct {
				fs   *vfs.MemFS
				want int64
			}{{crashed, wantBeforeClose}, {afterClose, end}} {
				l2 := openT(t, memOptions(c.fs))
				if l2.EndOffset() != c.want {
					t.Fatalf("after a crash: EndOffset %d, want %d", l2.EndOffset(), c.want)
				}
				l2.Close()
			}
		})
	}
}

// TestLog_CrashAlways crashes after every acknowledged FsyncAlways group,
// across rotations: the reopened log holds exactly the acknowledged groups.
func TestLog_CrashAlways(t *testing.T) {
	fs := vfs.NewCrashableMem()
	opts := memOptions(fs)
	opts.Fsync = FsyncAlways
	opts.SegmentSize = 64
	opts.Dir = "/data/appendonlydir" // created by Open: its entry must be durable too
	l := openT(t, opts)
	var all []byte
	for i := range 30 {
		g := cmd("SET", "k", fmt.Sprint(i))
		end := mustAppend(t, l, g)
		all = append(all, g...)
		copts := opts
		copts.FS = fs.CrashClone(vfs.CrashCloneCfg{})
		copts.LoadTruncated = false
		c, err := Open(copts)
		if err != nil {
			t.Fatalf("after group %d: %v", i, err)
		}
		if c.EndOffset() != end {
			t.Fatalf("after group %d: EndOffset %d, want %d", i, c.EndOffset(), end)
		}
		c.Close()
	}
}

// TestLog_CrashAnyState reopens random crash states (some unsynced blocks
// and directory entries kept, others lost) with LoadTruncated: the log is
// always a prefix of what was appended, and holds at least what was synced.
func TestLog_CrashAnyState(t *testing.T) {
	reasons := map[string]int{}
	defer func() {
		t.Logf("truncations at reopen: %v", reasons)
		if len(reasons) == 0 {
			t.Error("no crash state needed a truncation: the test proves little")
		}
	}()
	for seed := range uint64(40) {
		rng := rand.New(rand.NewPCG(seed, 1))
		fs := vfs.NewCrashableMem()
		opts := memOptions(fs)
		opts.Fsync = FsyncNo
		opts.SegmentSize = 16 << 10 // several 4 KiB blocks, which a crash keeps or loses one by one
		l := openT(t, opts)
		var all []byte
		for i := range 60 {
			g := cmd("SET", fmt.Sprint("key", i), strings.Repeat("v", rng.IntN(1000)))
			mustAppend(t, l, g)
			all = append(all, g...)
			if rng.IntN(10) == 0 {
				if err := l.Sync(); err != nil {
					t.Fatal(err)
				}
			}
		}
		synced := l.SyncedOffset()
		copts := opts
		copts.FS = fs.CrashClone(vfs.CrashCloneCfg{UnsyncedDataPercent: rng.IntN(100), RNG: rng})
		copts.Events.OnTruncate = func(ti TruncateInfo) { reasons[ti.Reason]++ }
		c, err := Open(copts)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		end := c.EndOffset()
		if end < synced || end > int64(len(all)) {
			t.Fatalf("seed %d: EndOffset %d, synced %d, appended %d", seed, end, synced, len(all))
		}
		if got := readAll(t, c, 0); !bytes.Equal(got, all[:end]) {
			t.Fatalf("seed %d: the reopened log is not a prefix of what was appended", seed)
		}
		c.Close()
		l.Close()
	}
}

// partialFS makes WriteAt write half of its input and fail while fail is set.
type partialFS struct {
	vfs.FS
	fail atomic.Bool
}

var errDiskFull = errors.New("no space left on device")

func (fs *partialFS) Create(name string, c vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := fs.FS.Create(name, c)
	if err != nil {
		return nil, err
	}
	return fs.wrap(f), nil
}

func (fs *partialFS) OpenReadWrite(name string, c vfs.DiskWriteCategory, o ...vfs.OpenOption) (vfs.File, error) {
	f, err := fs.FS.OpenReadWrite(name, c, o...)
	if err != nil {
		return nil, err
	}
	return fs.wrap(f), nil
}

func (fs *partialFS) wrap(f vfs.File) vfs.File {
	pf := &partialFile{File: f, fs: fs}
	if t, ok := f.(truncater); ok {
		return &partialTruncFile{pf, t}
	}
	return pf
}

type partialFile struct {
	vfs.File
	fs *partialFS
}

func (f *partialFile) WriteAt(p []byte, off int64) (int, error) {
	if f.fs.fail.Load() {
		n, _ := f.File.WriteAt(p[:len(p)/2], off)
		return n, errDiskFull
	}
	return f.File.WriteAt(p, off)
}

type partialTruncFile struct {
	*partialFile
	t truncater
}

func (f *partialTruncFile) Truncate(n int64) error { return f.t.Truncate(n) }

func TestLog_PartialWriteUndone(t *testing.T) {
	fs := &partialFS{FS: vfs.Default}
	opts := DefaultOptions(t.TempDir())
	opts.FS = fs
	l := openT(t, opts)
	first := cmd("SET", "a", "1")
	mustAppend(t, l, first)
	fs.fail.Store(true)
	if _, err := l.Append(group(cmd("SET", "b", "2"), cmd("SET", "c", "3"))); !errors.Is(err, errDiskFull) {
		t.Fatalf("Append on a full disk: %v", err)
	}
	if !errors.Is(l.LastError(), errDiskFull) || l.EndOffset() != int64(len(first)) {
		t.Fatalf("LastError %v, EndOffset %d", l.LastError(), l.EndOffset())
	}
	if b := readFile(t, vfs.Default, opts.Dir+"/"+segmentName(DefaultBaseName, 0)); !bytes.Equal(b, first) {
		t.Fatalf("the partial write was not undone: %q", b)
	}
	fs.fail.Store(false)
	second := cmd("SET", "d", "4")
	if end := mustAppend(t, l, second); end != int64(len(first)+len(second)) {
		t.Fatalf("Append after recovery ends at %d", end)
	}
	if l.LastError() != nil {
		t.Fatalf("LastError after a successful Append: %v", l.LastError())
	}
	if got := replayAll(t, l, 0); len(got) != 2 || got[1].args != "SET d 4" {
		t.Fatalf("replay: %v", got)
	}
}

func TestLog_PartialWriteNotUndoable(t *testing.T) {
	fs := &partialFS{FS: vfs.NewMem()} // MemFS files cannot be truncated
	opts := memOptions(fs)
	l := openT(t, opts)
	fs.fail.Store(true)
	if _, err := l.Append(cmd("SET", "b", "2")); !errors.Is(err, errDiskFull) {
		t.Fatalf("Append: %v", err)
	}
	fs.fail.Store(false)
	if _, err := l.Append(cmd("SET", "c", "3")); !errors.Is(err, errDiskFull) {
		t.Fatalf("Append after a partial write that could not be undone: %v, want the sticky error", err)
	}
	if err := l.Sync(); !errors.Is(err, errDiskFull) {
		t.Fatalf("Sync: %v", err)
	}
}

// injectOn returns an errorfs that fails the given operations while on is set.
func injectOn(fs vfs.FS, on *atomic.Bool, kinds ...errorfs.OpKind) *errorfs.FS {
	return errorfs.Wrap(fs, errorfs.InjectorFunc(func(op errorfs.Op) error {
		if on.Load() {
			for _, k := range kinds {
				if op.Kind == k {
					return errorfs.ErrInjected
				}
			}
		}
		return nil
	}))
}

func TestLog_WriteErrorIsTransient(t *testing.T) {
	var on atomic.Bool
	logger, logs := newLogger()
	opts := memOptions(injectOn(vfs.NewMem(), &on, errorfs.OpFileWriteAt))
	opts.Logger = logger
	l := openT(t, opts)
	on.Store(true)
	for range 3 {
		if _, err := l.Append(cmd("SET", "a", "1")); !errors.Is(err, errorfs.ErrInjected) {
			t.Fatalf("Append: %v", err)
		}
	}
	if !errors.Is(l.Stats().LastError, errorfs.ErrInjected) {
		t.Fatalf("Stats.LastError = %v", l.Stats().LastError)
	}
	if n := strings.Count(logs.String(), "aof write failed"); n != 1 {
		t.Fatalf("write failure logged %d times, want once", n)
	}
	on.Store(false)
	if end := mustAppend(t, l, cmd("SET", "a", "1")); end != int64(len(cmd("SET", "a", "1"))) {
		t.Fatalf("end %d", end)
	}
	if l.LastError() != nil {
		t.Fatal(l.LastError())
	}
}

func TestLog_FsyncErrorIsPermanent(t *testing.T) {
	var on atomic.Bool
	fs := injectOn(vfs.NewMem(), &on, errorfs.OpFileSyncData, errorfs.OpFileSync)
	opts := memOptions(fs)
	opts.Fsync = FsyncAlways
	l := openT(t, opts)
	end := mustAppend(t, l, cmd("SET", "a", "1"))
	on.Store(true)
	if _, err := l.Append(cmd("SET", "b", "2")); !errors.Is(err, errorfs.ErrInjected) {
		t.Fatalf("Append with a failing fsync: %v", err)
	}
	on.Store(false)
	if _, err := l.Append(cmd("SET", "c", "3")); !errors.Is(err, errorfs.ErrInjected) {
		t.Fatalf("Append after a failed fsync: %v, want the sticky error", err)
	}
	if l.EndOffset() != end || !errors.Is(l.LastError(), errorfs.ErrInjected) {
		t.Fatalf("EndOffset %d (want %d), LastError %v", l.EndOffset(), end, l.LastError())
	}
	// Readers never saw the group whose fsync failed.
	if got := readAll(t, l, 0); !bytes.Equal(got, cmd("SET", "a", "1")) {
		t.Fatalf("readers see %q", got)
	}
	if err := l.Reset(100); err != nil {
		t.Fatal(err)
	}
	if l.LastError() != nil {
		t.Fatalf("LastError after Reset: %v", l.LastError())
	}
	if end := mustAppend(t, l, cmd("PING")); end != 100+int64(len(cmd("PING"))) {
		t.Fatalf("end %d", end)
	}
}

func TestLog_EverySecFsyncError(t *testing.T) {
	var on atomic.Bool
	on.Store(true)
	opts := memOptions(injectOn(vfs.NewMem(), &on, errorfs.OpFileSyncData))
	opts.syncInterval = time.Millisecond
	l := openT(t, opts)
	mustAppend(t, l, cmd("SET", "a", "1"))
	waitFor(t, 5*time.Second, func() error {
		if l.LastError() == nil {
			return errors.New("no error reported")
		}
		return nil
	})
	if _, err := l.Append(cmd("SET", "b", "2")); !errors.Is(err, errorfs.ErrInjected) {
		t.Fatalf("Append after the background fsync failed: %v", err)
	}
	if err := l.Close(); !errors.Is(err, errorfs.ErrInjected) {
		t.Fatalf("Close: %v", err)
	}
}

func TestLog_AppendRefusesInvalidGroup(t *testing.T) {
	l := openT(t, memOptions(vfs.NewMem()))
	good := cmd("SET", "a", "1")
	for _, bad := range [][]byte{good[:len(good)-2], []byte("SET a 1\r\n"), append(bytes.Clone(good), "*1\r\n"...)} {
		if _, err := l.Append(bad); !errors.Is(err, ErrInvalidGroup) {
			t.Fatalf("Append(%q): %v", bad, err)
		}
	}
	if l.EndOffset() != 0 || l.LastError() != nil {
		t.Fatalf("an invalid group changed the log: end %d, err %v", l.EndOffset(), l.LastError())
	}
	if end := mustAppend(t, l, good); end != int64(len(good)) {
		t.Fatalf("end %d", end)
	}
}

func TestOpen_Locked(t *testing.T) {
	dir := t.TempDir()
	l := openT(t, DefaultOptions(dir))
	if err := openErr(DefaultOptions(dir)); err == nil {
		t.Fatal("a second Open of the same directory succeeded")
	}
	l.Close()
	openT(t, DefaultOptions(dir)).Close()
}

func TestLog_CloseIsIdempotent(t *testing.T) {
	l := openT(t, memOptions(vfs.NewMem()))
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	if err := l.Sync(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Sync after Close: %v", err)
	}
}

func BenchmarkAppend(b *testing.B) {
	g := group(cmd("SET", "key:000000001", strings.Repeat("v", 100)), cmd("INCR", "counter"))
	for _, policy := range []FsyncPolicy{FsyncNo, FsyncAlways} {
		b.Run(policy.String(), func(b *testing.B) {
			opts := DefaultOptions(b.TempDir())
			opts.Fsync = policy
			l, err := Open(opts)
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			b.SetBytes(int64(len(g)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := l.Append(g); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "groups/s")
		})
	}
}
