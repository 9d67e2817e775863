package rdb

import (
	"fmt"
	"strconv"
)

// Reading strings into the decoder's arena, and accounting the memory a key
// needs against DecodeOptions.MaxAlloc.

// charge accounts n more bytes to the current key.
func (d *decoder) charge(n uint64) error {
	if n > uint64(d.maxAlloc) || d.keyBytes+int64(n) > d.maxAlloc {
		return d.r.errorf(ErrLimit, "value needs more than %d bytes (DecodeOptions.MaxAlloc)", d.maxAlloc)
	}
	d.keyBytes += int64(n)
	return nil
}

// elemOverhead is what one element costs besides its bytes (a slice header).
const elemOverhead = 24

// blobAt says where a blob (ziplist, listpack, intset, zipmap) is in the
// input, so that errors found inside it carry an input offset.
type blobAt struct {
	off int64 // input offset of the blob's first byte; of its string header when lzf
	lzf bool  // the blob was LZF-compressed: positions in it are not input offsets
}

func (a blobAt) errorf(pos int, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	if a.lzf {
		return &Error{Offset: a.off, Kind: ErrCorrupt, Msg: fmt.Sprintf("%s (at byte %d of the LZF-compressed value)", msg, pos)}
	}
	return &Error{Offset: a.off + int64(pos), Kind: ErrCorrupt, Msg: msg}
}

// readBlob reads a string holding an encoded structure.
func (d *decoder) readBlob() ([]byte, blobAt, error) {
	at := blobAt{off: d.r.off()}
	b, err := d.readString()
	if err != nil {
		return nil, at, err
	}
	if d.lastRaw {
		at.off = d.r.off() - int64(len(b))
	} else {
		at.lzf = true
	}
	return b, at, nil
}

// readString reads a string of any encoding into the arena.
func (d *decoder) readString() ([]byte, error) {
	h, err := d.r.readStringHeader()
	if err != nil {
		return nil, err
	}
	d.lastRaw = h.kind == strRaw
	switch h.kind {
	case strInt:
		return d.intBytes(h.ival), nil
	case strLZF:
		return d.readLZF(h.clen, h.ulen)
	}
	if err := d.checkLeft(h.n, "string"); err != nil {
		return nil, err
	}
	if err := d.charge(h.n); err != nil {
		return nil, err
	}
	start := len(d.arena)
	d.arena, err = d.readChunked(d.arena, h.n)
	if err != nil {
		return nil, err
	}
	return d.arena[start:len(d.arena):len(d.arena)], nil
}

// checkLeft fails when n bytes cannot follow because the input is shorter.
func (d *decoder) checkLeft(n uint64, what string) error {
	if rem := d.r.remaining(); rem >= 0 && n > uint64(rem) {
		return d.r.corruptf("%s of %d bytes runs past the end of the input (%d bytes left)", what, n, rem)
	}
	return nil
}

// readChunked appends n input bytes to buf. It grows buf as bytes arrive,
// so a length that lies about an input of unknown size costs at most about
// twice what was actually read.
func (d *decoder) readChunked(buf []byte, n uint64) ([]byte, error) {
	const chunk = 1 << 20
	for n > 0 {
		c := int(min(n, chunk))
		start := len(buf)
		buf = growLen(buf, c)
		if err := d.r.readFull(buf[start:]); err != nil {
			return buf[:start], err
		}
		n -= uint64(c)
	}
	return buf, nil
}

func (d *decoder) readLZF(clen, ulen uint64) ([]byte, error) {
	if ulen > clen*lzfMaxRatio {
		return nil, d.r.corruptf("lzf string of %d bytes cannot expand to %d bytes", clen, ulen)
	}
	if err := d.checkLeft(clen, "lzf string"); err != nil {
		return nil, err
	}
	if err := d.charge(clen + ulen); err != nil {
		return nil, err
	}
	at := d.r.off()
	var err error
	if d.lzfBuf, err = d.readChunked(d.lzfBuf[:0], clen); err != nil {
		return nil, err
	}
	start := len(d.arena)
	d.arena = growLen(d.arena, int(ulen))
	out := d.arena[start:len(d.arena):len(d.arena)]
	if err := lzfDecompress(out, d.lzfBuf); err != nil {
		return nil, &Error{Offset: at, Kind: ErrCorrupt, Msg: err.Error()}
	}
	if cap(d.lzfBuf) > 16<<20 {
		d.lzfBuf = nil
	}
	return out, nil
}

// intBytes returns v in decimal, in the arena.
func (d *decoder) intBytes(v int64) []byte {
	start := len(d.arena)
	d.arena = strconv.AppendInt(d.arena, v, 10)
	return d.arena[start:len(d.arena):len(d.arena)]
}
