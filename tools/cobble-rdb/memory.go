package main

import (
	"math/bits"
	"strconv"
	"unicode/utf8"

	"github.com/cobbledb/cobble/rdb"
)

// Memory estimates: what a Redis 7.0 with its default encoding thresholds
// would allocate for a key, with jemalloc's size classes. An estimate for
// capacity planning, not an accounting: it ignores fragmentation, the
// allocator's own metadata and client buffers, and counts a cobble node's
// memory not at all (cobble keeps data on disk beyond its block cache).

// Redis 7.0's defaults for the compact encodings.
const (
	listpackEntries  = 128 // hash-max-listpack-entries, zset-max-listpack-entries
	listpackValue    = 64  // hash-max-listpack-value, zset-max-listpack-value
	intsetEntries    = 512 // set-max-intset-entries
	quicklistNodeCap = 8 << 10
)

// jemallocSize rounds an allocation up to jemalloc's size class.
func jemallocSize(n int64) int64 {
	switch {
	case n <= 0:
		return 0
	case n <= 8:
		return 8
	case n <= 128:
		return (n + 15) / 16 * 16
	}
	// Four classes per doubling above 128: 160, 192, 224, 256, 320, …
	shift := bits.Len64(uint64(n-1)) - 3
	step := int64(1) << shift
	return (n + step - 1) / step * step
}

// sdsSize is the allocation of an sds string of n bytes: the smallest
// header that holds its length, the bytes and a terminating zero.
func sdsSize(n int) int64 {
	hdr := 2 // sdshdr5
	switch {
	case n >= 1<<32:
		hdr = 18
	case n >= 1<<16:
		hdr = 10
	case n >= 1<<8:
		hdr = 6
	case n >= 1<<5:
		hdr = 4
	}
	return jemallocSize(int64(n + hdr))
}

// isInt reports whether Redis would store s as an integer.
func isInt(s []byte) bool {
	if len(s) == 0 || len(s) > 20 {
		return false
	}
	n, err := strconv.ParseInt(string(s), 10, 64)
	return err == nil && strconv.FormatInt(n, 10) == string(s)
}

// dictSize is a dict of n entries: the table (a power of two) and the
// entries.
func dictSize(n int64) int64 {
	if n == 0 {
		return 0
	}
	return dictTable(n) + n*jemallocSize(24) + 56
}

// dictTable is the bucket table of a dict of n entries (a power of two
// of pointers); the keyspace and the expires dict of each db have one.
func dictTable(n int64) int64 {
	if n == 0 {
		return 0
	}
	return jemallocSize(8 * (int64(1) << bits.Len64(uint64(n-1))))
}

// listpackEntry is the bytes one element takes in a listpack.
func listpackEntry(b []byte) int64 {
	if isInt(b) {
		return 9 // the largest integer encoding and its back length
	}
	n := int64(len(b))
	switch {
	case n < 64:
		return n + 2
	case n < 4096:
		return n + 4
	}
	return n + 10
}

// estimateMemory estimates the bytes Redis would use for the key e.
func estimateMemory(e *rdb.Entry) int64 {
	// dictEntry in the keyspace, the key's sds, the value's robj.
	total := jemallocSize(24) + sdsSize(len(e.Key)) + 16
	if e.ExpireAtMs != 0 {
		total += jemallocSize(24) // entry in the expires dict
	}
	switch e.Type {
	case rdb.TypeString:
		switch n := len(e.String); {
		case isInt(e.String):
		case n <= 44: // embstr: robj, sdshdr8, the bytes and a zero in one allocation
			total += jemallocSize(int64(16+3+n+1)) - 16
		default:
			total += sdsSize(n)
		}
	case rdb.TypeList:
		total += 40 // quicklist
		node, nodes := int64(7), int64(1)
		for _, v := range e.List {
			s := listpackEntry(v)
			if node+s > quicklistNodeCap && node > 7 {
				total += jemallocSize(node)
				node, nodes = 7, nodes+1
			}
			node += s
		}
		total += jemallocSize(node) + nodes*32
	case rdb.TypeSet:
		allInts := len(e.Set) <= intsetEntries
		for _, m := range e.Set {
			if allInts && !isInt(m) {
				allInts = false
			}
		}
		if allInts {
			total += jemallocSize(8 + 8*int64(len(e.Set)))
			break
		}
		total += dictSize(int64(len(e.Set)))
		for _, m := range e.Set {
			total += sdsSize(len(m))
		}
	case rdb.TypeHash:
		compact := len(e.Hash) <= listpackEntries
		var lp int64 = 7
		for _, fv := range e.Hash {
			if len(fv[0]) > listpackValue || len(fv[1]) > listpackValue {
				compact = false
			}
			lp += listpackEntry(fv[0]) + listpackEntry(fv[1])
		}
		if compact {
			total += jemallocSize(lp)
			break
		}
		total += dictSize(int64(len(e.Hash)))
		for _, fv := range e.Hash {
			total += sdsSize(len(fv[0])) + sdsSize(len(fv[1]))
		}
	case rdb.TypeZSet:
		compact := len(e.ZSet) <= listpackEntries
		var lp int64 = 7
		for _, z := range e.ZSet {
			if len(z.Member) > listpackValue {
				compact = false
			}
			lp += listpackEntry(z.Member) + 12 // the score, as a string or an integer
		}
		if compact {
			total += jemallocSize(lp)
			break
		}
		// dict member → score, and a skiplist node per member (1.33 levels
		// on average), sharing the member's sds.
		total += dictSize(int64(len(e.ZSet))) + 32 + 16*32
		for _, z := range e.ZSet {
			total += sdsSize(len(z.Member)) + jemallocSize(24+16*2)
		}
	}
	return total
}

// elements is the number of elements of a collection (1 for a string).
func elements(e *rdb.Entry) int64 { return int64(e.Len()) }

// valueBytes is the key's length plus the bytes of every value, field and
// member: the payload, without any encoding.
func valueBytes(e *rdb.Entry) int64 {
	n := int64(len(e.Key))
	switch e.Type {
	case rdb.TypeString:
		n += int64(len(e.String))
	case rdb.TypeList:
		for _, v := range e.List {
			n += int64(len(v))
		}
	case rdb.TypeSet:
		for _, v := range e.Set {
			n += int64(len(v))
		}
	case rdb.TypeHash:
		for _, fv := range e.Hash {
			n += int64(len(fv[0]) + len(fv[1]))
		}
	case rdb.TypeZSet:
		for _, z := range e.ZSet {
			n += int64(len(z.Member)) + 8
		}
	}
	return n
}

// printable renders a key for a report: as is when it is valid UTF-8
// without control characters, else Go-quoted.
func printable(b []byte) string {
	if utf8.Valid(b) {
		ok := true
		for _, c := range b {
			if c < 0x20 || c == 0x7f {
				ok = false
				break
			}
		}
		if ok {
			return string(b)
		}
	}
	return strconv.Quote(string(b))
}
