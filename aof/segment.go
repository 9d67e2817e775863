package aof

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"

	"github.com/cockroachdb/pebble/v2/vfs"
)

// segment is one file of the log: the bytes of the log from start on.
type segment struct {
	start int64  // log offset of the file's first byte; persisted in the file name
	size  int64  // bytes of whole groups in the file; Log.mu guards it for the active segment
	name  string // file name within the log's directory
}

func (s *segment) end() int64 { return s.start + s.size }

// Segment file names: "<BaseName>.<start offset, 20 decimal digits>.seg".
// Part of the on-disk format: the name is the only place a segment's start
// offset is stored, and zero padding makes names sort in log order.
const (
	segSuffix = ".seg"
	tmpSuffix = ".tmp" // a truncated copy being written (see truncateFile)
	lockName  = ".lock"
)

func segmentName(base string, start int64) string {
	return fmt.Sprintf("%s.%020d%s", base, start, segSuffix)
}

// parseSegmentName returns the start offset encoded in a segment file name.
func parseSegmentName(base, name string) (start int64, ok bool) {
	rest, ok := strings.CutPrefix(name, base+".")
	if !ok {
		return 0, false
	}
	digits, ok := strings.CutSuffix(rest, segSuffix)
	if !ok || len(digits) != 20 {
		return 0, false
	}
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	start, err := strconv.ParseInt(digits, 10, 64)
	return start, err == nil
}

// listSegments returns the segments in dir in log order, with their file
// sizes. It removes leftover temporary files of an interrupted truncation,
// and returns the names of other files that look like they belong to the
// log but that cobble does not read (e.g. a Redis 7 manifest and its
// .incr.aof files), so that Open can warn about them.
func listSegments(fsys vfs.FS, dir, base string) (segs []*segment, foreign []string, err error) {
	names, err := fsys.List(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("aof: list %s: %w", dir, err)
	}
	for _, name := range names {
		if strings.HasPrefix(name, base+".") && strings.HasSuffix(name, segSuffix+tmpSuffix) {
			// The rename that would have replaced the segment never
			// happened: the segment itself is intact.
			if err := fsys.Remove(fsys.PathJoin(dir, name)); err != nil {
				return nil, nil, fmt.Errorf("aof: remove leftover %s: %w", name, err)
			}
			continue
		}
		start, ok := parseSegmentName(base, name)
		if !ok {
			if strings.HasPrefix(name, base) && name != base+lockName {
				foreign = append(foreign, name)
			}
			continue
		}
		fi, err := fsys.Stat(fsys.PathJoin(dir, name))
		if err != nil {
			return nil, nil, fmt.Errorf("aof: stat segment: %w", err)
		}
		segs = append(segs, &segment{start: start, size: fi.Size(), name: name})
	}
	slices.SortFunc(segs, func(a, b *segment) int { return cmp.Compare(a.start, b.start) })
	slices.Sort(foreign)
	return segs, foreign, nil
}

// syncDir fsyncs a directory, making the creation, removal or renaming of
// files in it durable.
func syncDir(fsys vfs.FS, dir string) error {
	d, err := fsys.OpenDir(dir)
	if err != nil {
		return fmt.Errorf("aof: open dir %s: %w", dir, err)
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("aof: fsync dir %s: %w", dir, err)
	}
	return nil
}

// truncater is implemented by files that can shrink in place; files of
// vfs.Default can (they embed *os.File).
type truncater interface {
	Truncate(size int64) error
}

// truncateFile shrinks the file at path to size and makes that durable, up
// to the directory fsync the caller does afterwards. A filesystem that cannot
// truncate gets a copy of the prefix renamed over the file, which is atomic:
// a crash leaves either the old file or the new one (and a stray .tmp file
// that listSegments removes).
func truncateFile(fsys vfs.FS, path string, size int64) error {
	f, err := fsys.OpenReadWrite(path, vfs.WriteCategoryUnspecified)
	if err != nil {
		return err
	}
	if t, ok := f.(truncater); ok {
		err := t.Truncate(size)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		return err
	}
	tmp := path + tmpSuffix
	dst, err := fsys.Create(tmp, vfs.WriteCategoryUnspecified)
	if err != nil {
		f.Close()
		return err
	}
	_, err = io.Copy(dst, io.NewSectionReader(f, 0, size))
	if err == nil {
		err = dst.Sync()
	}
	if cerr := dst.Close(); err == nil {
		err = cerr
	}
	f.Close()
	if err == nil {
		err = fsys.Rename(tmp, path)
	}
	if err != nil {
		fsys.Remove(tmp)
	}
	return err
}

