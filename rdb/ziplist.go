package rdb

import (
	"encoding/binary"
	"math"
)

// Ziplist (Redis 2.6–6.2 small lists, hashes, zsets and quicklist nodes):
//
//	<zlbytes:u32 LE> <zltail:u32 LE, offset of the last entry> <zllen:u16 LE, 65535 = unknown> <entry>... 0xFF
//
// An entry is <prevlen> <encoding> <data>. prevlen is the previous entry's
// size: one byte below 254, else 0xFE and a u32 LE. Encodings:
//
//	00xxxxxx                 string, 6-bit length
//	01xxxxxx yyyyyyyy        string, 14-bit length, big endian
//	10000000 <u32 BE>        string, 32-bit length
//	11000000 / 11010000 / 11100000   int16 / int32 / int64, little endian
//	11110000                 int24, little endian
//	11111110                 int8
//	1111xxxx (0001–1101)     immediate 0–12 (xxxx - 1)
//	11111111                 end of ziplist

const (
	zlHeaderSize = 10
	zlEnd        = 0xFF
	zlUnknownLen = 65535
	zlBigPrevLen = 254
)

// ziplistIter walks and validates a ziplist.
type ziplistIter struct {
	b         []byte
	pos       int
	count     int
	declared  int // -1 when unknown
	tail      int // zltail from the header
	prevLen   int // size of the previous entry
	lastStart int
	at        blobAt
}

func newZiplistIter(b []byte, at blobAt) (ziplistIter, error) {
	it := ziplistIter{b: b, pos: zlHeaderSize, at: at}
	if len(b) < zlHeaderSize+1 {
		return it, it.errAt(0, "ziplist of %d bytes is shorter than its header", len(b))
	}
	if total := binary.LittleEndian.Uint32(b); uint64(total) != uint64(len(b)) {
		return it, it.errAt(0, "ziplist header says %d bytes, blob has %d", total, len(b))
	}
	if b[len(b)-1] != zlEnd {
		return it, it.errAt(len(b)-1, "ziplist does not end with 0xFF")
	}
	it.tail = int(binary.LittleEndian.Uint32(b[4:]))
	it.declared = int(binary.LittleEndian.Uint16(b[8:]))
	if it.declared == zlUnknownLen {
		it.declared = -1
	}
	return it, nil
}

func (it *ziplistIter) errAt(pos int, format string, args ...any) *Error {
	return it.at.errorf(pos, "bad ziplist: "+format, args...)
}

