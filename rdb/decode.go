package rdb

import (
	"bytes"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strconv"
)

// Handler receives what Decode reads, in file order. An error it returns
// stops Decode, which returns it wrapped. NB: every slice a Handler is given
// is only valid until the method returns; Decode reuses the memory.
type Handler interface {
	// Aux receives an AUX field (redis-ver, ctime, repl-id, …).
	Aux(key, val []byte) error
	// ResizeDB receives the RESIZEDB hint of db: how many keys, and how
	// many with an expiry time, the file holds for it.
	ResizeDB(db int, size, expires uint64) error
	// Entry receives a key. NB: e and its slices are reused for the next
	// key; copy what you keep (e.Clone()).
	Entry(e *Entry) error
	// Skipped reports a key of a type cobble does not store ("stream",
	// "module") when DecodeOptions.SkipUnsupported is set.
	Skipped(db int, key []byte, typeName string) error
}

// FunctionHandler is an optional interface for a Handler that wants the
// function libraries of the file (RDB 10+, FUNCTION LOAD source code).
// Without it they are counted in Summary.Functions and dropped.
type FunctionHandler interface {
	Function(code []byte) error
}

// DefaultMaxAlloc is the default of DecodeOptions.MaxAlloc.
const DefaultMaxAlloc = 1 << 30

// DecodeOptions tunes Decode. The zero value fails on stream and module
// keys, checks the checksum and bounds a key at DefaultMaxAlloc bytes.
type DecodeOptions struct {
	// SkipUnsupported reports stream and module keys to Handler.Skipped and
	// goes on; when false Decode fails on the first one, naming it.
	SkipUnsupported bool

	// MaxAlloc bounds the memory one key (or AUX field, or function
	// library) may need while it is decoded, in bytes; a key needing more
	// fails with ErrLimit. 0 means DefaultMaxAlloc.
	MaxAlloc int64

	// IgnoreChecksum skips the CRC64 comparison (as Redis does with
	// rdbchecksum no or skip-checksum-validation).
	IgnoreChecksum bool

	// Logger receives warnings (unknown module AUX data skipped, pre-GA
	// function format skipped, key metadata skipped…). nil logs nothing;
	// the warnings are in Summary.Warnings either way.
	Logger *slog.Logger
}

// Summary describes a decoded file.
type Summary struct {
	Magic           string             // "REDIS" or "VALKEY"
	Version         int                // RDB version from the header
	Keys            map[Type]int       // keys handed to Handler.Entry, per data type
	Encodings       map[ObjectType]int // keys read, per RDB value type (skipped ones too)
	Skipped         map[string]int     // keys handed to Handler.Skipped, per type name
	EmptyKeys       int                // empty collections dropped (Redis drops them too)
	Expires         int                // keys handed to Handler.Entry with an expiry time
	Aux             []AuxField         // AUX fields in file order
	Functions       int                // function libraries (FUNCTION2 opcodes)
	ModuleAux       int                // module AUX records skipped
	Checksum        uint64             // the CRC64 trailer; 0 when absent or not computed
	ChecksumChecked bool               // the trailer was compared with the data and matched
	Bytes           int64              // input consumed, including the trailer
	Warnings        []string           // things skipped that a reader may want to know about
}

// AuxField is one AUX field of a file.
type AuxField struct{ Key, Value string }

// maxWarnings caps Summary.Warnings; further warnings are counted in the
// last one.
const maxWarnings = 100

// Opcodes of the RDB file. Persisted.
const (
	opKeyMeta      = 243 // Redis RDB 13: module metadata of the next key. Valkey: SLOT_IMPORT
	opSlotInfo     = 244 // Redis 7.4+ cluster: slot id, keys, expires
	opFunction2    = 245
	opFunctionPre  = 246 // Redis 7.0 release candidates
	opModuleAux    = 247
	opIdle         = 248
	opFreq         = 249
	opAux          = 250
	opResizeDB     = 251
	opExpireTimeMs = 252
	opExpireTime   = 253
	opSelectDB     = 254
	opEOF          = 255
)

// Versions read. Redis writes 1–12 (13 from Redis 8.x); Valkey writes 11 with
// the REDIS magic and 80+ with its own.
const (
	maxRedisVersion  = 13
	minValkeyVersion = 80
	maxValkeyVersion = 81
)