// scanSegment validates the RESP of a whole segment. It returns a
// *CorruptError for the first command that is invalid or torn, or an error
// for a failed read. zero reports that the offending byte is a NUL: what a
// filesystem shows for blocks of a crashed file that were never written.
func (l *Log) scanSegment(s *segment) (bad *CorruptError, zero bool, err error) {
	path := l.path(s.name)
	f, err := l.fs.Open(path)
	if err != nil {
		return nil, false, fmt.Errorf("aof: open segment: %w", err)
	}
	defer f.Close()
	p := newParser(io.NewSectionReader(f, 0, s.size), s.start, false)
	for {
		_, err := p.Next()
		if err == nil {
			continue
		}
		var ce *CorruptError // NB: declared here, not per command: errors.As makes it escape
		switch {
		case err == io.EOF:
			return nil, false, nil
		case errors.As(err, &ce):
			ce.File, ce.FileOffset = path, ce.Offset-s.start
			if !ce.Torn {
				var b [1]byte
				if _, err := f.ReadAt(b[:], ce.Pos-s.start); err != nil {
					return nil, false, fmt.Errorf("aof: read %s: %w", path, err)
				}
				zero = b[0] == 0
			}
			return ce, zero, nil
		default:
			return nil, false, fmt.Errorf("aof: read %s: %w", path, err)
		}
	}
}

// load reads the segments in the log's directory, checks that they are
// contiguous and hold only valid RESP commands, repairs a torn tail or
// corruption as the options allow, and opens the last segment for appending.
//
// Every segment is validated fully, not only the last one: the parser skips
// payloads and runs at disk read speed, and a corrupt command in an older
// segment would otherwise surface later, in Replay or on a replica.
func (l *Log) load() error {
	segs, foreign, err := listSegments(l.fs, l.dir, l.opts.BaseName)
	if err != nil {
		return err
	}
	if len(foreign) > 0 {
		l.log.Warn("aof directory holds files that are not cobble log segments; they are ignored",
			"dir", l.dir, "files", foreign)
	}
	if len(segs) == 0 {
		f, s, err := l.createSegment(0)
		if err != nil {
			return err
		}
		l.setActive(f, s)
		l.mu.segs = []*segment{s}
		return nil
	}
	for i, s := range segs {
		var bad *CorruptError
		zero := false
		cut := i // index of the segment the log ends in after truncation
		if i > 0 && s.start != segs[i-1].end() {
			prev := segs[i-1]
			bad = &CorruptError{File: l.path(s.name), Offset: prev.end(), Pos: s.start,
				Reason: fmt.Sprintf("segment starts at offset %d but the previous one ends at %d", s.start, prev.end())}
			cut = i - 1
		} else if bad, zero, err = l.scanSegment(s); err != nil {
			return err
		}
		if bad == nil {
			continue
		}
		last := i == len(segs)-1
		switch {
		case bad.Torn && !last:
			// Segments are sealed at group boundaries: only the last one
			// can end inside a command.
			bad.Torn = false
			bad.Reason = "sealed segment ends inside a command"
		case zero && last:
			// A crash before an fsync completed can leave the end of the
			// file as zeros (blocks allocated but never written). That is
			// a torn tail, not corruption. Sealed segments were fsynced
			// before the next one existed, so this applies to the last.
			bad.Torn = true
			bad.Reason = "zero bytes where the log continues (blocks not written before a crash)"
		}
		if err := l.repair(segs, cut, bad); err != nil {
			return err
		}
		segs = segs[:cut+1]
		break
	}
	last := segs[len(segs)-1]
	f, err := l.fs.OpenReadWrite(l.path(last.name), vfs.WriteCategoryUnspecified)
	if err != nil {
		return fmt.Errorf("aof: open segment for writing: %w", err)
	}
	// Whatever a crashed process left in the OS cache becomes durable now,
	// so that SyncedOffset can start at the end.
	if err := f.SyncData(); err != nil {
		f.Close()
		return fmt.Errorf("aof: fsync %s: %w", l.path(last.name), err)
	}
	l.setActive(f, last)
	l.mu.segs = segs
	return nil
}

