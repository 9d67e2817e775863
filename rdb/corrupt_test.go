package rdb

// Bad input: truncated files, flipped bytes, lengths that lie. The decoder
// must return an *Error with the offset, never panic, and never allocate
// much more than the input.

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
)

// corpusFiles are small valid files that together cover every encoding
// and opcode the decoder reads.
func corpusFiles(t testing.TB) map[string][]byte {
	t.Helper()
	crafted, _ := craftedFile(t, false)
	var small []*Entry
	for _, e := range randomEntries(newRand(11), 40) {
		if e.Len() <= 6 && len(canon(e)) < 300 {
			small = append(small, e)
		}
	}
	files := map[string][]byte{
		"redis":   readFixture(t, "redis70_small.rdb"),
		"lfu":     readFixture(t, "redis70_lfu.rdb"),
		"crafted": crafted,
		"encoder": encodeFile(t, small, EncoderOptions{ListQuicklist: true}),
	}
	f := newRawFile("REDIS0013")
	f.bytes(opModuleAux).len(moduleID("graphdata", 1)).len(modOpUInt).len(2)
	moduleItems(f)
	f.bytes(opKeyMeta).len(1).bytes(1, 2, 3, 4)
	moduleItems(f)
	f.key(ObjModule2, "mod").len(moduleID("ReJSON-RL", 3))
	moduleItems(f)
	for _, typ := range []ObjectType{ObjStreamListpacks, ObjStreamListpacks2, ObjStreamListpacks3} {
		f.key(typ, "s"+typ.String())
		streamValue(f, typ)
	}
	f.key(ObjHashMetadata, "h").u64(1800000000000).len(1).len(1).strs("a").strs("1")
	f.key(ObjHashListpackEx, "hl").u64(1800000000000).str(appendListpack(nil, bl("a", "1", "1800000000000")))
	f.key(ObjSetListpack, "sl").str(appendListpack(nil, bl("x", "1", "-70000")))
	files["rdb13"] = f.finish()
	return files
}

// checkError asserts err is a well-formed decoder error.
func checkError(t *testing.T, name string, err error, size int) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: error %v (%T) is not an *Error", name, err, err)
	}
	if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrLimit) && !errors.Is(err, ErrVersion) {
		t.Fatalf("%s: error %v has no class", name, err)
	}
	if e.Offset < 0 || e.Offset > int64(size) || !strings.HasPrefix(err.Error(), "rdb: offset ") {
		t.Fatalf("%s: bad offset in %v (input %d bytes)", name, err, size)
	}
}

// Every truncation of every corpus file fails cleanly, whether the decoder
// knows the input's size or not.
func TestDecode_TruncatedEverywhere(t *testing.T) {
	for name, file := range corpusFiles(t) {
		for n := 0; n < len(file); n++ {
			_, err := Decode(bytes.NewReader(file[:n]), nopHandler{}, DecodeOptions{SkipUnsupported: true})
			if err == nil {
				t.Fatalf("%s truncated to %d of %d bytes decoded without error", name, n, len(file))
			}
			checkError(t, name, err, n)
			if n%13 == 0 {
				_, err := Decode(io.MultiReader(bytes.NewReader(file[:n])), nopHandler{}, DecodeOptions{SkipUnsupported: true})
				if !errors.Is(err, ErrCorrupt) || !errors.Is(err, io.ErrUnexpectedEOF) {
					t.Fatalf("%s truncated to %d, unknown size: %v", name, n, err)
				}
			}
		}
	}
}

// Any single flipped byte is detected: by the structure checks or, when
// the damage still parses, by the checksum. With the checksum zeroed
// ("not computed") only the structure checks remain; then decoding must
// still end cleanly.
func TestDecode_FlippedBytes(t *testing.T) {
	for name, file := range corpusFiles(t) {
		noCRC := append([]byte(nil), file...)
		binary.LittleEndian.PutUint64(noCRC[len(noCRC)-8:], 0)
		b := make([]byte, len(file))
		for i := 9; i < len(file); i++ {
			for _, x := range []byte{0x01, 0x80, 0xFF} {
				copy(b, file)
				b[i] ^= x
				_, err := Decode(bytes.NewReader(b), nopHandler{}, DecodeOptions{SkipUnsupported: true})
				if err == nil {
					t.Fatalf("%s: byte %d ^ %#x not detected", name, i, x)
				}
				checkError(t, name, err, len(b))
			}
			if i < len(file)-8 {
				copy(b, noCRC)
				b[i] ^= 0x7F
				if _, err := Decode(bytes.NewReader(b), nopHandler{}, DecodeOptions{SkipUnsupported: true}); err != nil {
					checkError(t, name, err, len(b))
				}
			}
		}
	}
}