// Decode reads an RDB file from r and hands every key to h, one at a time:
// it never holds more than one key in memory. It checks the CRC64 trailer
// (version 5+; a trailer of 0 means the writer did not compute one). Errors
// about the input are *Error values wrapping ErrCorrupt, ErrVersion,
// ErrUnsupported or ErrLimit, with the byte offset.
func Decode(r io.Reader, h Handler, opts DecodeOptions) (Summary, error) {
	d := newDecoder(newReader(r, 0), opts)
	d.h = h
	err := d.decodeFile()
	return d.summary(), err
}

// summary completes d.sum with the counts kept in arrays while decoding.
func (d *decoder) summary() Summary {
	for t, n := range d.keys {
		if n > 0 {
			d.sum.Keys[Type(t)] = n
		}
	}
	for t, n := range d.encs {
		if n > 0 {
			d.sum.Encodings[ObjectType(t)] = n
		}
	}
	d.sum.Bytes = d.r.off()
	return d.sum
}

type decoder struct {
	r        *reader
	h        Handler
	opts     DecodeOptions
	maxAlloc int64
	valkey   bool // magic VALKEY: types 22+ and opcode 243 mean Valkey's
	version  int

	arena    []byte // memory of the current key's strings
	keyBytes int64  // memory charged to the current key
	lzfBuf   []byte
	seen     map[string]struct{}
	hashExp  []int64 // field expiry times of the current hash
	lastRaw  bool    // the last string read was stored raw (not LZF, not an integer)
	e        Entry
	sum      Summary
	warnings int
	keys     [TypeHash + 1]int // per-key counts, copied into sum at the end
	encs     [256]int
}

func newDecoder(r *reader, opts DecodeOptions) *decoder {
	d := &decoder{r: r, opts: opts, maxAlloc: opts.MaxAlloc}
	if d.maxAlloc <= 0 {
		d.maxAlloc = DefaultMaxAlloc
	}
	d.sum = Summary{Keys: map[Type]int{}, Encodings: map[ObjectType]int{}, Skipped: map[string]int{}}
	return d
}

func (d *decoder) decodeFile() error {
	if err := d.readHeader(); err != nil {
		return err
	}
	db := 0
	expireAt, idle, freq := int64(0), int64(-1), -1
	for {
		opOff := d.r.off()
		op, err := d.r.byte1()
		if err != nil {
			return err
		}
		switch {
		case op == opEOF:
			return d.readTrailer()
		case op == opSelectDB:
			n, err := d.r.readCount("db number")
			if err != nil {
				return err
			}
			if n > math.MaxInt32 {
				return &Error{Offset: opOff, Kind: ErrCorrupt, Msg: fmt.Sprintf("db number %d out of range", n)}
			}
			db = int(n)
		case op == opResizeDB:
			size, err := d.r.readCount("resizedb size")
			if err != nil {
				return err
			}
			expires, err := d.r.readCount("resizedb expires")
			if err != nil {
				return err
			}
			if err := d.h.ResizeDB(db, size, expires); err != nil {
				return fmt.Errorf("rdb: offset %d: handler: %w", opOff, err)
			}
		case op == opExpireTimeMs:
			v, err := d.r.uint64LE()
			if err != nil {
				return err
			}
			expireAt = noZeroExpiry(int64(v))
		case op == opExpireTime:
			v, err := d.r.uint32LE()
			if err != nil {
				return err
			}
			expireAt = noZeroExpiry(int64(int32(v)) * 1000)
		case op == opIdle:
			v, err := d.r.readCount("lru idle time")
			if err != nil {
				return err
			}
			idle = int64(min(v, math.MaxInt64))
		case op == opFreq:
			v, err := d.r.byte1()
			if err != nil {
				return err
			}
			freq = int(v)
		case op == opAux:
			if err := d.readAux(opOff); err != nil {
				return err
			}
		case op == opModuleAux:
			if err := d.skipModuleAux(); err != nil {
				return err
			}
		case op == opFunction2:
			if err := d.readFunction(opOff); err != nil {
				return err
			}
		case op == opFunctionPre:
			if err := d.skipFunctionPreGA(); err != nil {
				return err
			}
		case op == opSlotInfo:
			for _, what := range []string{"slot id", "slot size", "slot expires"} {
				if _, err := d.r.readCount(what); err != nil {
					return err
				}
			}
		case op == opKeyMeta && d.valkey:
			if err := d.skipSlotImport(); err != nil {
				return err
			}
		case op == opKeyMeta && d.version >= 13:
			if err := d.skipKeyMeta(); err != nil {
				return err
			}
		default:
			if err := d.readKey(opOff, ObjectType(op), db, expireAt, idle, freq); err != nil {
				return err
			}
			expireAt, idle, freq = 0, -1, -1
		}
	}
}