// next returns the next element; ok is false at the end.
func (it *ziplistIter) next() (e packedElem, ok bool, err error) {
	b, p := it.b, it.pos
	last := len(b) - 1
	if b[p] == zlEnd {
		if p != last {
			return e, false, it.errAt(p, "end marker at byte %d of %d", p, len(b))
		}
		if it.declared >= 0 && it.count != it.declared {
			return e, false, it.errAt(p, "header says %d entries, found %d", it.declared, it.count)
		}
		want := zlHeaderSize
		if it.count > 0 {
			want = it.lastStart
		}
		if it.tail != want {
			return e, false, it.errAt(4, "tail offset %d, last entry is at %d", it.tail, want)
		}
		return e, false, nil
	}
	prevLen, q := int(b[p]), p+1
	if prevLen == zlBigPrevLen {
		if p+5 > last {
			return e, false, it.errAt(p, "entry %d prevlen runs past the end", it.count)
		}
		prevLen, q = int(binary.LittleEndian.Uint32(b[p+1:])), p+5
	}
	if prevLen != it.prevLen {
		return e, false, it.errAt(p, "entry %d prevlen %d, previous entry has %d bytes", it.count, prevLen, it.prevLen)
	}
	if q >= last {
		return e, false, it.errAt(p, "entry %d runs past the end", it.count)
	}
	c := b[q]
	hdr, dataLen := 1, uint64(0)
	switch c >> 6 {
	case 0:
		dataLen = uint64(c & 0x3F)
	case 1:
		hdr = 2
		if q+2 <= last {
			dataLen = uint64(c&0x3F)<<8 | uint64(b[q+1])
		}
	case 2:
		if c != 0x80 {
			return e, false, it.errAt(q, "entry %d has unknown encoding 0x%02x", it.count, c)
		}
		hdr = 5
		if q+5 <= last {
			dataLen = uint64(binary.BigEndian.Uint32(b[q+1:]))
		}
	default:
		var size int
		switch {
		case c == 0xC0:
			size = 2
		case c == 0xD0:
			size = 4
		case c == 0xE0:
			size = 8
		case c == 0xF0:
			size = 3
		case c == 0xFE:
			size = 1
		case c >= 0xF1 && c <= 0xFD:
			e = packedElem{v: int64(c&0x0F) - 1, isInt: true}
		default:
			return e, false, it.errAt(q, "entry %d has unknown encoding 0x%02x", it.count, c)
		}
		if size > 0 {
			if q+1+size > last {
				return e, false, it.errAt(q, "entry %d runs past the end", it.count)
			}
			e = packedElem{v: leInt1(b[q+1 : q+1+size]), isInt: true}
		}
		dataLen = uint64(size)
	}
	if q+hdr > last {
		return e, false, it.errAt(q, "entry %d header runs past the end", it.count)
	}
	if uint64(q+hdr)+dataLen > uint64(last) {
		return e, false, it.errAt(q, "entry %d of %d bytes runs past the end", it.count, dataLen)
	}
	end := q + hdr + int(dataLen)
	if !e.isInt {
		e.s = b[q+hdr : end : end]
	}
	it.lastStart, it.prevLen, it.pos = p, end-p, end
	it.count++
	return e, true, nil
}

// leInt1 is leInt that also takes one byte (ziplist's int8).
func leInt1(b []byte) int64 {
	if len(b) == 1 {
		return int64(int8(b[0]))
	}
	return leInt(b)
}

// appendZiplist appends a ziplist holding elems to dst. Elements that are
// canonical decimal integers are stored as integers, as Redis does.
func appendZiplist(dst []byte, elems [][]byte) []byte {
	start := len(dst)
	dst = append(dst, make([]byte, zlHeaderSize)...)
	prev, lastStart := 0, zlHeaderSize
	for _, s := range elems {
		entryStart := len(dst)
		lastStart = entryStart - start
		if prev < zlBigPrevLen {
			dst = append(dst, byte(prev))
		} else {
			dst = binary.LittleEndian.AppendUint32(append(dst, zlBigPrevLen), uint32(prev))
		}
		if v, ok := canonicalInt(s); ok {
			dst = zlAppendInt(dst, v)
		} else {
			switch n := len(s); {
			case n < 64:
				dst = append(dst, byte(n))
			case n < 16384:
				dst = append(dst, 0x40|byte(n>>8), byte(n))
			default:
				dst = binary.BigEndian.AppendUint32(append(dst, 0x80), uint32(n))
			}
			dst = append(dst, s...)
		}
		prev = len(dst) - entryStart
	}
	dst = append(dst, zlEnd)
	binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start))
	binary.LittleEndian.PutUint32(dst[start+4:], uint32(lastStart))
	n := min(len(elems), zlUnknownLen)
	binary.LittleEndian.PutUint16(dst[start+8:], uint16(n))
	return dst
}

func zlAppendInt(dst []byte, v int64) []byte {
	switch {
	case v >= 0 && v <= 12:
		return append(dst, 0xF1+byte(v))
	case v >= math.MinInt8 && v <= math.MaxInt8:
		return append(dst, 0xFE, byte(v))
	case v >= math.MinInt16 && v <= math.MaxInt16:
		return binary.LittleEndian.AppendUint16(append(dst, 0xC0), uint16(v))
	case v >= -1<<23 && v < 1<<23:
		return append(dst, 0xF0, byte(v), byte(v>>8), byte(v>>16))
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return binary.LittleEndian.AppendUint32(append(dst, 0xD0), uint32(v))
	}
	return binary.LittleEndian.AppendUint64(append(dst, 0xE0), uint64(v))
}
