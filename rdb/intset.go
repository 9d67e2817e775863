package rdb

import "encoding/binary"

// Intset (small sets of integers, all Redis versions since 2.2):
//
//	<encoding:u32 LE, bytes per element: 2, 4 or 8> <count:u32 LE> <elements, LE, strictly ascending>

const intsetHeaderSize = 8

// readIntset decodes an intset blob into d.e.Set.
func (d *decoder) readIntset(b []byte, at blobAt) error {
	bad := func(pos int, format string, args ...any) error {
		return at.errorf(pos, "bad intset: "+format, args...)
	}
	if len(b) < intsetHeaderSize {
		return bad(0, "intset of %d bytes is shorter than its header", len(b))
	}
	enc := binary.LittleEndian.Uint32(b)
	n := binary.LittleEndian.Uint32(b[4:])
	if enc != 2 && enc != 4 && enc != 8 {
		return bad(0, "element size %d", enc)
	}
	if uint64(intsetHeaderSize)+uint64(n)*uint64(enc) != uint64(len(b)) {
		return bad(0, "%d elements of %d bytes do not fill %d bytes", n, enc, len(b))
	}
	if n == 0 {
		return bad(0, "empty intset")
	}
	if err := d.charge(uint64(n) * (elemOverhead + 20)); err != nil {
		return err
	}
	size := int(enc)
	var prev int64
	for i := 0; i < int(n); i++ {
		pos := intsetHeaderSize + i*size
		var v int64
		if size == 2 {
			v = int64(int16(binary.LittleEndian.Uint16(b[pos:])))
		} else {
			v = leInt(b[pos : pos+size])
		}
		if i > 0 && v <= prev {
			return bad(pos, "element %d (%d) is not above the previous one (%d)", i, v, prev)
		}
		prev = v
		d.e.Set = append(d.e.Set, d.intBytes(v))
	}
	return nil
}
