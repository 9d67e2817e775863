package engine

import (
	"encoding/binary"
	"fmt"
)

// Type is a key's data type. Persisted in the metadata record: add values,
// never renumber.
type Type byte

const (
	TypeNone   Type = 0
	TypeString Type = 1
	TypeHash   Type = 2
	TypeList   Type = 3
	TypeSet    Type = 4
	TypeZSet   Type = 5
)

// String returns the name TYPE replies with.
func (t Type) String() string {
	switch t {
	case TypeString:
		return "string"
	case TypeHash:
		return "hash"
	case TypeList:
		return "list"
	case TypeSet:
		return "set"
	case TypeZSet:
		return "zset"
	}
	return "none"
}

// ParseType maps a TYPE name (as SCAN … TYPE takes it) to a Type.
func ParseType(s string) (Type, bool) {
	for t := TypeString; t <= TypeZSet; t++ {
		if equalFold(s, t.String()) {
			return t, true
		}
	}
	return TypeNone, false
}

func equalFold(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range len(a) {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// flagExpire in the first metadata byte says an 8-byte expire-at follows.
// Persisted.
const flagExpire byte = 0x80

// listMid is where a new list's head and tail start, so both ends can grow.
const listMid uint64 = 1 << 63

// Meta is a key's metadata record.
//
// Encoding (persisted): byte 0 = type | flagExpire?; if flagExpire, the
// expire-at in ms (8 bytes BE); then per type:
//
//	string        the value itself (inline: one Get serves GET)
//	hash/set/zset uvarint(number of elements)
//	list          head (8 BE) tail (8 BE): elements live at [head, tail)
type Meta struct {
	Type     Type
	ExpireAt int64  // unix ms; 0 = no expiry
	Value    []byte // string value
	Size     int64  // hash/set/zset: element count
	Head     uint64 // list: index of the first element
	Tail     uint64 // list: index after the last element
}

// Len is the number of elements (list, hash, set, zset).
func (m *Meta) Len() int64 {
	if m.Type == TypeList {
		return int64(m.Tail - m.Head)
	}
	return m.Size
}

func (m *Meta) encode() []byte {
	return m.appendTo(make([]byte, 0, 1+len(m.Value)+16))
}

// appendTo appends m's encoding to dst (the bulk loader encodes into its
// batch buffer without an allocation per key).
func (m *Meta) appendTo(dst []byte) []byte {
	first := byte(m.Type)
	if m.ExpireAt > 0 {
		first |= flagExpire
	}
	dst = append(dst, first)
	if m.ExpireAt > 0 {
		dst = binary.BigEndian.AppendUint64(dst, uint64(m.ExpireAt))
	}
	switch m.Type {
	case TypeString:
		dst = append(dst, m.Value...)
	case TypeList:
		dst = binary.BigEndian.AppendUint64(dst, m.Head)
		dst = binary.BigEndian.AppendUint64(dst, m.Tail)
	default:
		dst = binary.AppendUvarint(dst, uint64(m.Size))
	}
	return dst
}

func decodeMeta(b []byte) (Meta, error) {
	var m Meta
	if len(b) == 0 {
		return m, fmt.Errorf("engine: empty metadata: %w", ErrCorrupt)
	}
	m.Type = Type(b[0] &^ flagExpire)
	rest := b[1:]
	if b[0]&flagExpire != 0 {
		if len(rest) < 8 {
			return m, fmt.Errorf("engine: short expire in metadata: %w", ErrCorrupt)
		}
		m.ExpireAt = int64(binary.BigEndian.Uint64(rest))
		rest = rest[8:]
	}
	switch m.Type {
	case TypeString:
		m.Value = rest
	case TypeList:
		if len(rest) < 16 {
			return m, fmt.Errorf("engine: short list metadata: %w", ErrCorrupt)
		}
		m.Head = binary.BigEndian.Uint64(rest)
		m.Tail = binary.BigEndian.Uint64(rest[8:])
	case TypeHash, TypeSet, TypeZSet:
		n, w := binary.Uvarint(rest)
		if w <= 0 {
			return m, fmt.Errorf("engine: bad size in metadata: %w", ErrCorrupt)
		}
		m.Size = int64(n)
	default:
		return m, fmt.Errorf("engine: unknown type %d: %w", m.Type, ErrCorrupt)
	}
	return m, nil
}