// allocDuring returns the bytes allocated while f runs.
func allocDuring(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// Declared lengths far beyond the input are refused before anything that
// size is allocated.
func TestDecode_HugeDeclaredLengths(t *testing.T) {
	len64 := func(n uint64) []byte { return binary.BigEndian.AppendUint64([]byte{0x81}, n) }
	lpHuge := appendListpack(nil, bl("a", "b"))
	binary.LittleEndian.PutUint32(lpHuge, 1e9)
	lpEntry := appendListpack(nil, bl(strings.Repeat("x", 5000)))
	binary.LittleEndian.PutUint32(lpEntry[7:], 1e9) // the 32-bit string length
	zlCount := appendZiplist(nil, bl("a", "b"))
	binary.LittleEndian.PutUint16(zlCount[8:], 60000)
	intsetHuge := appendIntset(nil, []int64{1, 2}, 8)
	binary.LittleEndian.PutUint32(intsetHuge[4:], 1e9)
	cases := map[string]*rawFile{
		"string 2^60":        newRawFile("REDIS0009").key(ObjString, "k").bytes(len64(1 << 60)...).bytes('a'),
		"string 500MB":       newRawFile("REDIS0009").key(ObjString, "k").bytes(len64(500 << 20)...).bytes('a'),
		"key 2^40":           newRawFile("REDIS0009").bytes(byte(ObjString)).bytes(len64(1 << 40)...),
		"set 1e9 members":    newRawFile("REDIS0009").key(ObjSet, "k").len(1e9).strs("a").strs("b"),
		"list 2^62":          newRawFile("REDIS0009").key(ObjList, "k").bytes(len64(1 << 62)...).strs("a"),
		"hash 1e9":           newRawFile("REDIS0009").key(ObjHash, "k").len(1e9).strs("f").strs("v"),
		"zset 1e9":           newRawFile("REDIS0009").key(ObjZSet2, "k").len(1e9).strs("m").u64(0),
		"quicklist 1e9":      newRawFile("REDIS0010").key(ObjListQuicklist2, "k").len(1e9).len(2).str(appendListpack(nil, bl("a"))),
		"listpack 1e9 bytes": newRawFile("REDIS0010").key(ObjSetListpack, "k").str(lpHuge),
		"listpack entry 1e9": newRawFile("REDIS0010").key(ObjSetListpack, "k").str(lpEntry),
		"ziplist count":      newRawFile("REDIS0009").key(ObjListZiplist, "k").str(zlCount),
		"intset 1e9":         newRawFile("REDIS0009").key(ObjSetIntset, "k").str(intsetHuge),
		"lzf 4GB":            newRawFile("REDIS0009").key(ObjString, "k").bytes(0xC3).len(10).len(4 << 30).bytes(make([]byte, 10)...),
		"lzf 1GB of 20MB":    newRawFile("REDIS0009").key(ObjString, "k").bytes(0xC3).len(20<<20).len(1<<30).bytes(1, 'a', 'b'),
		"stream PEL 2^58":    newRawFile("REDIS0010").key(ObjStreamListpacks2, "k").len(0).len(0).len(0).len(0).len(0).len(0).len(0).len(0).len(0).len(1).strs("g").len(0).len(0).len(0).bytes(len64(1 << 58)...),
		"aux 2^50":           newRawFile("REDIS0009").bytes(opAux).bytes(len64(1 << 50)...),
		"function 2^33":      newRawFile("REDIS0010").bytes(opFunction2).bytes(len64(1 << 33)...),
		"db 2^40":            newRawFile("REDIS0009").bytes(opSelectDB).bytes(len64(1 << 40)...),
	}
	for name, f := range cases {
		file := f.finish()
		for _, known := range []bool{true, false} {
			var r io.Reader = bytes.NewReader(file)
			if !known {
				r = io.MultiReader(r) // hides the size
			}
			var err error
			alloc := allocDuring(func() {
				_, err = Decode(r, nopHandler{}, DecodeOptions{SkipUnsupported: true})
			})
			if err == nil {
				t.Errorf("%s (size known %v): no error", name, known)
				continue
			}
			checkError(t, name, err, len(file))
			if alloc > 8<<20 {
				t.Errorf("%s (size known %v): allocated %d bytes for a %d-byte input (%v)", name, known, alloc, len(file), err)
			}
		}
	}
}

// MaxAlloc bounds one key; a key within it decodes.
func TestDecode_MaxAlloc(t *testing.T) {
	file := encodeFile(t, []*Entry{{Key: []byte("k"), Type: TypeString, String: bytes.Repeat([]byte("q"), 100000)}}, EncoderOptions{NoCompression: true})
	_, err := Decode(bytes.NewReader(file), newCollector(), DecodeOptions{MaxAlloc: 50000})
	if !errors.Is(err, ErrLimit) {
		t.Errorf("MaxAlloc 50000: %v", err)
	}
	decodeAll(t, file, DecodeOptions{MaxAlloc: 200000})

	// Many small elements count too (each costs a slice header).
	list := &Entry{Key: []byte("l"), Type: TypeList}
	for i := 0; i < 10000; i++ {
		list.List = append(list.List, []byte("x"))
	}
	file = encodeFile(t, []*Entry{list}, EncoderOptions{})
	if _, err := Decode(bytes.NewReader(file), newCollector(), DecodeOptions{MaxAlloc: 100000}); !errors.Is(err, ErrLimit) {
		t.Errorf("list of 10000: %v", err)
	}
}

// Errors name what is wrong and where.
func TestDecode_ErrorMessages(t *testing.T) {
	lp := appendListpack(nil, bl("a", "b"))
	lp[len(lp)-2] = 7 // the last entry's back length
	file := newRawFile("REDIS0010").key(ObjSetListpack, "myset").str(lp).finish()
	_, err := Decode(bytes.NewReader(file), newCollector(), DecodeOptions{})
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("%v", err)
	}
	blobStart := int64(9 + 1 + 6 + 1)
	if e.Offset < blobStart || e.Offset >= blobStart+int64(len(lp)) ||
		!strings.Contains(err.Error(), `db 0 key "myset" (set_listpack): bad listpack: entry 1 back length`) {
		t.Errorf("message %q (offset %d, blob at %d)", err, e.Offset, blobStart)
	}
}
