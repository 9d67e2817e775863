package rdb

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"math"
	"strings"
	"testing"
)

// moduleID packs a 9-character module type name and an encoding version
// the way Redis does.
func moduleID(name string, encver uint64) uint64 {
	const charset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var id uint64
	for i := 0; i < 9; i++ {
		id = id<<6 | uint64(strings.IndexByte(charset, name[i]))
	}
	return id<<10 | encver
}

// moduleItems appends one item of every kind and the EOF opcode.
func moduleItems(f *rawFile) *rawFile {
	return f.len(modOpUInt).len(7).len(modOpSInt).len(1<<40).len(modOpString).strs("payload").
		len(modOpFloat).bytes(0, 0, 0x80, 0x3f).len(modOpDouble).u64(math.Float64bits(2.5)).len(modOpEOF)
}

func oneString(f *rawFile, key, val string) *rawFile { return f.key(ObjString, key).strs(val) }

func TestModuleTypeName(t *testing.T) {
	if got := moduleTypeName(moduleID("ReJSON-RL", 3)); got != "ReJSON-RL" {
		t.Errorf("got %q", got)
	}
}

// Module values and module AUX data are skipped (and reported), or fail
// the decode naming the key.
func TestDecode_Modules(t *testing.T) {
	f := newRawFile("REDIS0009")
	f.bytes(opModuleAux).len(moduleID("graphdata", 1)).len(modOpUInt).len(2)
	moduleItems(f)
	f.key(ObjModule2, "mod").len(moduleID("ReJSON-RL", 3))
	moduleItems(f)
	oneString(f, "after", "ok")
	file := f.finish()

	c, sum := decodeAll(t, file, DecodeOptions{SkipUnsupported: true})
	if len(c.entries) != 1 || string(c.entries[0].Key) != "after" {
		t.Fatalf("entries %v", canonAll(c.entries))
	}
	if strings.Join(c.skipped, ",") != "0:mod:module" || sum.Skipped["module"] != 1 || sum.ModuleAux != 1 {
		t.Errorf("skipped %v, summary %+v", c.skipped, sum)
	}
	if len(sum.Warnings) != 1 || !strings.Contains(sum.Warnings[0], "graphdata") {
		t.Errorf("warnings %q", sum.Warnings)
	}
	_, err := Decode(bytes.NewReader(file), newCollector(), DecodeOptions{})
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "ReJSON-RL") || !strings.Contains(err.Error(), `"mod"`) {
		t.Errorf("without SkipUnsupported: %v", err)
	}

	// A bad item opcode is corruption.
	bad := newRawFile("REDIS0009").key(ObjModule2, "mod").len(moduleID("ReJSON-RL", 3)).len(9).finish()
	if _, err := Decode(bytes.NewReader(bad), newCollector(), DecodeOptions{SkipUnsupported: true}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("bad module opcode: %v", err)
	}
	// The 4.0 release-candidate module format cannot be skipped.
	old := newRawFile("REDIS0008").key(ObjModulePreGA, "old").len(1).finish()
	if _, err := Decode(bytes.NewReader(old), newCollector(), DecodeOptions{SkipUnsupported: true}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("pre-GA module: %v", err)
	}
}

// streamValue appends a stream of type t with one node, a consumer group
// with a pending entry and a consumer.
func streamValue(f *rawFile, t ObjectType) {
	f.len(1).str(make([]byte, 16)).str(appendListpack(nil, bl("1", "0", "f", "v", "0")))
	f.len(1).len(5).len(0) // length, last id
	if t >= ObjStreamListpacks2 {
		f.len(5).len(0).len(0).len(0).len(1) // first id, max deleted, entries added
	}
	f.len(1).strs("grp").len(5).len(0) // one group, last delivered id
	if t >= ObjStreamListpacks2 {
		f.len(1) // entries read
	}
	f.len(1).bytes(make([]byte, 16)...).u64(1700000000000).len(1) // PEL
	f.len(1).strs("alice").u64(1700000000000)                     // consumer, seen time
	if t >= ObjStreamListpacks3 {
		f.u64(1700000000001) // active time
	}
	f.len(1).bytes(make([]byte, 16)...) // consumer PEL
}

