package rdb

import (
	"encoding/binary"
	"math"
)

// Writers of the compact encodings the Encoder never produces (listpack,
// intset, zipmap), so tests can build files in every encoding Redis writes
// and check them against a real redis-server.

// appendListpack appends a listpack holding elems to dst. Elements that are
// canonical decimal integers are stored as integers, as Redis does.
func appendListpack(dst []byte, elems [][]byte) []byte {
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0, 0, 0)
	for _, s := range elems {
		entryStart := len(dst)
		if v, ok := canonicalInt(s); ok {
			dst = lpAppendInt(dst, v)
		} else {
			switch n := len(s); {
			case n < 64:
				dst = append(dst, 0x80|byte(n))
			case n < 4096:
				dst = append(dst, 0xE0|byte(n>>8), byte(n))
			default:
				dst = append(dst, 0xF0)
				dst = binary.LittleEndian.AppendUint32(dst, uint32(n))
			}
			dst = append(dst, s...)
		}
		dst = lpAppendBacklen(dst, uint64(len(dst)-entryStart))
	}
	dst = append(dst, lpEnd)
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start))
	n := len(elems)
	if n >= lpUnknownLen {
		n = lpUnknownLen
	}
	binary.LittleEndian.PutUint16(dst[start+4:], uint16(n))
	return dst
}

func lpAppendInt(dst []byte, v int64) []byte {
	switch {
	case v >= 0 && v <= 127:
		return append(dst, byte(v))
	case v >= -4096 && v <= 4095:
		u := uint64(v) & 0x1FFF
		return append(dst, 0xC0|byte(u>>8), byte(u))
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return binary.LittleEndian.AppendUint16(append(dst, 0xF1), uint16(v))
	case v >= -1<<23 && v < 1<<23:
		return append(dst, 0xF2, byte(v), byte(v>>8), byte(v>>16))
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return binary.LittleEndian.AppendUint32(append(dst, 0xF3), uint32(v))
	}
	return binary.LittleEndian.AppendUint64(append(dst, 0xF4), uint64(v))
}

func lpAppendBacklen(dst []byte, l uint64) []byte {
	n := lpBacklenSize(l)
	for i := n - 1; i >= 0; i-- {
		b := byte(l>>(7*uint(i))) & 127
		if i < n-1 { // every byte but the leftmost has the continuation bit
			b |= 128
		}
		dst = append(dst, b)
	}
	return dst
}

// appendIntset appends an intset of vals (sorted by the caller) with
// elements of size bytes (2, 4 or 8).
func appendIntset(dst []byte, vals []int64, size int) []byte {
	dst = binary.LittleEndian.AppendUint32(dst, uint32(size))
	dst = binary.LittleEndian.AppendUint32(dst, uint32(len(vals)))
	for _, v := range vals {
		switch size {
		case 2:
			dst = binary.LittleEndian.AppendUint16(dst, uint16(v))
		case 4:
			dst = binary.LittleEndian.AppendUint32(dst, uint32(v))
		default:
			dst = binary.LittleEndian.AppendUint64(dst, uint64(v))
		}
	}
	return dst
}

// appendZipmap appends a zipmap of pairs, each value followed by free
// trailing bytes (as a zipmap has after values shrink).
func appendZipmap(dst []byte, pairs [][2][]byte, free int) []byte {
	n := len(pairs)
	if n >= zmBigLen {
		n = zmBigLen
	}
	dst = append(dst, byte(n))
	zmLen := func(l int) {
		if l < zmBigLen {
			dst = append(dst, byte(l))
		} else {
			dst = binary.LittleEndian.AppendUint32(append(dst, zmBigLen), uint32(l))
		}
	}
	for _, p := range pairs {
		zmLen(len(p[0]))
		dst = append(dst, p[0]...)
		zmLen(len(p[1]))
		dst = append(dst, byte(free))
		dst = append(dst, p[1]...)
		dst = append(dst, make([]byte, free)...)
	}
	return append(dst, zmEnd)
}

// rawFile builds RDB files byte by byte, for encodings and opcodes the
// Encoder does not write.
type rawFile struct{ b []byte }

func newRawFile(header string) *rawFile { return &rawFile{b: []byte(header)} }

func (f *rawFile) bytes(b ...byte) *rawFile { f.b = append(f.b, b...); return f }
func (f *rawFile) len(n uint64) *rawFile    { f.b = appendLen(f.b, n); return f }
func (f *rawFile) str(s []byte) *rawFile {
	f.b = append(appendLen(f.b, uint64(len(s))), s...)
	return f
}
func (f *rawFile) strs(s string) *rawFile { return f.str([]byte(s)) }
func (f *rawFile) u64(v uint64) *rawFile  { f.b = binary.LittleEndian.AppendUint64(f.b, v); return f }

// key starts a key of value type t.
func (f *rawFile) key(t ObjectType, key string) *rawFile {
	f.b = append(f.b, byte(t))
	return f.strs(key)
}

// finish appends EOF and the checksum.
func (f *rawFile) finish() []byte {
	f.b = append(f.b, opEOF)
	return binary.LittleEndian.AppendUint64(f.b, CRC64(f.b))
}

// finishNoCRC appends EOF without a checksum (versions before 5).
func (f *rawFile) finishNoCRC() []byte { return append(f.b, opEOF) }
