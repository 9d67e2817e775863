package aof

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// FsyncPolicy says when appended data is fsynced: redis.conf's appendfsync.
type FsyncPolicy int

// The values of appendfsync. The zero value is Redis's default, everysec.
const (
	// FsyncEverySec fsyncs from a background goroutine once per second when
	// there is unsynced data: a crash loses at most about a second of writes.
	FsyncEverySec FsyncPolicy = iota
	// FsyncAlways fsyncs every group before Append returns.
	FsyncAlways
	// FsyncNo leaves flushing to the OS; the Log fsyncs only when it seals a
	// segment and on Close.
	FsyncNo
)

// ParseFsyncPolicy parses an appendfsync value: "always", "everysec" or "no",
// in any case.
func ParseFsyncPolicy(s string) (FsyncPolicy, error) {
	switch strings.ToLower(s) {
	case "everysec":
		return FsyncEverySec, nil
	case "always":
		return FsyncAlways, nil
	case "no":
		return FsyncNo, nil
	}
	return 0, fmt.Errorf("aof: invalid appendfsync value %q (want always, everysec or no)", s)
}

// String returns the appendfsync spelling of p.
func (p FsyncPolicy) String() string {
	switch p {
	case FsyncEverySec:
		return "everysec"
	case FsyncAlways:
		return "always"
	case FsyncNo:
		return "no"
	}
	return fmt.Sprintf("FsyncPolicy(%d)", int(p))
}

// Defaults applied by Open to zero fields of Options.
const (
	DefaultBaseName    = "appendonly.aof"
	DefaultSegmentSize = 64 << 20
)

// Options configures a Log. Open copies them; a zero field takes the default
// named in its comment.
type Options struct {
	// Dir holds the segment files and nothing else of importance; it is
	// created if missing. Required.
	Dir string
	// FS is the filesystem Dir lives on; nil means vfs.Default (the OS).
	// Tests pass vfs.NewCrashableMem() or an errorfs to simulate crashes and
	// failing disks.
	FS vfs.FS
	// BaseName prefixes the segment file names: redis.conf's appendfilename.
	// Default DefaultBaseName.
	BaseName string
	// Fsync is the appendfsync policy. Default FsyncEverySec.
	Fsync FsyncPolicy
	// SegmentSize: once the active segment holds at least this many bytes,
	// the next group starts a new segment. Groups are never split, so a
	// segment may exceed it by one group. Default DefaultSegmentSize.
	SegmentSize int64
	// LoadTruncated is redis.conf's aof-load-truncated: true truncates a
	// command torn by a crash at the end of the log (logged at warn level);
	// false makes Open fail instead. The zero value is the strict one;
	// DefaultOptions sets it, as Redis does by default.
	LoadTruncated bool
	// LoadCorrupt is cobble's own option: true makes Open truncate the log at
	// the first invalid command anywhere (dropping everything after it,
	// later segments included, logged at error level); false makes Open fail
	// with a *CorruptError naming the file and offset. It implies
	// LoadTruncated: a torn tail is the mildest corruption. Default false.
	LoadCorrupt bool
	// Logger receives the log's messages, with component=aof added; nil
	// discards them.
	Logger *slog.Logger
	// Events are optional hooks, for tests and metrics.
	Events Events

	// syncInterval replaces the one second of FsyncEverySec in tests.
	syncInterval time.Duration
}

// DefaultOptions returns the Options a server uses for dir: everysec, 64 MiB
// segments, torn tails truncated, corruption refused.
func DefaultOptions(dir string) Options {
	return Options{Dir: dir, BaseName: DefaultBaseName, Fsync: FsyncEverySec,
		SegmentSize: DefaultSegmentSize, LoadTruncated: true}
}

// Validate reports options Open would refuse.
func (o *Options) Validate() error {
	switch {
	case o.Dir == "":
		return errors.New("aof: Options.Dir is empty")
	case strings.ContainsAny(o.BaseName, `/\`) || o.BaseName == "." || o.BaseName == "..":
		return fmt.Errorf("aof: appendfilename %q must be a plain file name", o.BaseName)
	case o.SegmentSize < 0:
		return fmt.Errorf("aof: negative segment size %d", o.SegmentSize)
	case o.Fsync < FsyncEverySec || o.Fsync > FsyncNo:
		return fmt.Errorf("aof: invalid fsync policy %d", int(o.Fsync))
	}
	return nil
}

// Events are optional callbacks. They run synchronously on the goroutine
// doing the work, possibly with the Log's locks held: they must be quick and
// must not call the Log.
type Events struct {
	// OnTruncate is called when Open drops the end of the log.
	OnTruncate func(TruncateInfo)
	// OnSync is called after each successful fsync of the log's data, with
	// the offset now known to be durable.
	OnSync func(synced int64)
	// OnSegment is called after a segment file was created or removed.
	OnSegment func(file string, created bool)
}

// TruncateInfo describes what Open dropped from the log.
type TruncateInfo struct {
	File       string // the segment file truncated
	Offset     int64  // the new end of the log
	FileOffset int64  // Offset within File
	Dropped    int64  // bytes dropped, later segments included
	Corrupt    bool   // false: a torn tail (LoadTruncated); true: corruption (LoadCorrupt)
	Reason     string
}

// Stats is a snapshot of the log's state, for INFO persistence.
type Stats struct {
	Fsync        FsyncPolicy
	StartOffset  int64
	EndOffset    int64
	SyncedOffset int64
	Segments     int   // segment files, the active one included
	Size         int64 // bytes in the segment files (EndOffset-StartOffset)
	ActiveSize   int64 // bytes in the active segment
	PendingBytes int64 // appended but not yet known durable (EndOffset-SyncedOffset)
	Fsyncs       int64 // fsyncs of the log's data since Open
	LastFsync    time.Time
	LastFsyncDur time.Duration // how long the last fsync took
	LastError    error         // see Log.LastError; nil when writes succeed
	// LoadDropped is the number of bytes Open dropped (torn tail or
	// corruption); LoadTruncated says whether it did.
	LoadDropped   int64
	LoadTruncated bool
}
