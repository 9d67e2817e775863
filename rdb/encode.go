package rdb

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"strconv"
)

// DefaultVersion is the RDB version the Encoder writes by default: the
// newest that Redis 5 and 6 load (7.x, 8.x and Valkey load it too), and
// all the Encoder's value types exist in it.
const DefaultVersion = 9

// Encoder versions: 5 is the first with a checksum; 12 the newest Redis
// format that has nothing the Encoder cannot produce.
const (
	minEncodeVersion = 5
	maxEncodeVersion = 12
)

// EncoderOptions tunes an Encoder. The zero value writes what Redis writes
// with its default configuration, at DefaultVersion.
type EncoderOptions struct {
	// Version is the RDB version in the header, 5–12; 0 means
	// DefaultVersion. A Redis refuses files newer than it knows: 9 for
	// Redis 5/6, 10 for 7.0, 11 for 7.2, 12 for 7.4/8.x.
	Version int

	// NoCompression writes strings uncompressed (rdbcompression no);
	// otherwise strings over 20 bytes are LZF-compressed when that saves
	// space, as Redis does.
	NoCompression bool

	// NoChecksum writes a zero checksum, meaning "not computed"
	// (rdbchecksum no).
	NoChecksum bool

	// ListQuicklist writes lists as quicklists of ziplists (type 14, what
	// Redis 3.2–6.2 write) instead of plain lists (type 1). Both load in
	// Redis 5–8 and Valkey.
	ListQuicklist bool
}

// quicklistNodeBytes is the ziplist size at which a quicklist node is
// closed, as Redis's default list-max-ziplist-size -2 (8 KB).
const quicklistNodeBytes = 8 << 10

// Encoder writes an RDB file: Header, then any of Aux, SelectDB, ResizeDB
// and Entry, then Finish. It buffers about 64 KB (and a whole value) before
// writing; Finish flushes. It is not safe for concurrent use. After a write
// error every method returns that error.
type Encoder struct {
	w       io.Writer
	opts    EncoderOptions
	vw      valueWriter
	crc     uint64
	written int64
	db      int // current db; -1 before the first SELECTDB
	header  bool
	done    bool
	err     error
}

// NewEncoder returns an Encoder writing to w. Nothing is written until
// Header.
func NewEncoder(w io.Writer, opts EncoderOptions) *Encoder {
	if opts.Version == 0 {
		opts.Version = DefaultVersion
	}
	e := &Encoder{w: w, opts: opts, db: -1}
	e.vw = valueWriter{version: opts.Version, compress: !opts.NoCompression, quicklist: opts.ListQuicklist}
	return e
}

// Written returns the number of bytes written to the underlying writer.
func (e *Encoder) Written() int64 { return e.written }

// Header writes the magic and version ("REDIS0009").
func (e *Encoder) Header() error {
	if e.err != nil {
		return e.err
	}
	if e.header {
		return e.fail(fmt.Errorf("rdb: Header called twice"))
	}
	if v := e.opts.Version; v < minEncodeVersion || v > maxEncodeVersion {
		return e.fail(fmt.Errorf("rdb: cannot write RDB version %d (want %d–%d): %w", v, minEncodeVersion, maxEncodeVersion, ErrVersion))
	}
	e.header = true
	e.vw.buf = fmt.Appendf(e.vw.buf, "REDIS%04d", e.opts.Version)
	return e.flushIfFull()
}

// Aux writes an AUX field (redis-ver, ctime, …).
func (e *Encoder) Aux(key, val string) error {
	if err := e.ready(); err != nil {
		return err
	}
	e.vw.buf = append(e.vw.buf, opAux)
	e.vw.writeString([]byte(key))
	e.vw.writeString([]byte(val))
	return e.flushIfFull()
}

// SelectDB makes the following entries belong to db. Entry calls it by
// itself when an entry's DB differs from the current one.
func (e *Encoder) SelectDB(db int) error {
	if err := e.ready(); err != nil {
		return err
	}
	if db < 0 {
		return e.fail(fmt.Errorf("rdb: negative db %d: %w", db, ErrInvalidEntry))
	}
	e.vw.buf = append(e.vw.buf, opSelectDB)
	e.vw.writeLen(uint64(db))
	e.db = db
	return e.flushIfFull()
}

