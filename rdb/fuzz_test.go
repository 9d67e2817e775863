package rdb

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"
)

// checkFuzzError fails on an error that is not a classified *Error.
func checkFuzzError(t *testing.T, err error, size int) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *Error", err, err)
	}
	if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrUnsupported) && !errors.Is(err, ErrLimit) && !errors.Is(err, ErrVersion) {
		t.Fatalf("error %v has no class", err)
	}
	if e.Offset < 0 || e.Offset > int64(size) {
		t.Fatalf("error offset %d outside the %d-byte input: %v", e.Offset, size, err)
	}
}

// FuzzDecode: no input panics or escapes the error classes, and whatever
// decodes re-encodes and decodes to the same entries.
func FuzzDecode(f *testing.F) {
	for _, file := range corpusFiles(f) {
		f.Add(file)
		f.Add(file[:len(file)/2])
		for _, i := range []int{9, len(file) / 3, len(file) - 12} {
			b := append([]byte(nil), file...)
			b[i] ^= 0x41
			f.Add(b)
		}
	}
	f.Add([]byte("REDIS0009\xff"))
	f.Add([]byte("VALKEY080\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		c := newCollector()
		_, err := Decode(bytes.NewReader(b), c, DecodeOptions{SkipUnsupported: true, IgnoreChecksum: true, MaxAlloc: 16 << 20})
		if err != nil {
			checkFuzzError(t, err, len(b))
			return
		}
		var buf bytes.Buffer
		enc := NewEncoder(&buf, EncoderOptions{Version: 12, ListQuicklist: len(b)%2 == 0})
		if err := enc.Header(); err != nil {
			t.Fatal(err)
		}
		for _, e := range c.entries {
			if err := enc.Entry(e); err != nil {
				t.Fatalf("re-encoding decoded entry %s: %v", canon(e), err)
			}
		}
		if err := enc.Finish(); err != nil {
			t.Fatal(err)
		}
		c2 := newCollector()
		if _, err := Decode(bytes.NewReader(buf.Bytes()), c2, DecodeOptions{}); err != nil {
			t.Fatalf("decoding re-encoded file: %v", err)
		}
		g, w := canonAll(c2.entries), canonAll(c.entries)
		if len(g) != len(w) {
			t.Fatalf("round trip: %d entries, want %d", len(g), len(w))
		}
		for i := range g {
			if g[i] != w[i] {
				t.Fatalf("round trip:\n got %.300s\nwant %.300s", g[i], w[i])
			}
		}
	})
}

// FuzzParseDumpPayload: no payload panics; a parsed value dumps and parses
// back the same. fixCRC rewrites the checksum so the fuzzer gets past it.
func FuzzParseDumpPayload(f *testing.F) {
	for _, e := range append(smallFixtureEntries(), randomEntries(newRand(21), 30)...) {
		if e.Len() > 20 {
			continue
		}
		p, err := DumpPayload(e)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(p, false)
	}
	blob := func(t ObjectType, b []byte) []byte {
		return append(appendLen([]byte{byte(t)}, uint64(len(b))), b...)
	}
	for _, body := range [][]byte{
		blob(ObjHashZiplist, appendZiplist(nil, bl("f", "1", "g", "-70000"))),
		blob(ObjSetIntset, appendIntset(nil, []int64{-1, 5}, 4)),
		blob(ObjZSetListpack, appendListpack(nil, bl("a", "1.5", "b", "2"))),
		blob(ObjHashZipmap, appendZipmap(nil, [][2][]byte{{[]byte("f"), []byte("v")}}, 1)),
		blob(ObjSetListpack, appendListpack(nil, bl("x", "-5"))),
	} {
		if _, err := ParseDumpPayload(payload(body)); err != nil {
			f.Fatalf("seed: %v", err)
		}
		f.Add(payload(body), true)
	}
	f.Fuzz(func(t *testing.T, b []byte, fixCRC bool) {
		if fixCRC && len(b) >= 10 {
			b = append([]byte(nil), b...)
			binary.LittleEndian.PutUint64(b[len(b)-8:], CRC64(b[:len(b)-8]))
		}
		e, err := ParseDumpPayload(b)
		if err != nil {
			checkFuzzError(t, err, len(b))
			return
		}
		if e.HashExpireAtMs != nil {
			return // field expiry times have no version-9 payload form
		}
		p, err := DumpPayload(e)
		if err != nil {
			t.Fatalf("DumpPayload of a parsed value %s: %v", canon(e), err)
		}
		e2, err := ParseDumpPayload(p)
		if err != nil {
			t.Fatalf("parsing our own payload: %v", err)
		}
		if canon(e2) != canon(e) {
			t.Fatalf("round trip:\n got %.300s\nwant %.300s", canon(e2), canon(e))
		}
	})
}