func TestDecode_StreamsSkipped(t *testing.T) {
	for _, typ := range []ObjectType{ObjStreamListpacks, ObjStreamListpacks2, ObjStreamListpacks3} {
		f := newRawFile("REDIS0011")
		f.key(typ, "s")
		streamValue(f, typ)
		oneString(f, "after", "ok")
		c, sum := decodeAll(t, f.finish(), DecodeOptions{SkipUnsupported: true})
		if len(c.entries) != 1 || sum.Skipped["stream"] != 1 || sum.Encodings[typ] != 1 {
			t.Errorf("%s: entries %d, summary %+v", typ, len(c.entries), sum)
		}
	}
	f := newRawFile("REDIS0013").key(ObjStreamListpacks4, "s").len(0)
	_, err := Decode(bytes.NewReader(f.finish()), newCollector(), DecodeOptions{SkipUnsupported: true})
	if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "stream_listpacks_4") {
		t.Errorf("RDB 13 stream: %v", err)
	}
}

// Opcodes that carry no keys: SLOT_INFO, FUNCTION2, the 7.0-rc FUNCTION,
// RESIZEDB, AUX with an integer value, KEY_META of RDB 13.
func TestDecode_Opcodes(t *testing.T) {
	f := newRawFile("REDIS0013")
	f.bytes(opAux).strs("redis-bits").bytes(0xC0, 64)
	f.bytes(opFunctionPre).strs("lib").strs("LUA").len(1).strs("desc").strs("return 1")
	f.bytes(opFunction2).strs("#!lua name=x\nredis.register_function('f', function() return 1 end)")
	f.bytes(opSelectDB).len(7).bytes(opResizeDB).len(3).len(1)
	f.bytes(opSlotInfo).len(866).len(3).len(1)
	f.bytes(opKeyMeta).len(1).bytes(1, 2, 3, 4)
	moduleItems(f)
	f.bytes(opExpireTimeMs).u64(farFuture).bytes(opIdle).len(70).bytes(opFreq, 9)
	oneString(f, "k", "v")
	oneString(f, "plain", "w") // key attributes do not carry over
	c, sum := decodeAll(t, f.finish(), DecodeOptions{})
	if c.aux["redis-bits"] != "64" {
		t.Errorf("aux %v", c.aux)
	}
	if len(c.functions) != 1 || sum.Functions != 1 || !strings.HasPrefix(c.functions[0], "#!lua") {
		t.Errorf("functions %q", c.functions)
	}
	if c.resize[7] != [2]uint64{3, 1} {
		t.Errorf("resize %v", c.resize)
	}
	want := []*Entry{
		{DB: 7, Key: []byte("k"), Type: TypeString, String: []byte("v"), ExpireAtMs: farFuture, IdleSec: 70, Freq: 9},
		{DB: 7, Key: []byte("plain"), Type: TypeString, String: []byte("w"), IdleSec: -1, Freq: -1},
	}
	sameEntries(t, c.entries, want)
	if len(sum.Warnings) != 2 {
		t.Errorf("warnings %q", sum.Warnings)
	}

	// KEY_META (243) is not an opcode before RDB 13.
	old := newRawFile("REDIS0012").bytes(opKeyMeta, 0).finish()
	if _, err := Decode(bytes.NewReader(old), newCollector(), DecodeOptions{}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("opcode 243 in RDB 12: %v", err)
	}
}

// Hash field expiry: Redis 7.4 types 22–25 and Valkey's type 22.
func TestDecode_HashFieldExpiry(t *testing.T) {
	want := func(exp ...int64) *Entry {
		return &Entry{Key: []byte("h"), Type: TypeHash, IdleSec: -1, Freq: -1,
			Hash:           [][2][]byte{{[]byte("a"), []byte("1")}, {[]byte("b"), []byte("2")}},
			HashExpireAtMs: exp}
	}
	lp := appendListpack(nil, bl("a", "1", "1800000000000", "b", "2", "0"))
	for name, tc := range map[string]struct {
		file []byte
		want *Entry
	}{
		"hash_metadata": {newRawFile("REDIS0012").key(ObjHashMetadata, "h").u64(1800000000000).len(2).
			len(1).strs("a").strs("1").len(0).strs("b").strs("2").finish(), want(1800000000000, 0)},
		"hash_metadata_pre_ga": {newRawFile("REDIS0012").key(ObjHashMetadataPreGA, "h").len(2).
			len(1800000000000).strs("a").strs("1").len(0).strs("b").strs("2").finish(), want(1800000000000, 0)},
		"hash_listpack_ex":        {newRawFile("REDIS0012").key(ObjHashListpackEx, "h").u64(1800000000000).str(lp).finish(), want(1800000000000, 0)},
		"hash_listpack_ex_pre_ga": {newRawFile("REDIS0012").key(ObjHashListpackExPre, "h").str(lp).finish(), want(1800000000000, 0)},
		"valkey hash_2": {newRawFile("VALKEY080").key(valkeyHash2, "h").len(2).strs("a").strs("1").u64(1800000000000).
			strs("b").strs("2").u64(math.MaxUint64).finish(), want(1800000000000, 0)},
		"no ttl at all": {newRawFile("REDIS0012").key(ObjHashListpackExPre, "h").str(appendListpack(nil, bl("a", "1", "0", "b", "2", "0"))).finish(), want()},
	} {
		c, _ := decodeAll(t, tc.file, DecodeOptions{})
		if len(c.entries) != 1 || canon(c.entries[0]) != canon(tc.want) {
			t.Errorf("%s: got %v", name, canonAll(c.entries))
		}
		if len(tc.want.HashExpireAtMs) == 0 && c.entries[0].HashExpireAtMs != nil {
			t.Errorf("%s: HashExpireAtMs set without TTLs", name)
		}
	}
	// The same type numbers mean different things in Redis and Valkey files.
	redis24 := newRawFile("REDIS0012").key(24, "h").u64(5).len(0).finish()
	if _, err := Decode(bytes.NewReader(redis24), newCollector(), DecodeOptions{}); err != nil {
		t.Errorf("empty hash_metadata: %v", err)
	}
	valkey24 := newRawFile("VALKEY080").key(24, "h").u64(5).len(0).finish()
	if _, err := Decode(bytes.NewReader(valkey24), newCollector(), DecodeOptions{}); !errors.Is(err, ErrCorrupt) {
		t.Errorf("type 24 in a Valkey file: %v", err)
	}
}

