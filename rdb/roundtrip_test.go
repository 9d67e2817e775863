package rdb

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
)

// randomEntries returns n entries of every type with random content,
// including integers, binary data, long (compressible) strings and empty
// strings.
func randomEntries(rng *rand.Rand, n int) []*Entry {
	elem := func() []byte {
		switch rng.IntN(6) {
		case 0:
			return []byte(strconv.FormatInt(rng.Int64N(1<<40)-1<<39, 10))
		case 1:
			return []byte(strconv.Itoa(rng.IntN(300) - 150))
		case 2:
			return nil
		case 3:
			return bytes.Repeat([]byte{byte('a' + rng.IntN(26))}, rng.IntN(200))
		}
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		return b
	}
	unique := func(k int) [][]byte {
		seen := map[string]bool{}
		var out [][]byte
		for len(out) < k {
			b := elem()
			if !seen[string(b)] {
				seen[string(b)] = true
				out = append(out, b)
			}
		}
		return out
	}
	var es []*Entry
	for i := 0; i < n; i++ {
		e := &Entry{DB: rng.IntN(4), Key: []byte("k" + strconv.Itoa(i)), IdleSec: -1, Freq: -1}
		if rng.IntN(4) == 0 {
			e.ExpireAtMs = farFuture + rng.Int64N(1e9)
		}
		if rng.IntN(5) == 0 {
			e.IdleSec = rng.Int64N(1 << 20)
		}
		if rng.IntN(5) == 0 {
			e.Freq = rng.IntN(255) + 1
		}
		size := 1 + rng.IntN(20)
		if rng.IntN(20) == 0 {
			size = 500 + rng.IntN(2000)
		}
		switch rng.IntN(5) {
		case 0:
			e.Type, e.String = TypeString, elem()
		case 1:
			e.Type = TypeList
			for j := 0; j < size; j++ {
				e.List = append(e.List, elem())
			}
		case 2:
			e.Type, e.Set = TypeSet, unique(size)
		case 3:
			e.Type = TypeHash
			for _, f := range unique(size) {
				e.Hash = append(e.Hash, [2][]byte{f, elem()})
			}
		case 4:
			e.Type = TypeZSet
			for _, m := range unique(size) {
				score := rng.NormFloat64() * 1e3
				if rng.IntN(10) == 0 {
					score = float64(rng.IntN(100))
				}
				e.ZSet = append(e.ZSet, ZMember{m, score})
			}
		}
		es = append(es, e)
	}
	return es
}

// Encoder output decodes to the same entries, for every option and version.
func TestEncoder_RoundTrip(t *testing.T) {
	all := append(encoderEntries(), randomEntries(rand.New(rand.NewPCG(7, 8)), 300)...)
	small := randomEntries(rand.New(rand.NewPCG(9, 10)), 80)
	type variant struct {
		name string
		opts EncoderOptions
		es   []*Entry
	}
	var variants []variant
	for _, v := range encoderVariants {
		variants = append(variants, variant{v.name, v.opts, all})
	}
	for v := minEncodeVersion; v <= maxEncodeVersion; v++ {
		variants = append(variants, variant{"version" + strconv.Itoa(v), EncoderOptions{Version: v}, small})
	}
	for _, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			file := encodeFile(t, v.es, v.opts)
			c, sum := decodeAll(t, file, DecodeOptions{})
			want := v.es
			if v.opts.Version != 0 && v.opts.Version < 9 {
				want = stripMeta(v.es) // IDLE and FREQ exist from RDB 9
			}
			sameEntries(t, c.entries, want)
			if !v.opts.NoChecksum && !sum.ChecksumChecked {
				t.Errorf("checksum not checked")
			}
			if v.opts.NoChecksum && (sum.Checksum != 0 || sum.ChecksumChecked) {
				t.Errorf("NoChecksum wrote %x", sum.Checksum)
			}
			if c.aux["redis-ver"] != "7.0.0" || c.aux["redis-bits"] != "64" {
				t.Errorf("aux %v", c.aux)
			}
			wantVersion := v.opts.Version
			if wantVersion == 0 {
				wantVersion = DefaultVersion
			}
			if sum.Version != wantVersion || string(file[:9]) != fmt.Sprintf("REDIS%04d", wantVersion) {
				t.Errorf("header %q, version %d", file[:9], sum.Version)
			}
			zsetType := ObjZSet2
			if wantVersion < 8 {
				zsetType = ObjZSet
			}
			if sum.Encodings[zsetType] == 0 {
				t.Errorf("no %s in version %d: %v", zsetType, wantVersion, sum.Encodings)
			}
		})
	}
}