// repair truncates the log where bad says, if the options allow it: segs[cut]
// is shortened to end at bad.Offset and every later segment is removed.
func (l *Log) repair(segs []*segment, cut int, bad *CorruptError) error {
	allowed := l.opts.LoadCorrupt
	if bad.Torn {
		allowed = l.opts.LoadTruncated || l.opts.LoadCorrupt
	}
	if !allowed {
		return bad
	}
	keep := segs[cut]
	keepSize := bad.Offset - keep.start
	dropped := keep.size - keepSize
	for _, s := range segs[cut+1:] {
		dropped += s.size
	}
	// Remove later segments newest first, then shorten: a crash at any
	// point leaves a log that repairs to the same result.
	for j := len(segs) - 1; j > cut; j-- {
		if err := l.fs.Remove(l.path(segs[j].name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("aof: remove %s: %w", segs[j].name, err)
		}
		l.segmentEvent(segs[j].name, false)
	}
	if keepSize < keep.size {
		if err := truncateFile(l.fs, l.path(keep.name), keepSize); err != nil {
			return fmt.Errorf("aof: truncate %s: %w", keep.name, err)
		}
		keep.size = keepSize
	}
	if err := syncDir(l.fs, l.dir); err != nil {
		return err
	}
	l.loadDropped, l.loadTruncated = dropped, true
	info := TruncateInfo{File: l.path(keep.name), Offset: bad.Offset, FileOffset: keepSize,
		Dropped: dropped, Corrupt: !bad.Torn, Reason: bad.Reason}
	if bad.Torn {
		l.log.Warn("aof torn tail truncated", "file", info.File, "offset", info.Offset,
			"file_offset", info.FileOffset, "bytes_dropped", dropped)
	} else {
		l.log.Error("aof corrupt log truncated: data after the corruption is lost",
			"file", bad.File, "offset", bad.Offset, "file_offset", bad.FileOffset, "bad_byte", bad.Pos,
			"reason", bad.Reason, "bytes_dropped", dropped, "segments_dropped", len(segs)-1-cut)
	}
	if l.opts.Events.OnTruncate != nil {
		l.opts.Events.OnTruncate(info)
	}
	return nil
}

// createSegment creates an empty segment file starting at start and makes
// its directory entry durable.
func (l *Log) createSegment(start int64) (vfs.File, *segment, error) {
	s := &segment{start: start, name: segmentName(l.opts.BaseName, start)}
	f, err := l.fs.Create(l.path(s.name), vfs.WriteCategoryUnspecified)
	if err != nil {
		return nil, nil, fmt.Errorf("aof: create segment: %w", err)
	}
	if err := syncDir(l.fs, l.dir); err != nil {
		f.Close()
		return nil, nil, err
	}
	l.segmentEvent(s.name, true)
	l.log.Debug("aof segment created", "file", s.name, "offset", start)
	return f, s, nil
}

// removeSegments removes segment files oldest first, so that a crash leaves
// a contiguous log, and then fsyncs the directory. It returns how many files
// it removed.
func (l *Log) removeSegments(segs []*segment) (int, error) {
	for i, s := range segs {
		if err := l.fs.Remove(l.path(s.name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return i, fmt.Errorf("aof: remove segment: %w", err)
		}
		l.segmentEvent(s.name, false)
		l.log.Debug("aof segment removed", "file", s.name, "offset", s.start, "size", s.size)
	}
	if len(segs) == 0 {
		return 0, nil
	}
	return len(segs), syncDir(l.fs, l.dir)
}

func (l *Log) segmentEvent(name string, created bool) {
	if l.opts.Events.OnSegment != nil {
		l.opts.Events.OnSegment(name, created)
	}
}

func (l *Log) path(name string) string { return l.fs.PathJoin(l.dir, name) }