func TestDecode_Valkey(t *testing.T) {
	f := newRawFile("VALKEY080")
	f.bytes(opAux).strs("valkey-ver").strs("9.0.0")
	f.bytes(opKeyMeta).strs("job").len(2).len(0).len(100).len(200).len(300) // SLOT_IMPORT
	oneString(f, "k", "v")
	c, sum := decodeAll(t, f.finish(), DecodeOptions{})
	if sum.Magic != "VALKEY" || sum.Version != 80 || len(c.entries) != 1 || c.aux["valkey-ver"] != "9.0.0" {
		t.Errorf("summary %+v", sum)
	}
	path := newRawFile("VALKEY081").key(valkeyPathHash, "p").len(0).finish()
	if _, err := Decode(bytes.NewReader(path), newCollector(), DecodeOptions{SkipUnsupported: true}); !errors.Is(err, ErrUnsupported) {
		t.Errorf("path hash: %v", err)
	}
}

func TestDecode_Versions(t *testing.T) {
	for header, want := range map[string]error{
		"REDIS0001": nil, "REDIS0004": nil, "REDIS0012": nil, "REDIS0013": nil,
		"REDIS0014": ErrVersion, "REDIS0000": ErrCorrupt, "REDIS00-1": ErrCorrupt, "REDISabcd": ErrCorrupt,
		"VALKEY079": ErrVersion, "VALKEY082": ErrVersion, "VALKEY080": nil, "redis0009": ErrCorrupt, "HELLO1234": ErrCorrupt,
	} {
		f := newRawFile(header)
		oneString(f, "k", "v")
		var file []byte
		if strings.HasSuffix(header, "0001") || strings.HasSuffix(header, "0004") {
			file = f.finishNoCRC() // no checksum before version 5
		} else {
			file = f.finish()
		}
		_, err := Decode(bytes.NewReader(file), newCollector(), DecodeOptions{})
		if want == nil && err != nil || want != nil && !errors.Is(err, want) {
			t.Errorf("%s: %v, want %v", header, err, want)
		}
	}
	// Too short to hold a header.
	if _, err := Decode(strings.NewReader("REDI"), newCollector(), DecodeOptions{}); !errors.Is(err, ErrCorrupt) || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("short header: %v", err)
	}
}

func TestDecode_Checksum(t *testing.T) {
	file := oneString(newRawFile("REDIS0009"), "k", "v").finish()
	bad := append([]byte(nil), file...)
	bad[len(bad)-3] ^= 0x10
	_, err := Decode(bytes.NewReader(bad), newCollector(), DecodeOptions{})
	var e *Error
	if !errors.Is(err, ErrChecksum) || !errors.Is(err, ErrCorrupt) || !errors.As(err, &e) || e.Offset != int64(len(file)-8) {
		t.Errorf("bad checksum: %v", err)
	}
	if _, err := Decode(bytes.NewReader(bad), newCollector(), DecodeOptions{IgnoreChecksum: true}); err != nil {
		t.Errorf("IgnoreChecksum: %v", err)
	}
	zero := append(file[:len(file)-8:len(file)-8], make([]byte, 8)...)
	_, sum := decodeAll(t, zero, DecodeOptions{})
	if sum.ChecksumChecked || sum.Checksum != 0 {
		t.Errorf("zero checksum: %+v", sum)
	}
	// A flipped data byte is caught by the checksum when the structure
	// still parses.
	flip := append([]byte(nil), file...)
	flip[len(flip)-10] ^= 1 // the value's last byte
	if _, err := Decode(bytes.NewReader(flip), newCollector(), DecodeOptions{}); !errors.Is(err, ErrChecksum) {
		t.Errorf("flipped value byte: %v", err)
	}
}