// Strings are stored the way Redis stores them: canonical integers that fit
// 32 bits as integers, long compressible strings as LZF, the rest raw.
func TestEncoder_StringEncodings(t *testing.T) {
	for _, tc := range []struct {
		s        string
		compress bool
		want     []byte // the bytes after the key
	}{
		{"0", true, []byte{0xC0, 0}},
		{"-1", true, []byte{0xC0, 0xFF}},
		{"300", true, []byte{0xC1, 0x2C, 0x01}},
		{"-2147483648", true, []byte{0xC2, 0, 0, 0, 0x80}},
		{"2147483648", true, append([]byte{10}, "2147483648"...)},
		{"01", true, []byte{2, '0', '1'}},
		{"-0", true, []byte{2, '-', '0'}},
		{strings.Repeat("a", 20), true, append([]byte{20}, strings.Repeat("a", 20)...)},
		{strings.Repeat("a", 21), false, append([]byte{21}, strings.Repeat("a", 21)...)},
	} {
		var buf bytes.Buffer
		enc := NewEncoder(&buf, EncoderOptions{NoCompression: !tc.compress})
		must(t, enc.Header())
		must(t, enc.Entry(&Entry{Key: []byte("k"), Type: TypeString, String: []byte(tc.s)}))
		must(t, enc.Finish())
		b := buf.Bytes()
		// header(9) SELECTDB 0 (2) type(1) key(2) value… EOF(1) crc(8)
		got := b[9+2+1+2 : len(b)-9]
		if !bytes.Equal(got, tc.want) {
			t.Errorf("%q encoded as % x, want % x", tc.s, got, tc.want)
		}
	}
	// A long repetitive string is LZF-compressed and reads back.
	long := strings.Repeat("cobble", 100)
	var buf bytes.Buffer
	enc := NewEncoder(&buf, EncoderOptions{})
	must(t, enc.Header())
	must(t, enc.Entry(&Entry{Key: []byte("k"), Type: TypeString, String: []byte(long)}))
	must(t, enc.Finish())
	if v := buf.Bytes()[9+2+1+2]; v != 0xC3 || buf.Len() > 100 {
		t.Errorf("long string not LZF-compressed: first byte %x, file %d bytes", v, buf.Len())
	}
	c, _ := decodeAll(t, buf.Bytes(), DecodeOptions{})
	if string(c.entries[0].String) != long {
		t.Errorf("LZF string read back wrong")
	}
}

