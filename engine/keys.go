package engine

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Namespace prefixes. Part of the on-disk format: add values, never renumber.
const (
	nsData   byte = 'd' // user keys: metadata and elements
	nsExpire byte = 'e' // expiry index, ordered by expire-at
	nsMeta   byte = 'm' // internal records: applied offset, counts, db map
)

// Markers after the user key inside nsData. Part of the on-disk format.
const (
	markMeta byte = 0x00 // the key's metadata record
	markElem byte = 0x01 // the key's elements (hash fields, set members…)
	markEnd  byte = 0x02 // exclusive upper bound of one key's range
)

// Internal record names under nsMeta. Part of the on-disk format.
const (
	metaApplied = "applied"  // log offset the engine state reflects (8 bytes BE)
	metaFormat  = "format"   // on-disk format version (8 bytes BE)
	metaDBMap   = "dbmap"    // logical → physical db table (SWAPDB)
	metaCount   = "count/"   // + db(2) slot(2) → number of keys (8 bytes BE)
	metaExpires = "expires/" // + db(2) → number of keys with a TTL (8 bytes BE)
	metaDelta   = "cdelta/"  // + seq(8 BE) → count changes of one commit (see deltaKeys)
)

// Entries of a count delta record. Persisted.
const (
	deltaKeys    byte = 'k' // db(2) slot(2) varint(change in keys)
	deltaExpires byte = 'e' // db(2) varint(change in keys with a TTL)
	deltaReset   byte = 'r' // db(2): the db was emptied (counts to zero)
)

func deltaKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte{nsMeta}, metaDelta...), seq)
}

// FormatVersion is the on-disk format version written under nsMeta.
const FormatVersion = 1

// appendDataPrefix appends the prefix shared by everything of one key:
// nsData, db (2 bytes BE), slot (2 bytes BE), uvarint(len(key)), key.
// The length makes the prefix self-delimiting, so a key that is a prefix
// of another never interleaves with it.
func appendDataPrefix(dst []byte, db int, slot uint16, key []byte) []byte {
	dst = append(dst, nsData, byte(db>>8), byte(db), byte(slot>>8), byte(slot))
	dst = binary.AppendUvarint(dst, uint64(len(key)))
	return append(dst, key...)
}

// metaKey is the key of a user key's metadata record.
func metaKey(db int, key []byte) []byte {
	return appendMetaKey(make([]byte, 0, len(key)+8), db, key)
}

// appendMetaKey is metaKey appending to dst (a lookup's reused buffer).
func appendMetaKey(dst []byte, db int, key []byte) []byte {
	return append(appendDataPrefix(dst, db, KeySlot(key), key), markMeta)
}

// elemPrefix is the prefix of all element keys of a user key.
func elemPrefix(db int, key []byte) []byte {
	slot := KeySlot(key)
	b := make([]byte, 0, len(key)+24)
	return append(appendDataPrefix(b, db, slot, key), markElem)
}

// elemKey is elemPrefix followed by sub.
func elemKey(prefix, sub []byte) []byte {
	b := make([]byte, 0, len(prefix)+len(sub))
	return append(append(b, prefix...), sub...)
}

// prefixEnd returns the smallest key greater than every key with prefix p.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		if end[i] != 0xff {
			end[i]++
			return end[:i+1]
		}
	}
	return nil // p is all 0xff: no upper bound
}

// dbRange is the key range of one physical db's user data.
func dbRange(db int) (lo, hi []byte) {
	return []byte{nsData, byte(db >> 8), byte(db)}, prefixEnd([]byte{nsData, byte(db >> 8), byte(db)})
}

// slotRange is the key range of one (db, slot): one contiguous range.
func slotRange(db int, slot uint16) (lo, hi []byte) {
	lo = []byte{nsData, byte(db >> 8), byte(db), byte(slot >> 8), byte(slot)}
	return lo, prefixEnd(lo)
}

