package rdb

import (
	"fmt"

	lzf "github.com/zhuyie/golzf"
)

// LZF strings in RDB: 0xC3 <compressed len> <uncompressed len> <data>, both
// lengths in the RDB length encoding. Redis compresses strings longer than
// 20 bytes when rdbcompression is on, into a buffer 4 bytes shorter than the
// input, and stores the string raw when the result does not fit.

// lzfMaxRatio bounds how much LZF can expand: the best back reference is 3
// bytes of input for 264 bytes of output. An uncompressed length beyond
// lzfMaxRatio times the compressed length is corrupt, so it is rejected
// before anything is allocated.
const lzfMaxRatio = 88

// lzfMinInput is the shortest string Redis tries to compress (longer than
// 20 bytes). NB: golzf.Compress panics on 1-byte input, so the guard also
// protects against that.
const lzfMinInput = 21

// lzfHashTable is golzf's hash table; an Encoder reuses one across calls.
// Reusing it without clearing stays correct (golzf verifies every match
// against the current input); it only changes which matches are found.
type lzfHashTable = []uint32

func newLZFHashTable() lzfHashTable { return make([]uint32, lzf.HashTableSize) }

// lzfCompress appends the LZF compression of src to dst and reports whether
// it is worth storing: it must be at least 4 bytes shorter than src, as
// Redis requires. htab may be nil.
func lzfCompress(dst, src []byte, htab lzfHashTable) ([]byte, bool) {
	if len(src) < lzfMinInput {
		return dst, false
	}
	outLen := len(src) - 4
	start := len(dst)
	dst = growLen(dst, outLen)
	n, err := lzf.CompressFast(src, dst[start:], htab)
	if err != nil || n == 0 {
		return dst[:start], false
	}
	return dst[:start+n], true
}

// lzfDecompress decompresses src, which must expand to exactly n bytes,
// into dst[:n] (dst must have room for n bytes).
func lzfDecompress(dst, src []byte) error {
	if uint64(len(dst)) > uint64(len(src))*lzfMaxRatio {
		return fmt.Errorf("lzf string of %d bytes cannot expand to %d bytes", len(src), len(dst))
	}
	if len(src) == 0 {
		if len(dst) == 0 {
			return nil
		}
		return fmt.Errorf("empty lzf data for %d bytes", len(dst))
	}
	got, err := lzf.Decompress(src, dst)
	if err != nil {
		return fmt.Errorf("bad lzf data: %v", err)
	}
	if got != len(dst) {
		return fmt.Errorf("lzf data expands to %d bytes, header says %d", got, len(dst))
	}
	return nil
}

// growLen returns b extended by n bytes (contents of the new bytes are
// unspecified), reallocating when the capacity is too small.
func growLen(b []byte, n int) []byte {
	if cap(b)-len(b) >= n {
		return b[:len(b)+n]
	}
	c := make([]byte, len(b)+n, 2*cap(b)+n)
	copy(c, b)
	return c
}