// noZeroExpiry keeps an expiry time at or before the epoch (0 ms, or a
// negative value) distinguishable from "no expiry" (0 in an Entry) and
// positive, so that "ExpireAtMs > 0 && ExpireAtMs <= now" finds every
// expired key: it becomes 1, long past like the original.
func noZeroExpiry(ms int64) int64 {
	if ms <= 0 {
		return 1
	}
	return ms
}

func (d *decoder) readHeader() error {
	b, err := d.r.take(9)
	if err != nil {
		return err
	}
	var digits []byte
	switch {
	case bytes.HasPrefix(b, []byte("REDIS")):
		d.sum.Magic, digits = "REDIS", b[5:9]
	case bytes.HasPrefix(b, []byte("VALKEY")):
		d.sum.Magic, digits, d.valkey = "VALKEY", b[6:9], true
	default:
		return &Error{Offset: 0, Kind: ErrCorrupt, Msg: fmt.Sprintf("not an RDB file: header %q", b)}
	}
	v, err := strconv.Atoi(string(digits))
	if err != nil || v < 1 || digits[0] == '-' || digits[0] == '+' {
		return &Error{Offset: 0, Kind: ErrCorrupt, Msg: fmt.Sprintf("bad RDB version in header %q", b)}
	}
	d.version, d.sum.Version = v, v
	if (!d.valkey && v > maxRedisVersion) || (d.valkey && (v < minValkeyVersion || v > maxValkeyVersion)) {
		return &Error{Offset: 0, Kind: ErrVersion, Msg: fmt.Sprintf("RDB version %d (%s magic) is not supported", v, d.sum.Magic)}
	}
	return nil
}

func (d *decoder) readTrailer() error {
	if d.version < 5 {
		return nil
	}
	computed := d.r.sum()
	at := d.r.off()
	got, err := d.r.uint64LE()
	if err != nil {
		return err
	}
	d.sum.Checksum = got
	if got == 0 || d.opts.IgnoreChecksum {
		return nil
	}
	if got != computed {
		return &Error{Offset: at, Kind: ErrChecksum,
			Msg: fmt.Sprintf("RDB checksum mismatch: file says %016x, data gives %016x", got, computed)}
	}
	d.sum.ChecksumChecked = true
	return nil
}

func (d *decoder) readAux(opOff int64) error {
	d.beginKey()
	k, err := d.readString()
	if err != nil {
		return err
	}
	v, err := d.readString()
	if err != nil {
		return err
	}
	d.sum.Aux = append(d.sum.Aux, AuxField{Key: string(k), Value: string(v)})
	if err := d.h.Aux(k, v); err != nil {
		return fmt.Errorf("rdb: offset %d: handler: %w", opOff, err)
	}
	return nil
}

func (d *decoder) readFunction(opOff int64) error {
	d.beginKey()
	code, err := d.readString()
	if err != nil {
		return err
	}
	d.sum.Functions++
	if fh, ok := d.h.(FunctionHandler); ok {
		if err := fh.Function(code); err != nil {
			return fmt.Errorf("rdb: offset %d: handler: %w", opOff, err)
		}
	}
	return nil
}

// skipFunctionPreGA skips a function library in the format of the Redis
// 7.0 release candidates (name, engine, optional description, code), which
// Redis itself no longer loads.
func (d *decoder) skipFunctionPreGA() error {
	for i := 0; i < 2; i++ {
		if err := d.r.skipString(); err != nil {
			return err
		}
	}
	hasDesc, err := d.r.readCount("function description flag")
	if err != nil {
		return err
	}
	if hasDesc != 0 {
		if err := d.r.skipString(); err != nil {
			return err
		}
	}
	if err := d.r.skipString(); err != nil {
		return err
	}
	d.warn("skipped a function library in the Redis 7.0 release-candidate format")
	return nil
}

