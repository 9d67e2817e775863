package rdb

import "encoding/binary"

// Zipmap (hashes of Redis before 2.6):
//
//	<count:u8, 254+ = unknown> (<len> field <len> <free:u8> value <free bytes>)... 0xFF
//
// A <len> is one byte below 254, else 0xFE and a u32 (host order, little
// endian on every platform Redis ran on).

const (
	zmBigLen = 254
	zmEnd    = 0xFF
)

// readZipmap decodes a zipmap blob into d.e.Hash.
func (d *decoder) readZipmap(b []byte, at blobAt) error {
	bad := func(pos int, format string, args ...any) error {
		return at.errorf(pos, "bad zipmap: "+format, args...)
	}
	if len(b) < 2 {
		return bad(0, "zipmap of %d bytes", len(b))
	}
	if b[len(b)-1] != zmEnd {
		return bad(len(b)-1, "zipmap does not end with 0xFF")
	}
	last := len(b) - 1
	// str reads a length and that many bytes at p.
	str := func(p int) ([]byte, int, error) {
		l, q := uint64(b[p]), p+1
		switch {
		case l == zmEnd:
			return nil, 0, bad(p, "unexpected end marker")
		case l == zmBigLen:
			if p+5 > last {
				return nil, 0, bad(p, "length runs past the end")
			}
			l, q = uint64(binary.LittleEndian.Uint32(b[p+1:])), p+5
		}
		if uint64(q)+l > uint64(last) {
			return nil, 0, bad(p, "string of %d bytes runs past the end", l)
		}
		return b[q : q+int(l) : q+int(l)], q + int(l), nil
	}
	p, count := 1, 0
	for b[p] != zmEnd {
		f, q, err := str(p)
		if err != nil {
			return err
		}
		if q >= last {
			return bad(q, "field without a value")
		}
		l, r := uint64(b[q]), q+1
		switch {
		case l == zmEnd:
			return bad(q, "field without a value")
		case l == zmBigLen:
			if q+5 > last {
				return bad(q, "length runs past the end")
			}
			l, r = uint64(binary.LittleEndian.Uint32(b[q+1:])), q+5
		}
		if r >= last {
			return bad(q, "value runs past the end")
		}
		free := uint64(b[r])
		r++
		if uint64(r)+l+free > uint64(last) {
			return bad(q, "value of %d bytes runs past the end", l)
		}
		if err := d.charge(2 * elemOverhead); err != nil {
			return err
		}
		d.e.Hash = append(d.e.Hash, [2][]byte{f, b[r : r+int(l) : r+int(l)]})
		p = r + int(l) + int(free)
		count++
	}
	if count == 0 {
		return bad(0, "empty zipmap")
	}
	if b[0] < zmBigLen && int(b[0]) != count {
		return bad(0, "header says %d pairs, found %d", b[0], count)
	}
	return d.checkUniqueFields()
}
