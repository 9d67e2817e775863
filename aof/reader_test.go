package aof

// Covers reading: Readers across segment boundaries and from every offset,
// data appended after EOF, Wait (woken by Append, cancelled, closed, reset),
// ErrOffsetGone/ErrOffsetAhead, retention with TruncateBefore (readers pin
// their segments), Reset, Replay's errors, and a writer racing a tailing
// reader that must only ever stop on group boundaries.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// segmentedLog returns a log of many small segments and its bytes.
func segmentedLog(t *testing.T, fs vfs.FS) (*Log, []byte, []int64) {
	t.Helper()
	opts := memOptions(fs)
	opts.SegmentSize = 50
	l := openT(t, opts)
	var all []byte
	var ends []int64
	for i := range 20 {
		g := cmd("SET", fmt.Sprint("k", i), strings.Repeat("v", i))
		ends = append(ends, mustAppend(t, l, g))
		all = append(all, g...)
	}
	if l.Stats().Segments < 5 {
		t.Fatalf("only %d segments", l.Stats().Segments)
	}
	return l, all, ends
}

func TestReader_AcrossSegmentsFromEveryOffset(t *testing.T) {
	l, all, _ := segmentedLog(t, vfs.NewMem())
	for from := 0; from <= len(all); from++ {
		if got := readAll(t, l, int64(from)); !bytes.Equal(got, all[from:]) {
			t.Fatalf("from %d: got %d bytes, want %d", from, len(got), len(all)-from)
		}
	}
	// Small reads cross boundaries too.
	r, err := l.NewReader(0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got []byte
	buf := make([]byte, 7)
	for {
		n, err := r.Read(buf)
		got = append(got, buf[:n]...)
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got, all) || r.Offset() != int64(len(all)) {
		t.Fatalf("7-byte reads: %d bytes, offset %d", len(got), r.Offset())
	}
}

func TestReader_SeesAppendsAfterEOF(t *testing.T) {
	opts := memOptions(vfs.NewMem())
	opts.SegmentSize = 40
	l := openT(t, opts)
	r, err := l.NewReader(0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var got, want []byte
	buf := make([]byte, 1024)
	for i := range 10 {
		if n, err := r.Read(buf); n != 0 || err != io.EOF {
			t.Fatalf("at the end: %d, %v", n, err)
		}
		g := cmd("SET", "k", fmt.Sprint(i))
		mustAppend(t, l, g) // rotates every other group
		want = append(want, g...)
		for r.Offset() < l.EndOffset() {
			n, err := r.Read(buf)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, buf[:n]...)
		}
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestReader_OffsetErrors(t *testing.T) {
	l, all, ends := segmentedLog(t, vfs.NewMem())
	if _, err := l.NewReader(int64(len(all)) + 1); !errors.Is(err, ErrOffsetAhead) {
		t.Fatalf("beyond the end: %v", err)
	}
	if _, err := l.NewReader(-1); !errors.Is(err, ErrOffsetGone) {
		t.Fatalf("negative offset: %v", err)
	}
	if n, err := l.TruncateBefore(ends[5]); err != nil || n == 0 {
		t.Fatalf("TruncateBefore: %d, %v", n, err)
	}
	if _, err := l.NewReader(l.StartOffset() - 1); !errors.Is(err, ErrOffsetGone) {
		t.Fatalf("before the start: %v", err)
	}
	if err := l.Replay(l.StartOffset()-1, nil); !errors.Is(err, ErrOffsetGone) {
		t.Fatalf("Replay before the start: %v", err)
	}
	if err := l.Replay(l.EndOffset()+1, nil); !errors.Is(err, ErrOffsetAhead) {
		t.Fatalf("Replay beyond the end: %v", err)
	}
}

func TestLog_Wait(t *testing.T) {
	l := openT(t, memOptions(vfs.NewMem()))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	done := make(chan error, 1)
	go func() { done <- l.Wait(ctx, 0) }()
	r, err := l.NewReader(0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	rdone := make(chan error, 1)
	go func() { rdone <- r.Wait(ctx) }()
	mustAppend(t, l, cmd("PING"))
	if err := <-done; err != nil {
		t.Fatalf("Log.Wait: %v", err)
	}
	if err := <-rdone; err != nil {
		t.Fatalf("Reader.Wait: %v", err)
	}
	// Already beyond: returns at once.
	if err := l.Wait(ctx, 0); err != nil {
		t.Fatal(err)
	}

	cctx, ccancel := context.WithCancel(ctx)
	go func() { done <- l.Wait(cctx, l.EndOffset()) }()
	ccancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled Wait: %v", err)
	}

	go func() { done <- l.Wait(ctx, l.EndOffset()) }()
	go func() {
		// Reader.Wait at the end, until the log is closed.
		_, _ = io.ReadAll(r)
		rdone <- r.Wait(ctx)
	}()
	waitFor(t, 5*time.Second, func() error {
		l.mu.Lock()
		defer l.mu.Unlock()
		if l.mu.notify == nil {
			return errors.New("nobody waits yet")
		}
		return nil
	})
	l.Close()
	if err := <-done; !errors.Is(err, ErrClosed) {
		t.Fatalf("Wait on a closed log: %v", err)
	}
	if err := <-rdone; !errors.Is(err, ErrClosed) {
		t.Fatalf("Reader.Wait on a closed log: %v", err)
	}
	if _, err := r.Read(make([]byte, 10)); !errors.Is(err, ErrClosed) {
		t.Fatalf("Read on a closed log: %v", err)
	}
}

func TestTruncateBefore_Retention(t *testing.T) {
	fs := vfs.NewMem()
	l, all, ends := segmentedLog(t, fs)
	segs := l.Stats().Segments
	var removedFiles []string
	l.opts.Events.OnSegment = func(name string, created bool) {
		if !created {
			removedFiles = append(removedFiles, name)
		}
	}

	// A reader in the middle pins its segment and everything after.
	pin, err := l.NewReader(ends[8])
	if err != nil {
		t.Fatal(err)
	}
	n, err := l.TruncateBefore(l.EndOffset())
	if err != nil {
		t.Fatal(err)
	}
	start := l.StartOffset()
	if n == 0 || start > ends[8] || l.Stats().Segments != segs-n || len(removedFiles) != n {
		t.Fatalf("removed %d, start %d (reader at %d), %d segments left, events %v", n, start, ends[8], l.Stats().Segments, removedFiles)
	}
	if got := len(segmentFiles(t, fs, "/log")); got != segs-n {
		t.Fatalf("%d files on disk, want %d", got, segs-n)
	}
	if got := readAll(t, l, start); !bytes.Equal(got, all[start:]) {
		t.Fatal("the retained log differs")
	}
	if got, _ := io.ReadAll(pin); !bytes.Equal(got, all[ends[8]:]) {
		t.Fatal("the pinned reader lost data")
	}
	pin.Close()

	// Unpinned: everything but the active segment goes.
	n2, err := l.TruncateBefore(l.EndOffset())
	if err != nil {
		t.Fatal(err)
	}
	if n2 == 0 || l.Stats().Segments != 1 {
		t.Fatalf("removed %d more, %d segments left", n2, l.Stats().Segments)
	}
	// Nothing ends before the first segment's end: nothing to remove.
	if n, err := l.TruncateBefore(l.EndOffset()); n != 0 || err != nil {
		t.Fatalf("TruncateBefore on a single segment: %d, %v", n, err)
	}
	if got := readAll(t, l, l.StartOffset()); !bytes.Equal(got, all[l.StartOffset():]) {
		t.Fatal("the active segment's content differs")
	}

	// Retention survives a reopen.
	start = l.StartOffset()
	l.Close()
	opts := memOptions(fs)
	l2 := openT(t, opts)
	if l2.StartOffset() != start || l2.EndOffset() != int64(len(all)) {
		t.Fatalf("after reopen: %d..%d, want %d..%d", l2.StartOffset(), l2.EndOffset(), start, len(all))
	}
}

func TestTruncateBefore_OnlyWholeSegments(t *testing.T) {
	l, _, _ := segmentedLog(t, vfs.NewMem())
	l.mu.Lock()
	first := *l.mu.segs[0]
	l.mu.Unlock()
	if n, err := l.TruncateBefore(first.end() - 1); n != 0 || err != nil {
		t.Fatalf("TruncateBefore inside the first segment removed %d (%v)", n, err)
	}
	if n, err := l.TruncateBefore(first.end()); n != 1 || err != nil || l.StartOffset() != first.end() {
		t.Fatalf("TruncateBefore at the first segment's end: %d, %v, start %d", n, err, l.StartOffset())
	}
}

func TestLog_Reset(t *testing.T) {
	fs := vfs.NewMem()
	l, _, _ := segmentedLog(t, fs)
	r, err := l.NewReader(10)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Read(make([]byte, 5)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	waitDone := make(chan error, 1)
	go func() { waitDone <- l.Wait(ctx, 1<<40) }()

	for _, offset := range []int64{5000, 0} { // 0: the new segment's name was in use
		if err := l.Reset(offset); err != nil {
			t.Fatal(err)
		}
		if l.StartOffset() != offset || l.EndOffset() != offset || l.SyncedOffset() != offset {
			t.Fatalf("after Reset(%d): %d..%d synced %d", offset, l.StartOffset(), l.EndOffset(), l.SyncedOffset())
		}
		if got := segmentFiles(t, fs, "/log"); len(got) != 1 || got[0] != segmentName(DefaultBaseName, offset) {
			t.Fatalf("files after Reset(%d): %v", offset, got)
		}
	}
	if _, err := r.Read(make([]byte, 5)); !errors.Is(err, ErrOffsetGone) {
		t.Fatalf("a reader of the old log: %v", err)
	}
	if err := r.Wait(ctx); !errors.Is(err, ErrOffsetGone) {
		t.Fatalf("Reader.Wait on the old log: %v", err)
	}
	g := cmd("SET", "after", "reset")
	if end := mustAppend(t, l, g); end != int64(len(g)) {
		t.Fatalf("Append after Reset(0) ends at %d", end)
	}
	if n, err := l.TruncateBefore(1000); n != 0 || err != nil {
		t.Fatalf("TruncateBefore: %d, %v", n, err)
	}
	select {
	case err := <-waitDone:
		t.Fatalf("Wait(beyond 2^40) returned %v", err)
	default:
	}
	l.Close()
	if err := <-waitDone; !errors.Is(err, ErrClosed) {
		t.Fatalf("Wait: %v", err)
	}
	l2 := openT(t, memOptions(fs))
	if got := replayAll(t, l2, 0); len(got) != 1 || got[0].args != "SET after reset" {
		t.Fatalf("after reopen: %v", got)
	}
}

func TestReplay_Errors(t *testing.T) {
	l := openT(t, memOptions(vfs.NewMem()))
	mustAppend(t, l, group(cmd("SET", "a", "1"), cmd("SET", "b", "2")))

	// Not a command boundary.
	err := l.Replay(3, func([][]byte, int64) error { return nil })
	var ce *CorruptError
	if !errors.As(err, &ce) || ce.Offset != 3 || ce.File != "/log/"+segmentName(DefaultBaseName, 0) {
		t.Fatalf("Replay from inside a command: %v", err)
	}

	stop := errors.New("stop")
	calls := 0
	err = l.Replay(0, func([][]byte, int64) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("Replay: %v after %d calls", err, calls)
	}
}

// TestReader_TailsAConcurrentWriter runs a writer and a tailing reader at
// once: the reader gets every byte in order and, whenever it reaches the
// end, it stands on a group boundary (it never sees half a group).
func TestReader_TailsAConcurrentWriter(t *testing.T) {
	for _, policy := range []FsyncPolicy{FsyncNo, FsyncAlways} {
		t.Run(policy.String(), func(t *testing.T) {
			opts := memOptions(vfs.NewMem())
			opts.SegmentSize = 300
			opts.Fsync = policy
			l := openT(t, opts)
			const groups = 300
			var want []byte
			ends := map[int64]bool{0: true}
			for i := range groups {
				g := group(cmd("SET", fmt.Sprint("k", i), strings.Repeat("v", i%50)), cmd("INCR", "n"))
				want = append(want, g...)
				ends[int64(len(want))] = true
			}
			go func() {
				for off := 0; off < len(want); {
					_, n, _ := ParseCommand(want[off:])
					_, n2, _ := ParseCommand(want[off+n:])
					if _, err := l.Append(want[off : off+n+n2]); err != nil {
						t.Error(err)
						return
					}
					off += n + n2
				}
			}()
			r, err := l.NewReader(0)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			var got []byte
			buf := make([]byte, 4096)
			for len(got) < len(want) {
				n, err := r.Read(buf)
				got = append(got, buf[:n]...)
				if err == io.EOF {
					if !ends[r.Offset()] {
						t.Fatalf("the reader reached an end at %d, inside a group", r.Offset())
					}
					if err := r.Wait(ctx); err != nil {
						t.Fatal(err)
					}
				} else if err != nil {
					t.Fatal(err)
				}
			}
			if !bytes.Equal(got, want) {
				t.Fatal("the reader's bytes differ from the appended ones")
			}
		})
	}
}