// skipSlotImport skips Valkey's SLOT_IMPORT record: a job name and slot
// ranges of an atomic slot migration in progress.
func (d *decoder) skipSlotImport() error {
	if err := d.r.skipString(); err != nil {
		return err
	}
	n, err := d.r.readCount("slot import ranges")
	if err != nil {
		return err
	}
	for i := uint64(0); i < 2*n; i++ {
		if _, err := d.r.readCount("slot"); err != nil {
			return err
		}
	}
	d.warn("skipped a slot import record")
	return nil
}

func (d *decoder) warn(msg string) {
	d.warnings++
	switch {
	case d.warnings < maxWarnings:
		d.sum.Warnings = append(d.sum.Warnings, msg)
	case d.warnings == maxWarnings:
		d.sum.Warnings = append(d.sum.Warnings, "further warnings not recorded")
	}
	if d.opts.Logger != nil {
		d.opts.Logger.Warn(msg, "component", "rdb", "offset", d.r.off())
	}
}

// objectKind is what reading a value produced.
type objectKind int

const (
	kindEntry   objectKind = iota // d.e holds the value
	kindEmpty                     // an empty collection, dropped
	kindSkipped                   // a stream or module value, skipped
)

func (d *decoder) readKey(opOff int64, t ObjectType, db int, expireAt, idle int64, freq int) error {
	if !d.knownType(t) {
		return d.unknownType(opOff, t)
	}
	d.beginKey()
	key, err := d.readString()
	if err != nil {
		return err
	}
	kind, skippedAs, err := d.readValue(t)
	if err != nil {
		return keyError(err, db, key, t)
	}
	d.encs[t]++
	switch kind {
	case kindEmpty:
		d.sum.EmptyKeys++
	case kindSkipped:
		d.sum.Skipped[skippedAs]++
		if err := d.h.Skipped(db, key, skippedAs); err != nil {
			return fmt.Errorf("rdb: offset %d: handler: db %d key %q: %w", opOff, db, clip(key), err)
		}
	case kindEntry:
		e := &d.e
		e.DB, e.Key, e.ExpireAtMs, e.IdleSec, e.Freq, e.Encoding = db, key, expireAt, idle, freq, t
		d.keys[e.Type]++
		if expireAt != 0 {
			d.sum.Expires++
		}
		if err := d.h.Entry(e); err != nil {
			return fmt.Errorf("rdb: offset %d: handler: db %d key %q: %w", opOff, db, clip(key), err)
		}
	}
	return nil
}

// knownType reports whether t is a value type of this file's format.
func (d *decoder) knownType(t ObjectType) bool {
	switch {
	case t <= ObjModule2 || (t >= ObjHashZipmap && t <= ObjStreamListpacks3):
		return true
	case d.valkey:
		return t == valkeyHash2 || t == valkeyPathHash
	}
	return t >= ObjHashMetadataPreGA && t <= ObjStreamListpacks5
}

func (d *decoder) unknownType(opOff int64, t ObjectType) error {
	if t > ObjStreamListpacks5 || t == 8 {
		return &Error{Offset: opOff, Kind: ErrCorrupt, Msg: fmt.Sprintf("unknown value type or opcode %d", t)}
	}
	return &Error{Offset: opOff, Kind: ErrCorrupt, Msg: fmt.Sprintf("value type %d (%s) is not valid in an RDB %d file", t, t, d.version)}
}