// expireKey is the expiry index entry of a key: nsExpire, at (8 bytes BE),
// db (2), slot (2), key. Ordered by time, so active expiry reads a prefix.
func expireKey(atMs int64, db int, key []byte) []byte {
	slot := KeySlot(key)
	b := make([]byte, 0, 13+len(key))
	b = append(b, nsExpire)
	b = binary.BigEndian.AppendUint64(b, uint64(atMs))
	b = append(b, byte(db>>8), byte(db), byte(slot>>8), byte(slot))
	return append(b, key...)
}

func countKey(db int, slot uint16) []byte {
	b := append([]byte{nsMeta}, metaCount...)
	return append(b, byte(db>>8), byte(db), byte(slot>>8), byte(slot))
}

func expiresKey(db int) []byte {
	b := append([]byte{nsMeta}, metaExpires...)
	return append(b, byte(db>>8), byte(db))
}

func internalKey(name string) []byte { return append([]byte{nsMeta}, name...) }

// ErrBadKey is returned when an encoded key cannot be parsed.
var ErrBadKey = errors.New("engine: malformed key")

// DecodedKey is a parsed engine key, for tests, tools and debug output.
type DecodedKey struct {
	NS       byte
	DB       int
	Slot     uint16
	Key      []byte
	Elem     bool   // an element record (Sub holds the element part)
	Sub      []byte // element suffix, or the internal record name
	ExpireAt int64  // expiry index entries only
}

// DecodeKey parses any key the engine writes.
func DecodeKey(k []byte) (DecodedKey, error) {
	var d DecodedKey
	if len(k) == 0 {
		return d, ErrBadKey
	}
	d.NS = k[0]
	switch k[0] {
	case nsData:
		if len(k) < 6 {
			return d, ErrBadKey
		}
		d.DB = int(binary.BigEndian.Uint16(k[1:3]))
		d.Slot = binary.BigEndian.Uint16(k[3:5])
		n, w := binary.Uvarint(k[5:])
		if w <= 0 || n > uint64(len(k)) {
			return d, ErrBadKey
		}
		rest := k[5+w:]
		if uint64(len(rest)) < n+1 {
			return d, ErrBadKey
		}
		d.Key = rest[:n]
		switch rest[n] {
		case markMeta:
			if len(rest) != int(n)+1 {
				return d, ErrBadKey
			}
		case markElem:
			d.Elem = true
			d.Sub = rest[n+1:]
		default:
			return d, ErrBadKey
		}
	case nsExpire:
		if len(k) < 13 {
			return d, ErrBadKey
		}
		at := binary.BigEndian.Uint64(k[1:9])
		if at > math.MaxInt64 {
			return d, ErrBadKey
		}
		d.ExpireAt = int64(at)
		d.DB = int(binary.BigEndian.Uint16(k[9:11]))
		d.Slot = binary.BigEndian.Uint16(k[11:13])
		d.Key = k[13:]
	case nsMeta:
		d.Sub = k[1:]
	default:
		return d, ErrBadKey
	}
	return d, nil
}

// FormatKey renders any engine key for humans:
// `data db=0 slot=866 key="user:1" elem="name"`.
func FormatKey(k []byte) string {
	d, err := DecodeKey(k)
	if err != nil {
		return fmt.Sprintf("invalid %q", k)
	}
	var sb strings.Builder
	switch d.NS {
	case nsData:
		fmt.Fprintf(&sb, "data db=%d slot=%d key=%s", d.DB, d.Slot, strconv.Quote(string(d.Key)))
		if d.Elem {
			fmt.Fprintf(&sb, " elem=%s", strconv.Quote(string(d.Sub)))
		}
	case nsExpire:
		fmt.Fprintf(&sb, "expire at=%d db=%d slot=%d key=%s", d.ExpireAt, d.DB, d.Slot, strconv.Quote(string(d.Key)))
	case nsMeta:
		fmt.Fprintf(&sb, "meta %s", strconv.Quote(string(d.Sub)))
	}
	return sb.String()
}