func TestEncoder_RefusesInvalidEntries(t *testing.T) {
	for name, e := range map[string]*Entry{
		"empty list":    {Type: TypeList},
		"empty set":     {Type: TypeSet},
		"empty hash":    {Type: TypeHash},
		"empty zset":    {Type: TypeZSet},
		"dup member":    {Type: TypeSet, Set: bl("a", "b", "a")},
		"dup big set":   {Type: TypeSet, Set: append(bl("1", "2", "3", "4", "5", "6", "7", "8", "9", "10"), []byte("5"))},
		"dup field":     {Type: TypeHash, Hash: [][2][]byte{{[]byte("f"), nil}, {[]byte("f"), []byte("x")}}},
		"dup zmember":   {Type: TypeZSet, ZSet: []ZMember{{[]byte("m"), 1}, {[]byte("m"), 2}}},
		"nan score":     {Type: TypeZSet, ZSet: []ZMember{{[]byte("m"), math.NaN()}}},
		"unknown type":  {Type: 0},
		"negative db":   {Type: TypeString, DB: -1},
		"field ttl v9":  {Type: TypeHash, Hash: [][2][]byte{{[]byte("f"), nil}}, HashExpireAtMs: []int64{farFuture}},
		"ttl count":     {Type: TypeHash, Hash: [][2][]byte{{[]byte("f"), nil}}, HashExpireAtMs: []int64{0, 0}},
		"negative ttl":  {Type: TypeHash, Hash: [][2][]byte{{[]byte("f"), nil}}, HashExpireAtMs: []int64{-5}},
		"ttl too large": {Type: TypeHash, Hash: [][2][]byte{{[]byte("f"), nil}}, HashExpireAtMs: []int64{1 << 50}},
	} {
		var buf bytes.Buffer
		enc := NewEncoder(&buf, EncoderOptions{})
		must(t, enc.Header())
		before := buf.Len()
		if err := enc.Entry(e); !errors.Is(err, ErrInvalidEntry) {
			t.Errorf("%s: Entry returned %v, want ErrInvalidEntry", name, err)
		}
		// A refused entry writes nothing and the encoder stays usable.
		must(t, enc.Entry(&Entry{Key: []byte("ok"), Type: TypeString, String: []byte("v")}))
		must(t, enc.Finish())
		c, _ := decodeAll(t, buf.Bytes(), DecodeOptions{})
		if len(c.entries) != 1 || buf.Len() <= before {
			t.Errorf("%s: file holds %d entries", name, len(c.entries))
		}
		if _, err := DumpPayload(e); !errors.Is(err, ErrInvalidEntry) {
			t.Errorf("%s: DumpPayload returned %v, want ErrInvalidEntry", name, err)
		}
	}
}