// ResizeDB writes the RESIZEDB hint for the current db: how many keys, and
// how many with an expiry time, follow.
func (e *Encoder) ResizeDB(size, expires uint64) error {
	if err := e.ready(); err != nil {
		return err
	}
	e.vw.buf = append(e.vw.buf, opResizeDB)
	e.vw.writeLen(size)
	e.vw.writeLen(expires)
	return e.flushIfFull()
}

// Entry writes one key: a SELECTDB first when en.DB is not the current db,
// the expiry time (ExpireAtMs != 0), LRU idle time (IdleSec > 0) and LFU
// counter (Freq > 0) when set, then the type, key and value. It refuses
// (ErrInvalidEntry) an empty collection, a duplicate member or field, a NaN
// score, and field expiry times in a file older than version 12.
func (e *Encoder) Entry(en *Entry) error {
	if err := e.ready(); err != nil {
		return err
	}
	if err := validateEntry(en, e.opts.Version); err != nil {
		return err // not sticky: nothing was written
	}
	if en.DB != e.db {
		if err := e.SelectDB(en.DB); err != nil {
			return err
		}
	}
	vw := &e.vw
	if en.ExpireAtMs != 0 {
		vw.buf = binary.LittleEndian.AppendUint64(append(vw.buf, opExpireTimeMs), uint64(en.ExpireAtMs))
	}
	if e.opts.Version >= 9 {
		if en.IdleSec > 0 {
			vw.buf = append(vw.buf, opIdle)
			vw.writeLen(uint64(en.IdleSec))
		}
		if en.Freq > 0 {
			vw.buf = append(vw.buf, opFreq, byte(min(en.Freq, 255)))
		}
	}
	vw.writeValue(en, true)
	return e.flushIfFull()
}

// Finish writes the EOF opcode and the CRC64 of the file, and flushes. It
// does not close the writer.
func (e *Encoder) Finish() error {
	if err := e.ready(); err != nil {
		return err
	}
	e.vw.buf = append(e.vw.buf, opEOF)
	e.crc = crc64Update(e.crc, e.vw.buf)
	sum := e.crc
	if e.opts.NoChecksum {
		sum = 0
	}
	e.vw.buf = binary.LittleEndian.AppendUint64(e.vw.buf, sum)
	if err := e.write(e.vw.buf); err != nil {
		return err
	}
	e.vw.buf = e.vw.buf[:0]
	e.done = true
	return nil
}

func (e *Encoder) ready() error {
	switch {
	case e.err != nil:
		return e.err
	case !e.header:
		return fmt.Errorf("rdb: Header must be written first")
	case e.done:
		return fmt.Errorf("rdb: encoder already finished")
	}
	return nil
}

func (e *Encoder) fail(err error) error {
	e.err = err
	return err
}

func (e *Encoder) flushIfFull() error {
	if len(e.vw.buf) < 64<<10 {
		return nil
	}
	e.crc = crc64Update(e.crc, e.vw.buf)
	err := e.write(e.vw.buf)
	e.vw.buf = e.vw.buf[:0]
	if cap(e.vw.buf) > 16<<20 {
		e.vw.buf = nil
	}
	return err
}

func (e *Encoder) write(b []byte) error {
	n, err := e.w.Write(b)
	e.written += int64(n)
	if err != nil {
		return e.fail(fmt.Errorf("rdb: write: %w", err))
	}
	return nil
}

// validateEntry checks what the Encoder and DumpPayload refuse to write.
func validateEntry(en *Entry, version int) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("rdb: key %q: %s: %w", clip(en.Key), fmt.Sprintf(format, args...), ErrInvalidEntry)
	}
	if en.DB < 0 {
		return bad("negative db %d", en.DB)
	}
	var dup []byte
	switch en.Type {
	case TypeString:
		return nil
	case TypeList:
		if len(en.List) == 0 {
			return bad("empty list")
		}
		return nil
	case TypeSet:
		if len(en.Set) == 0 {
			return bad("empty set")
		}
		dup = firstDup(len(en.Set), func(i int) []byte { return en.Set[i] })
	case TypeHash:
		if len(en.Hash) == 0 {
			return bad("empty hash")
		}
		dup = firstDup(len(en.Hash), func(i int) []byte { return en.Hash[i][0] })
		if en.HashExpireAtMs != nil {
			if len(en.HashExpireAtMs) != len(en.Hash) {
				return bad("%d field expiry times for %d fields", len(en.HashExpireAtMs), len(en.Hash))
			}
			for _, t := range en.HashExpireAtMs {
				if t < 0 || t > hashExpireMax {
					return bad("field expiry time %d out of range", t)
				}
				if t != 0 && version < 12 {
					return bad("hash field expiry times need RDB version 12 (Redis 7.4+)")
				}
			}
		}
	case TypeZSet:
		if len(en.ZSet) == 0 {
			return bad("empty sorted set")
		}
		for _, m := range en.ZSet {
			if math.IsNaN(m.Score) {
				return bad("NaN score for member %q", clip(m.Member))
			}
		}
		dup = firstDup(len(en.ZSet), func(i int) []byte { return en.ZSet[i].Member })
	default:
		return bad("unknown type %v", en.Type)
	}
	if dup != nil {
		return bad("duplicate %s %q", en.Type.elemName(), clip(dup))
	}
	return nil
}

