package rdb

import (
	"encoding/binary"
	"math"
	"strconv"
)

// Listpack (Redis 7+ small hashes, zsets, sets, list nodes; stream nodes):
//
//	<total bytes:u32 LE> <count:u16 LE, 65535 = unknown> <entry>... 0xFF
//
// An entry is <encoding+data> <backlen>, where backlen is the size of
// encoding+data in 1–5 bytes, 7 bits per byte, read right to left (the
// rightmost byte holds the low bits; a set high bit means more bytes to the
// left). Encodings by the first byte:
//
//	0xxxxxxx           7-bit unsigned integer
//	10xxxxxx           string, 6-bit length
//	110xxxxx yyyyyyyy  13-bit signed integer
//	1110xxxx yyyyyyyy  string, 12-bit length
//	11110000 <u32 LE>  string, 32-bit length
//	11110001/2/3/4     16/24/32/64-bit signed integer, little endian
//	11111111           end of listpack

const (
	lpHeaderSize = 6
	lpEnd        = 0xFF
	lpUnknownLen = 65535
)

// packedElem is an element of a ziplist, listpack or intset: a string or an
// integer.
type packedElem struct {
	s     []byte
	v     int64
	isInt bool
}

// bytes returns the element as a string, formatting integers into the
// decoder's arena.
func (d *decoder) elemBytes(e packedElem) []byte {
	if e.isInt {
		return d.intBytes(e.v)
	}
	return e.s
}

// float returns the element as a zset score.
func (e packedElem) float() (float64, bool) {
	if e.isInt {
		return float64(e.v), true
	}
	f, err := strconv.ParseFloat(string(e.s), 64)
	return f, err == nil && !math.IsNaN(f)
}

// int returns the element as an integer.
func (e packedElem) int() (int64, bool) {
	if e.isInt {
		return e.v, true
	}
	v, err := strconv.ParseInt(string(e.s), 10, 64)
	return v, err == nil
}

// listpackIter walks and validates a listpack.
type listpackIter struct {
	b        []byte
	pos      int
	count    int
	declared int // entry count from the header, -1 when unknown
	at       blobAt
}

func newListpackIter(b []byte, at blobAt) (listpackIter, error) {
	it := listpackIter{b: b, pos: lpHeaderSize, at: at}
	if len(b) < lpHeaderSize+1 {
		return it, it.errAt(0, "listpack of %d bytes is shorter than its header", len(b))
	}
	if total := binary.LittleEndian.Uint32(b); uint64(total) != uint64(len(b)) {
		return it, it.errAt(0, "listpack header says %d bytes, blob has %d", total, len(b))
	}
	if b[len(b)-1] != lpEnd {
		return it, it.errAt(len(b)-1, "listpack does not end with 0xFF")
	}
	it.declared = int(binary.LittleEndian.Uint16(b[4:]))
	if it.declared == lpUnknownLen {
		it.declared = -1
	}
	return it, nil
}

func (it *listpackIter) errAt(pos int, format string, args ...any) *Error {
	return it.at.errorf(pos, "bad listpack: "+format, args...)
}

// next returns the next element; ok is false at the end.
func (it *listpackIter) next() (e packedElem, ok bool, err error) {
	b, p := it.b, it.pos
	last := len(b) - 1 // index of the end byte
	c := b[p]
	if c == lpEnd {
		if p != last {
			return e, false, it.errAt(p, "end marker at byte %d of %d", p, len(b))
		}
		if it.declared >= 0 && it.count != it.declared {
			return e, false, it.errAt(p, "header says %d entries, found %d", it.declared, it.count)
		}
		return e, false, nil
	}
	need := func(n int) bool { return p+n <= last }
	var hdr int
	var dataLen uint64
	switch {
	case c&0x80 == 0:
		hdr, e = 1, packedElem{v: int64(c & 0x7F), isInt: true}
	case c&0xC0 == 0x80:
		hdr, dataLen = 1, uint64(c&0x3F)
	case c&0xE0 == 0xC0:
		hdr = 2
		if !need(2) {
			break
		}
		v := int64(c&0x1F)<<8 | int64(b[p+1])
		if v >= 1<<12 {
			v -= 1 << 13
		}
		e = packedElem{v: v, isInt: true}
	case c&0xF0 == 0xE0:
		hdr = 2
		if need(2) {
			dataLen = uint64(c&0x0F)<<8 | uint64(b[p+1])
		}
	case c == 0xF0:
		hdr = 5
		if need(5) {
			dataLen = uint64(binary.LittleEndian.Uint32(b[p+1:]))
		}
	case c >= 0xF1 && c <= 0xF4:
		size := [...]int{2, 3, 4, 8}[c-0xF1]
		hdr = 1 + size
		if need(hdr) {
			e = packedElem{v: leInt(b[p+1 : p+1+size]), isInt: true}
		}
	default:
		return e, false, it.errAt(p, "entry %d has unknown encoding 0x%02x", it.count, c)
	}
	if !need(hdr) {
		return e, false, it.errAt(p, "entry %d header runs past the end", it.count)
	}
	entryLen := uint64(hdr) + dataLen
	backLen := lpBacklenSize(entryLen)
	if entryLen+uint64(backLen) > uint64(last-p) {
		return e, false, it.errAt(p, "entry %d of %d bytes runs past the end", it.count, entryLen)
	}
	end := p + int(entryLen) + backLen
	if got, ok := lpDecodeBacklen(b[:end], p); !ok || got != entryLen {
		return e, false, it.errAt(p, "entry %d back length does not match its size %d", it.count, entryLen)
	}
	if !e.isInt {
		e.s = b[p+hdr : p+int(entryLen) : p+int(entryLen)]
	}
	it.pos = end
	it.count++
	return e, true, nil
}

// leInt reads a little-endian two's complement integer of 2, 3, 4 or 8 bytes.
func leInt(b []byte) int64 {
	var u uint64
	for i := len(b) - 1; i >= 0; i-- {
		u = u<<8 | uint64(b[i])
	}
	shift := 64 - 8*uint(len(b))
	return int64(u<<shift) >> shift
}

// lpBacklenSize is how many bytes the back length of an entry of size l
// takes (Redis's lpEncodeBacklen).
func lpBacklenSize(l uint64) int {
	switch {
	case l <= 127:
		return 1
	case l < 16383:
		return 2
	case l < 2097151:
		return 3
	case l < 268435455:
		return 4
	}
	return 5
}

// lpDecodeBacklen decodes the back length that ends at b[len(b)-1],
// reading no further left than index low.
func lpDecodeBacklen(b []byte, low int) (uint64, bool) {
	var v uint64
	shift := uint(0)
	for i := len(b) - 1; i >= low; i-- {
		v |= uint64(b[i]&127) << shift
		if b[i]&128 == 0 {
			return v, true
		}
		shift += 7
		if shift > 28 {
			return 0, false
		}
	}
	return 0, false
}
