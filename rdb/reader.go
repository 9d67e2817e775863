package rdb

import (
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// readBufSize is the reader's buffer; also the chunk in which large strings
// are read, so a declared length that lies costs at most what was read.
const readBufSize = 64 << 10

// reader is a buffered reader over the input that knows its offset, keeps
// the running CRC64 of every byte consumed, and knows how many bytes are
// left when the input's size can be found out.
type reader struct {
	src     io.Reader
	buf     []byte
	pos     int    // next unread byte in buf
	end     int    // end of valid data in buf
	crcFrom int    // buf[crcFrom:pos] is consumed but not yet in crc
	crc     uint64 // CRC64 of everything consumed before buf[crcFrom]
	base    int64  // input offset of buf[0]
	size    int64  // total input size, or -1 when unknown
	srcErr  error  // sticky error from src (io.EOF at the end)
}

func newReader(src io.Reader, start int64) *reader {
	size := inputSize(src, start)
	n := readBufSize
	if size >= 0 && size-start < readBufSize {
		n = max(int(size-start), 64) // a small input needs no large buffer
	}
	return &reader{src: src, buf: make([]byte, n), base: start, size: size}
}

// newBytesReader reads b without copying it into a buffer of its own.
func newBytesReader(b []byte) *reader {
	return &reader{buf: b, end: len(b), size: int64(len(b)), srcErr: io.EOF}
}

// inputSize returns the size of the input counted from offset start, when
// the source can tell it: a *bytes.Reader, *bytes.Buffer or *strings.Reader
// (Len), or a regular *os.File (Stat and its current position).
func inputSize(src io.Reader, start int64) int64 {
	switch s := src.(type) {
	case interface{ Len() int }:
		return start + int64(s.Len())
	case *os.File:
		st, err := s.Stat()
		if err != nil || !st.Mode().IsRegular() {
			return -1
		}
		cur, err := s.Seek(0, io.SeekCurrent)
		if err != nil {
			return -1
		}
		return start + st.Size() - cur
	}
	return -1
}

// off returns the input offset of the next unread byte.
func (r *reader) off() int64 { return r.base + int64(r.pos) }

// remaining returns how many bytes are left, or -1 when unknown.
func (r *reader) remaining() int64 {
	if r.size < 0 {
		return -1
	}
	return r.size - r.off()
}

// fill makes at least n bytes available at r.buf[r.pos:], growing the
// buffer when n is larger (callers ask for at most a few hundred bytes).
func (r *reader) fill(n int) error {
	if r.end-r.pos >= n {
		return nil
	}
	if r.src == nil {
		return r.truncated(n)
	}
	r.crc = crc64Update(r.crc, r.buf[r.crcFrom:r.pos])
	if n > len(r.buf) {
		r.buf = append(r.buf, make([]byte, n-len(r.buf))...)
	}
	copy(r.buf, r.buf[r.pos:r.end])
	r.base += int64(r.pos)
	r.end -= r.pos
	r.pos, r.crcFrom = 0, 0
	for empty := 0; r.end < n && r.srcErr == nil; {
		m, err := r.src.Read(r.buf[r.end:])
		r.end += m
		if err != nil {
			r.srcErr = err
		}
		if m > 0 {
			empty = 0
		} else if empty++; empty > 100 {
			r.srcErr = io.ErrNoProgress
		}
	}
	if r.end >= n {
		return nil
	}
	if r.srcErr != io.EOF {
		return fmt.Errorf("rdb: offset %d: read: %w", r.base+int64(r.end), r.srcErr)
	}
	return r.truncated(n)
}

func (r *reader) truncated(n int) error {
	return &Error{Offset: r.base + int64(r.end), Kind: ErrCorrupt, Cause: io.ErrUnexpectedEOF,
		Msg: fmt.Sprintf("unexpected end of input (needed %d more bytes)", n-(r.end-r.pos))}
}

// take returns the next n bytes (n of at most a few hundred, or
// len(r.buf)). The slice is only valid until the next call on r.
func (r *reader) take(n int) ([]byte, error) {
	if err := r.fill(n); err != nil {
		return nil, err
	}
	b := r.buf[r.pos : r.pos+n]
	r.pos += n
	return b, nil
}

func (r *reader) byte1() (byte, error) {
	if r.pos < r.end {
		b := r.buf[r.pos]
		r.pos++
		return b, nil
	}
	b, err := r.take(1)
	if err != nil {
		return 0, err
	}
	return b[0], nil
}

func (r *reader) uint32LE() (uint32, error) {
	b, err := r.take(4)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint32(b), nil
}

func (r *reader) uint64LE() (uint64, error) {
	b, err := r.take(8)
	if err != nil {
		return 0, err
	}
	return binary.LittleEndian.Uint64(b), nil
}

// readFull fills dst from the input.
func (r *reader) readFull(dst []byte) error {
	for len(dst) > 0 {
		n := min(len(dst), len(r.buf))
		b, err := r.take(n)
		if err != nil {
			return err
		}
		copy(dst, b)
		dst = dst[n:]
	}
	return nil
}

// skip discards n bytes.
func (r *reader) skip(n uint64) error {
	if rem := r.remaining(); rem >= 0 && n > uint64(rem) {
		return r.corruptf("%d bytes to skip, only %d left", n, rem)
	}
	for n > 0 {
		c := int(min(n, uint64(len(r.buf))))
		if _, err := r.take(c); err != nil {
			return err
		}
		n -= uint64(c)
	}
	return nil
}

// sum returns the CRC64 of every byte consumed so far.
func (r *reader) sum() uint64 {
	r.crc = crc64Update(r.crc, r.buf[r.crcFrom:r.pos])
	r.crcFrom = r.pos
	return r.crc
}

// errorf returns an *Error of the given class at the current offset.
func (r *reader) errorf(kind error, format string, args ...any) *Error {
	return &Error{Offset: r.off(), Kind: kind, Msg: fmt.Sprintf(format, args...)}
}

func (r *reader) corruptf(format string, args ...any) *Error {
	return r.errorf(ErrCorrupt, format, args...)
}

// Length encoding: the top two bits of the first byte say
//
//	00xxxxxx            6-bit length
//	01xxxxxx xxxxxxxx   14-bit length, big endian
//	10000000 <4 bytes>  32-bit length, big endian
//	10000001 <8 bytes>  64-bit length, big endian
//	11xxxxxx            an encoded string follows; xxxxxx is its encoding
const (
	encInt8  = 0
	encInt16 = 1
	encInt32 = 2
	encLZF   = 3
)

// readLen reads a length. encoded reports an 11xxxxxx byte, whose low six
// bits are returned as n.
func (r *reader) readLen() (n uint64, encoded bool, err error) {
	b, err := r.byte1()
	if err != nil {
		return 0, false, err
	}
	switch b >> 6 {
	case 0:
		return uint64(b & 0x3F), false, nil
	case 1:
		b2, err := r.byte1()
		if err != nil {
			return 0, false, err
		}
		return uint64(b&0x3F)<<8 | uint64(b2), false, nil
	case 3:
		return uint64(b & 0x3F), true, nil
	}
	switch b {
	case 0x80:
		p, err := r.take(4)
		if err != nil {
			return 0, false, err
		}
		return uint64(binary.BigEndian.Uint32(p)), false, nil
	case 0x81:
		p, err := r.take(8)
		if err != nil {
			return 0, false, err
		}
		return binary.BigEndian.Uint64(p), false, nil
	}
	r.pos--
	return 0, false, r.corruptf("unknown length encoding 0x%02x", b)
}

// readCount reads a length that must not be an encoded-string marker.
func (r *reader) readCount(what string) (uint64, error) {
	start := r.off()
	n, enc, err := r.readLen()
	if err != nil {
		return 0, err
	}
	if enc {
		return 0, &Error{Offset: start, Kind: ErrCorrupt, Msg: fmt.Sprintf("%s: expected a length, got a string encoding marker", what)}
	}
	return n, nil
}

// stringHeader is what precedes a string: its raw length, an integer, or
// the two lengths of an LZF string.
type stringHeader struct {
	kind       int // 0 raw, 1 integer, 2 lzf
	n          uint64
	clen, ulen uint64
	ival       int64
}

const (
	strRaw = iota
	strInt
	strLZF
)

func (r *reader) readStringHeader() (stringHeader, error) {
	start := r.off()
	n, enc, err := r.readLen()
	if err != nil {
		return stringHeader{}, err
	}
	if !enc {
		return stringHeader{kind: strRaw, n: n}, nil
	}
	switch n {
	case encInt8:
		b, err := r.byte1()
		return stringHeader{kind: strInt, ival: int64(int8(b))}, err
	case encInt16:
		b, err := r.take(2)
		if err != nil {
			return stringHeader{}, err
		}
		return stringHeader{kind: strInt, ival: int64(int16(binary.LittleEndian.Uint16(b)))}, nil
	case encInt32:
		b, err := r.take(4)
		if err != nil {
			return stringHeader{}, err
		}
		return stringHeader{kind: strInt, ival: int64(int32(binary.LittleEndian.Uint32(b)))}, nil
	case encLZF:
		clen, err := r.readCount("lzf compressed length")
		if err != nil {
			return stringHeader{}, err
		}
		ulen, err := r.readCount("lzf uncompressed length")
		if err != nil {
			return stringHeader{}, err
		}
		return stringHeader{kind: strLZF, clen: clen, ulen: ulen}, nil
	}
	return stringHeader{}, &Error{Offset: start, Kind: ErrCorrupt, Msg: fmt.Sprintf("unknown string encoding %d", n)}
}

// skipString discards a string of any encoding.
func (r *reader) skipString() error {
	h, err := r.readStringHeader()
	if err != nil {
		return err
	}
	switch h.kind {
	case strRaw:
		return r.skip(h.n)
	case strLZF:
		return r.skip(h.clen)
	}
	return nil
}