func (t Type) elemName() string {
	switch t {
	case TypeHash:
		return "field"
	}
	return "member"
}

// firstDup returns an element that occurs twice, or nil.
func firstDup(n int, at func(int) []byte) []byte {
	if n <= 8 {
		for i := 1; i < n; i++ {
			for j := 0; j < i; j++ {
				if bytes.Equal(at(i), at(j)) {
					return at(i)
				}
			}
		}
		return nil
	}
	seen := make(map[string]struct{}, n)
	for i := 0; i < n; i++ {
		b := at(i)
		if _, ok := seen[string(b)]; ok {
			return b
		}
		seen[string(b)] = struct{}{}
	}
	return nil
}

// valueWriter appends RDB values to buf; the Encoder and DumpPayload share
// it. It writes only plain encodings (and ziplist quicklists on request),
// which every Redis since 5 loads.
type valueWriter struct {
	buf       []byte
	version   int
	compress  bool
	quicklist bool
	htab      lzfHashTable
	scratch   []byte // LZF output
	packed    []byte // ziplist being written
}

// writeValue appends the type byte, the key (withKey) and the value.
func (vw *valueWriter) writeValue(en *Entry, withKey bool) {
	typeAt := len(vw.buf)
	vw.buf = append(vw.buf, 0)
	if withKey {
		vw.writeString(en.Key)
	}
	var t ObjectType
	switch en.Type {
	case TypeString:
		t = ObjString
		vw.writeString(en.String)
	case TypeList:
		if vw.quicklist {
			t = ObjListQuicklist
			vw.writeQuicklist(en.List)
		} else {
			t = ObjList
			vw.writeLen(uint64(len(en.List)))
			for _, s := range en.List {
				vw.writeString(s)
			}
		}
	case TypeSet:
		t = ObjSet
		vw.writeLen(uint64(len(en.Set)))
		for _, s := range en.Set {
			vw.writeString(s)
		}
	case TypeHash:
		t = vw.writeHash(en)
	case TypeZSet:
		t = ObjZSet2
		if vw.version < 8 {
			t = ObjZSet
		}
		vw.writeLen(uint64(len(en.ZSet)))
		for _, m := range en.ZSet {
			vw.writeString(m.Member)
			if t == ObjZSet2 {
				vw.buf = binary.LittleEndian.AppendUint64(vw.buf, math.Float64bits(m.Score))
			} else {
				vw.writeStringDouble(m.Score)
			}
		}
	}
	vw.buf[typeAt] = byte(t)
}

// writeHash writes a plain hash, or a hash_metadata (type 24) when some
// field has an expiry time.
func (vw *valueWriter) writeHash(en *Entry) ObjectType {
	minExp := int64(0)
	for _, t := range en.HashExpireAtMs {
		if t != 0 && (minExp == 0 || t < minExp) {
			minExp = t
		}
	}
	if minExp == 0 {
		vw.writeLen(uint64(len(en.Hash)))
		for _, p := range en.Hash {
			vw.writeString(p[0])
			vw.writeString(p[1])
		}
		return ObjHash
	}
	vw.buf = binary.LittleEndian.AppendUint64(vw.buf, uint64(minExp))
	vw.writeLen(uint64(len(en.Hash)))
	for i, p := range en.Hash {
		ttl := uint64(0)
		if t := en.HashExpireAtMs[i]; t != 0 {
			ttl = uint64(t-minExp) + 1
		}
		vw.writeLen(ttl)
		vw.writeString(p[0])
		vw.writeString(p[1])
	}
	return ObjHashMetadata
}