// Strings in every encoding and lengths in every width.
func TestDecode_StringEncodings(t *testing.T) {
	long := strings.Repeat("z", 70000)
	compressed, ok := lzfCompress(nil, []byte(strings.Repeat("abc", 100)), nil)
	if !ok {
		t.Fatal("lzf did not compress")
	}
	f := newRawFile("REDIS0009")
	f.key(ObjString, "i8").bytes(0xC0, 0x80)
	f.key(ObjString, "i16").bytes(0xC1, 0x00, 0x80)
	f.key(ObjString, "i32").bytes(0xC2, 0xff, 0xff, 0xff, 0x7f)
	f.key(ObjString, "l14").bytes(0x40, 100).bytes(bytes.Repeat([]byte("y"), 100)...)
	f.key(ObjString, "l32").bytes(0x80, 0, 1, 0x11, 0x70).bytes([]byte(long)...)
	f.key(ObjString, "l64").bytes(0x81, 0, 0, 0, 0, 0, 0, 0, 3).bytes('a', 'b', 'c')
	f.key(ObjString, "lzf").bytes(0xC3).len(uint64(len(compressed))).len(300).bytes(compressed...)
	c, _ := decodeAll(t, f.finish(), DecodeOptions{})
	got := map[string]string{}
	for _, e := range c.entries {
		got[string(e.Key)] = string(e.String)
	}
	for k, v := range map[string]string{"i8": "-128", "i16": "-32768", "i32": "2147483647", "l14": strings.Repeat("y", 100),
		"l32": long, "l64": "abc", "lzf": strings.Repeat("abc", 100)} {
		if got[k] != v {
			t.Errorf("%s = %.40q, want %.40q", k, got[k], v)
		}
	}
	for name, b := range map[string][]byte{
		"bad length marker": {0x82},
		"bad string enc":    {0xC4},
		"bad lzf":           {0xC3, 2, 10, 0xff, 0xff},
		"lzf too short":     {0xC3, 3, 5, 1, 'a', 'b'},
	} {
		file := newRawFile("REDIS0009").key(ObjString, "k").bytes(b...).finish()
		if _, err := Decode(bytes.NewReader(file), newCollector(), DecodeOptions{}); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestDecode_EmptyAndDuplicates(t *testing.T) {
	f := newRawFile("REDIS0009")
	f.key(ObjList, "l").len(0)
	f.key(ObjSetListpack, "s").str(appendListpack(nil, nil))
	f.key(ObjListQuicklist2, "q").len(1).len(2).str(appendListpack(nil, nil))
	oneString(f, "k", "v")
	c, sum := decodeAll(t, f.finish(), DecodeOptions{})
	if len(c.entries) != 1 || sum.EmptyKeys != 3 {
		t.Errorf("entries %d, empty %d", len(c.entries), sum.EmptyKeys)
	}
	many := bl("a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "c")
	for name, file := range map[string][]byte{
		"set":         newRawFile("REDIS0009").key(ObjSet, "s").len(2).strs("a").strs("a").finish(),
		"big set":     newRawFile("REDIS0009").key(ObjSet, "s").len(11).strs("a").strs("b").strs("c").strs("d").strs("e").strs("f").strs("g").strs("h").strs("i").strs("j").strs("c").finish(),
		"set lp":      newRawFile("REDIS0011").key(ObjSetListpack, "s").str(appendListpack(nil, many)).finish(),
		"hash":        newRawFile("REDIS0009").key(ObjHash, "h").len(2).strs("f").strs("1").strs("f").strs("2").finish(),
		"hash zl":     newRawFile("REDIS0009").key(ObjHashZiplist, "h").str(appendZiplist(nil, bl("f", "1", "f", "2"))).finish(),
		"zset":        newRawFile("REDIS0009").key(ObjZSet2, "z").len(2).strs("m").u64(0).strs("m").u64(0).finish(),
		"zipmap":      newRawFile("REDIS0009").key(ObjHashZipmap, "h").str(appendZipmap(nil, [][2][]byte{{[]byte("f"), nil}, {[]byte("f"), nil}}, 0)).finish(),
		"intset":      newRawFile("REDIS0009").key(ObjSetIntset, "s").str(appendIntset(nil, []int64{1, 1}, 2)).finish(),
		"nan":         newRawFile("REDIS0009").key(ObjZSet2, "z").len(1).strs("m").u64(math.Float64bits(math.NaN())).finish(),
		"nan string":  newRawFile("REDIS0007").key(ObjZSet, "z").len(1).strs("m").bytes(253).finish(),
		"odd hash lp": newRawFile("REDIS0010").key(ObjHashListpack, "h").str(appendListpack(nil, bl("f", "1", "g"))).finish(),
		"odd zset lp": newRawFile("REDIS0010").key(ObjZSetListpack, "z").str(appendListpack(nil, bl("m"))).finish(),
		"bad score":   newRawFile("REDIS0010").key(ObjZSetListpack, "z").str(appendListpack(nil, bl("m", "x1"))).finish(),
	} {
		_, err := Decode(bytes.NewReader(file), newCollector(), DecodeOptions{})
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestDecode_UnknownTypeAndOpcode(t *testing.T) {
	for _, b := range []byte{8, 28, 100, 242} {
		file := newRawFile("REDIS0012").bytes(b).strs("k").finish()
		_, err := Decode(bytes.NewReader(file), newCollector(), DecodeOptions{})
		var e *Error
		if !errors.Is(err, ErrCorrupt) || !errors.As(err, &e) || e.Offset != 9 {
			t.Errorf("type %d: %v", b, err)
		}
	}
}

// An error from the Handler stops Decode and comes back wrapped.
func TestDecode_HandlerError(t *testing.T) {
	stop := errors.New("stop here")
	file := oneString(newRawFile("REDIS0009"), "k", "v").finish()
	_, err := Decode(bytes.NewReader(file), failingHandler{stop}, DecodeOptions{})
	if !errors.Is(err, stop) || !strings.Contains(err.Error(), `"k"`) {
		t.Errorf("handler error: %v", err)
	}
}

type failingHandler struct{ err error }

func (h failingHandler) Aux(k, v []byte) error                      { return nil }
func (h failingHandler) ResizeDB(db int, size, exp uint64) error    { return nil }
func (h failingHandler) Entry(e *Entry) error                       { return h.err }
func (h failingHandler) Skipped(db int, key []byte, t string) error { return nil }

// Decode reuses the Entry; a Handler that keeps it must Clone.
func TestDecode_EntryReuse(t *testing.T) {
	es := randomEntries(newRand(5), 50)
	file := encodeFile(t, es, EncoderOptions{})
	var kept []string
	var prev *Entry
	h := &funcHandler{entry: func(e *Entry) error {
		if prev != nil && prev != e {
			t.Errorf("Entry is not reused")
		}
		prev = e
		kept = append(kept, canon(e))
		return nil
	}}
	if _, err := Decode(bytes.NewReader(file), h, DecodeOptions{}); err != nil {
		t.Fatal(err)
	}
	c, _ := decodeAll(t, file, DecodeOptions{})
	if got := canonAll(c.entries); strings.Join(got, "\n") != strings.Join(sortedCopy(kept), "\n") {
		t.Errorf("cloned entries differ from those seen during the callback")
	}
}

type funcHandler struct{ entry func(*Entry) error }

func (h *funcHandler) Aux(k, v []byte) error                      { return nil }
func (h *funcHandler) ResizeDB(db int, size, exp uint64) error    { return nil }
func (h *funcHandler) Entry(e *Entry) error                       { return h.entry(e) }
func (h *funcHandler) Skipped(db int, key []byte, t string) error { return nil }

func TestDecode_Logger(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	f := newRawFile("REDIS0009").bytes(opModuleAux).len(moduleID("graphdata", 1)).len(modOpUInt).len(2).len(modOpEOF)
	decodeAll(t, f.finish(), DecodeOptions{Logger: log})
	if !strings.Contains(buf.String(), "graphdata") || !strings.Contains(buf.String(), "component=rdb") {
		t.Errorf("log: %s", buf.String())
	}
}

// Decode reads from any io.Reader, also one of unknown size returning a
// byte at a time.
func TestDecode_SlowReader(t *testing.T) {
	file := readFixture(t, "redis70_compact.rdb")
	c := newCollector()
	if _, err := Decode(io.LimitReader(oneByteReader{bytes.NewReader(file)}, int64(len(file))), c, DecodeOptions{SkipUnsupported: true}); err != nil {
		t.Fatal(err)
	}
	sameEntries(t, c.entries, fixtureEntries())
}

type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.r.Read(p)
}