// readValue reads the value of a key of type t into d.e.
func (d *decoder) readValue(t ObjectType) (objectKind, string, error) {
	e := &d.e
	d.resetEntry()
	switch t {
	case ObjString:
		s, err := d.readString()
		e.Type, e.String = TypeString, s
		return kindEntry, "", err
	case ObjList:
		e.Type = TypeList
		return d.readPlainList()
	case ObjSet:
		e.Type = TypeSet
		return d.readPlainSet()
	case ObjZSet, ObjZSet2:
		e.Type = TypeZSet
		return d.readPlainZSet(t == ObjZSet2)
	case ObjHash:
		e.Type = TypeHash
		return d.readPlainHash()
	case ObjModulePreGA:
		return 0, "", d.r.errorf(ErrUnsupported, "module value in the Redis 4.0 release-candidate format cannot be read or skipped")
	case ObjModule2:
		return d.skipModuleValue()
	case ObjStreamListpacks, ObjStreamListpacks2, ObjStreamListpacks3:
		return d.skipStream(t)
	case ObjStreamListpacks4, ObjStreamListpacks5:
		return 0, "", d.r.errorf(ErrUnsupported, "%s (RDB 13 stream) layout is not read by this decoder; it cannot be skipped", t)
	case ObjListQuicklist, ObjListQuicklist2:
		e.Type = TypeList
		return d.readQuicklist(t == ObjListQuicklist2)
	}
	if d.valkey && t == valkeyHash2 {
		e.Type = TypeHash
		return d.readValkeyHash2()
	}
	if d.valkey && t == valkeyPathHash {
		return 0, "", d.r.errorf(ErrUnsupported, "Valkey path hash (type 23) layout is not read by this decoder; it cannot be skipped")
	}
	if t == ObjHashMetadata || t == ObjHashMetadataPreGA {
		e.Type = TypeHash
		return d.readHashMetadata(t == ObjHashMetadata)
	}
	if t == ObjHashListpackEx || t == ObjHashListpackExPre {
		if t == ObjHashListpackEx {
			if _, err := d.r.uint64LE(); err != nil { // next field expiry; recomputed by the loader
				return 0, "", err
			}
		}
		e.Type = TypeHash
	}
	// The rest keep the value in one string blob.
	blob, blobOff, err := d.readBlob()
	if err != nil {
		return 0, "", err
	}
	switch t {
	case ObjHashZipmap:
		e.Type = TypeHash
		err = d.readZipmap(blob, blobOff)
	case ObjListZiplist:
		e.Type = TypeList
		err = d.readZiplistList(blob, blobOff)
	case ObjSetIntset:
		e.Type = TypeSet
		err = d.readIntset(blob, blobOff)
	case ObjZSetZiplist:
		e.Type = TypeZSet
		err = d.readPackedZSet(blob, blobOff, false)
	case ObjHashZiplist:
		e.Type = TypeHash
		err = d.readPackedHash(blob, blobOff, false, 2)
	case ObjHashListpack:
		e.Type = TypeHash
		err = d.readPackedHash(blob, blobOff, true, 2)
	case ObjHashListpackEx, ObjHashListpackExPre:
		err = d.readPackedHash(blob, blobOff, true, 3)
	case ObjZSetListpack:
		e.Type = TypeZSet
		err = d.readPackedZSet(blob, blobOff, true)
	case ObjSetListpack:
		e.Type = TypeSet
		err = d.readListpackSet(blob, blobOff)
	default:
		return 0, "", d.r.corruptf("unknown value type %d", t)
	}
	if err != nil {
		return 0, "", err
	}
	if e.Len() == 0 {
		return kindEmpty, "", nil
	}
	return kindEntry, "", nil
}

// beginKey starts the memory accounting of a new key and lets the arena be
// reused; a very large previous key's memory is given back.
func (d *decoder) beginKey() {
	if cap(d.arena) > 64<<20 {
		d.arena = nil
	}
	d.arena = d.arena[:0]
	d.keyBytes = 0
}

func (d *decoder) resetEntry() {
	e := &d.e
	list, set, hash, zset := e.List[:0], e.Set[:0], e.Hash[:0], e.ZSet[:0]
	if cap(list) > 1<<20 {
		list = nil
	}
	if cap(set) > 1<<20 {
		set = nil
	}
	if cap(hash) > 1<<20 {
		hash = nil
	}
	if cap(zset) > 1<<20 {
		zset = nil
	}
	*e = Entry{List: list, Set: set, Hash: hash, ZSet: zset}
	if cap(d.hashExp) > 1<<20 {
		d.hashExp = nil
	}
	d.hashExp = d.hashExp[:0]
}