// writeQuicklist writes list elements as ziplists of about 8 KB each.
func (vw *valueWriter) writeQuicklist(list [][]byte) {
	countAt := len(vw.buf)
	vw.buf = append(vw.buf, 0x80, 0, 0, 0, 0) // 32-bit length, patched below
	nodes := 0
	for start := 0; start < len(list); {
		end, size := start, 0
		for end < len(list) && (end == start || size+len(list[end])+11 <= quicklistNodeBytes) {
			size += len(list[end]) + 11
			end++
		}
		vw.packed = appendZiplist(vw.packed[:0], list[start:end])
		vw.writeString(vw.packed) // NB: not scratch, which LZF writes into
		nodes++
		start = end
	}
	binary.BigEndian.PutUint32(vw.buf[countAt+1:], uint32(nodes))
}

// writeStringDouble writes a score the way zset type 3 stores it.
func (vw *valueWriter) writeStringDouble(f float64) {
	switch {
	case math.IsInf(f, 1):
		vw.buf = append(vw.buf, 254)
	case math.IsInf(f, -1):
		vw.buf = append(vw.buf, 255)
	default:
		s := strconv.AppendFloat(nil, f, 'g', -1, 64)
		vw.buf = append(append(vw.buf, byte(len(s))), s...)
	}
}

// writeLen appends a length in the RDB length encoding.
func (vw *valueWriter) writeLen(n uint64) {
	vw.buf = appendLen(vw.buf, n)
}

func appendLen(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, 0x40|byte(n>>8), byte(n))
	case n <= math.MaxUint32:
		return binary.BigEndian.AppendUint32(append(b, 0x80), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(b, 0x81), n)
}

// writeString appends a string as Redis's rdbSaveRawString does: as an
// integer when it is the canonical form of one that fits 32 bits, else LZF
// compressed when over 20 bytes and compression saves space, else raw.
func (vw *valueWriter) writeString(s []byte) {
	if len(s) <= 11 {
		if v, ok := canonicalInt(s); ok && v >= math.MinInt32 && v <= math.MaxInt32 {
			vw.buf = appendIntString(vw.buf, v)
			return
		}
	}
	if vw.compress && len(s) >= lzfMinInput {
		if vw.htab == nil {
			vw.htab = newLZFHashTable()
		}
		var ok bool
		vw.scratch, ok = lzfCompress(vw.scratch[:0], s, vw.htab)
		if ok {
			vw.buf = append(vw.buf, 0xC0|encLZF)
			vw.buf = appendLen(vw.buf, uint64(len(vw.scratch)))
			vw.buf = appendLen(vw.buf, uint64(len(s)))
			vw.buf = append(vw.buf, vw.scratch...)
			return
		}
	}
	vw.buf = append(appendLen(vw.buf, uint64(len(s))), s...)
}

// appendIntString appends an integer-encoded string (8, 16 or 32 bits).
func appendIntString(b []byte, v int64) []byte {
	switch {
	case v >= math.MinInt8 && v <= math.MaxInt8:
		return append(b, 0xC0|encInt8, byte(v))
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return binary.LittleEndian.AppendUint16(append(b, 0xC0|encInt16), uint16(v))
	}
	return binary.LittleEndian.AppendUint32(append(b, 0xC0|encInt32), uint32(v))
}

// canonicalInt parses s as Redis's string2ll does: an optional minus sign
// and decimal digits without leading zeros ("0" itself, but not "-0",
// "+1", "01" or " 1"), within int64. Only such strings may be stored as
// integers, so that they read back byte for byte.
func canonicalInt(s []byte) (int64, bool) {
	if len(s) == 0 || len(s) > 20 {
		return 0, false
	}
	if len(s) == 1 && s[0] == '0' {
		return 0, true
	}
	neg := s[0] == '-'
	digits := s
	if neg {
		digits = s[1:]
	}
	if len(digits) == 0 || digits[0] < '1' || digits[0] > '9' {
		return 0, false
	}
	var u uint64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, false
		}
		if u > (math.MaxUint64-9)/10 {
			return 0, false
		}
		u = u*10 + uint64(c-'0')
	}
	if neg {
		if u > 1<<63 {
			return 0, false
		}
		return -int64(u), true
	}
	if u > math.MaxInt64 {
		return 0, false
	}
	return int64(u), true
}