func TestEncoder_Misuse(t *testing.T) {
	var buf bytes.Buffer
	enc := NewEncoder(&buf, EncoderOptions{Version: 4})
	if err := enc.Header(); !errors.Is(err, ErrVersion) {
		t.Errorf("version 4: %v", err)
	}
	enc = NewEncoder(&buf, EncoderOptions{Version: 13})
	if err := enc.Header(); !errors.Is(err, ErrVersion) {
		t.Errorf("version 13: %v", err)
	}
	enc = NewEncoder(&buf, EncoderOptions{})
	if err := enc.Entry(&Entry{Type: TypeString}); err == nil {
		t.Errorf("Entry before Header succeeded")
	}
	must(t, enc.Header())
	must(t, enc.Finish())
	if err := enc.Finish(); err == nil {
		t.Errorf("second Finish succeeded")
	}
	enc = NewEncoder(failingWriter{}, EncoderOptions{})
	must(t, enc.Header())
	if err := enc.Finish(); err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("write error not reported: %v", err)
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// Hash field expiry times are written as hash_metadata (RDB 12) and read
// back.
func TestEncoder_HashFieldExpiry(t *testing.T) {
	e := &Entry{Key: []byte("h"), Type: TypeHash, IdleSec: -1, Freq: -1,
		Hash:           [][2][]byte{{[]byte("a"), []byte("1")}, {[]byte("b"), []byte("2")}, {[]byte("c"), []byte("3")}},
		HashExpireAtMs: []int64{farFuture + 500, 0, farFuture}}
	file := encodeFile(t, []*Entry{e}, EncoderOptions{Version: 12})
	c, sum := decodeAll(t, file, DecodeOptions{})
	sameEntries(t, c.entries, []*Entry{e})
	if sum.Encodings[ObjHashMetadata] != 1 {
		t.Errorf("encodings %v", sum.Encodings)
	}
}

func TestDumpPayload_RoundTrip(t *testing.T) {
	for _, e := range append(encoderEntries(), randomEntries(rand.New(rand.NewPCG(3, 4)), 200)...) {
		p, err := DumpPayload(e)
		must(t, err)
		if v := binaryVersion(p); v != DumpVersion {
			t.Fatalf("payload version %d", v)
		}
		got, err := ParseDumpPayload(p)
		if err != nil {
			t.Fatalf("%q: %v", e.Key, err)
		}
		want := e.Clone()
		want.DB, want.Key, want.ExpireAtMs, want.IdleSec, want.Freq = 0, nil, 0, -1, -1
		if canon(got) != canon(want) {
			t.Fatalf("payload of %q:\n got %.200s\nwant %.200s", e.Key, canon(got), canon(want))
		}
		// The parsed entry owns its memory.
		for i := range p {
			p[i] = 0
		}
		if canon(got) != canon(want) {
			t.Fatalf("parsed entry aliases the payload")
		}
	}
}

func TestParseDumpPayload_Errors(t *testing.T) {
	good, err := DumpPayload(&Entry{Type: TypeList, List: bl("a", "b")})
	must(t, err)
	withVersion := func(v uint16) []byte {
		p := append([]byte(nil), good[:len(good)-10]...)
		p = append(p, byte(v), byte(v>>8))
		return append(p, le64(CRC64(p))...)
	}
	for name, tc := range map[string]struct {
		p    []byte
		want error
	}{
		"short":        {good[:5], ErrCorrupt},
		"bad crc":      {append(append([]byte(nil), good[:len(good)-1]...), good[len(good)-1]^1), ErrChecksum},
		"version 0":    {withVersion(0), ErrVersion},
		"version 14":   {withVersion(14), ErrVersion},
		"version 79":   {withVersion(79), ErrVersion},
		"version 82":   {withVersion(82), ErrVersion},
		"version 12":   {withVersion(12), nil},
		"version 80":   {withVersion(80), nil},
		"garbage":      {payload(append(append([]byte(nil), good[:len(good)-10]...), 'x')), ErrCorrupt},
		"empty list":   {payload([]byte{byte(ObjList), 0}), ErrCorrupt},
		"bad type":     {payload([]byte{99, 0}), ErrCorrupt},
		"module":       {payload(append([]byte{byte(ObjModule2)}, appendLen(nil, 1<<10)...)), ErrUnsupported},
		"truncated":    {payload([]byte{byte(ObjList), 2, 1, 'a'}), ErrCorrupt},
		"old module":   {payload([]byte{byte(ObjModulePreGA), 1}), ErrUnsupported},
		"stream rdb13": {payload([]byte{byte(ObjStreamListpacks4), 0}), ErrUnsupported},
	} {
		_, err := ParseDumpPayload(tc.p)
		if tc.want == nil {
			if err != nil {
				t.Errorf("%s: %v", name, err)
			}
			continue
		}
		var e *Error
		if !errors.Is(err, tc.want) || !errors.As(err, &e) {
			t.Errorf("%s: got %v, want %v", name, err, tc.want)
		}
	}
}

// payload wraps a value as a DUMP payload of version 9.
func payload(body []byte) []byte {
	p := append(append([]byte(nil), body...), 9, 0)
	return append(p, le64(CRC64(p))...)
}

func le64(v uint64) []byte {
	b := make([]byte, 8)
	putU64LE(b, v)
	return b
}

func TestCRC64_CheckValue(t *testing.T) {
	if got := CRC64([]byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Errorf("CRC64(123456789) = %x", got)
	}
	// Incremental use gives the same value as one call.
	if got := crc64Update(crc64Update(0, []byte("1234")), []byte("56789")); got != 0xe9c6d914c4b8d9ca {
		t.Errorf("incremental CRC64 = %x", got)
	}
}
