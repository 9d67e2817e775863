package rdb

import (
	"bytes"
	"fmt"
	"math"
	"strconv"
)

// Collections in their plain encodings (a count, then each element as an
// RDB string), and the hash types with field expiry times.

func (d *decoder) readPlainList() (objectKind, string, error) {
	n, err := d.r.readCount("list length")
	if err != nil {
		return 0, "", err
	}
	for i := uint64(0); i < n; i++ {
		s, err := d.readElem()
		if err != nil {
			return 0, "", err
		}
		d.e.List = append(d.e.List, s)
	}
	return d.done(n == 0)
}

func (d *decoder) readPlainSet() (objectKind, string, error) {
	n, err := d.r.readCount("set size")
	if err != nil {
		return 0, "", err
	}
	for i := uint64(0); i < n; i++ {
		s, err := d.readElem()
		if err != nil {
			return 0, "", err
		}
		d.e.Set = append(d.e.Set, s)
	}
	if err := d.checkUnique(len(d.e.Set), func(i int) []byte { return d.e.Set[i] }, "set member"); err != nil {
		return 0, "", err
	}
	return d.done(n == 0)
}

func (d *decoder) readPlainHash() (objectKind, string, error) {
	n, err := d.r.readCount("hash size")
	if err != nil {
		return 0, "", err
	}
	for i := uint64(0); i < n; i++ {
		f, err := d.readElem()
		if err != nil {
			return 0, "", err
		}
		v, err := d.readElem()
		if err != nil {
			return 0, "", err
		}
		d.e.Hash = append(d.e.Hash, [2][]byte{f, v})
	}
	if err := d.checkUniqueFields(); err != nil {
		return 0, "", err
	}
	return d.done(n == 0)
}

func (d *decoder) readPlainZSet(binaryScores bool) (objectKind, string, error) {
	n, err := d.r.readCount("zset size")
	if err != nil {
		return 0, "", err
	}
	for i := uint64(0); i < n; i++ {
		m, err := d.readElem()
		if err != nil {
			return 0, "", err
		}
		at := d.r.off()
		var score float64
		if binaryScores {
			v, err := d.r.uint64LE()
			if err != nil {
				return 0, "", err
			}
			score = math.Float64frombits(v)
		} else if score, err = d.readStringDouble(); err != nil {
			return 0, "", err
		}
		if math.IsNaN(score) {
			return 0, "", &Error{Offset: at, Kind: ErrCorrupt, Msg: "zset score is NaN"}
		}
		d.e.ZSet = append(d.e.ZSet, ZMember{Member: m, Score: score})
	}
	if err := d.checkUnique(len(d.e.ZSet), func(i int) []byte { return d.e.ZSet[i].Member }, "zset member"); err != nil {
		return 0, "", err
	}
	return d.done(n == 0)
}

// readStringDouble reads a score of the old zset type: a length byte
// (253 NaN, 254 +inf, 255 -inf) and that many ASCII characters.
func (d *decoder) readStringDouble() (float64, error) {
	at := d.r.off()
	n, err := d.r.byte1()
	if err != nil {
		return 0, err
	}
	switch n {
	case 253:
		return math.NaN(), nil
	case 254:
		return math.Inf(1), nil
	case 255:
		return math.Inf(-1), nil
	}
	b, err := d.r.take(int(n))
	if err != nil {
		return 0, err
	}
	f, perr := strconv.ParseFloat(string(b), 64)
	if perr != nil {
		return 0, &Error{Offset: at, Kind: ErrCorrupt, Msg: fmt.Sprintf("bad zset score %q", b)}
	}
	return f, nil
}

// readElem reads one element of a collection, charging its slice header.
func (d *decoder) readElem() ([]byte, error) {
	if err := d.charge(elemOverhead); err != nil {
		return nil, err
	}
	return d.readString()
}

// readHashMetadata reads a hash with field expiry times (Redis 7.4+): the
// smallest expiry (GA format only), the field count, then per field a TTL
// (0 none; GA: relative to the smallest, plus one; pre-GA: absolute), the
// field and the value.
func (d *decoder) readHashMetadata(ga bool) (objectKind, string, error) {
	var minExpire uint64
	if ga {
		v, err := d.r.uint64LE()
		if err != nil {
			return 0, "", err
		}
		minExpire = v
	}
	n, err := d.r.readCount("hash size")
	if err != nil {
		return 0, "", err
	}
	anyTTL := false
	for i := uint64(0); i < n; i++ {
		at := d.r.off()
		ttl, err := d.r.readCount("hash field ttl")
		if err != nil {
			return 0, "", err
		}
		exp := ttl
		if ga && ttl != 0 {
			exp = ttl + minExpire - 1
		}
		if exp > hashExpireMax || (ga && ttl != 0 && exp < minExpire) {
			return 0, "", &Error{Offset: at, Kind: ErrCorrupt, Msg: fmt.Sprintf("bad hash field expiry %d", exp)}
		}
		f, err := d.readElem()
		if err != nil {
			return 0, "", err
		}
		v, err := d.readString()
		if err != nil {
			return 0, "", err
		}
		d.e.Hash = append(d.e.Hash, [2][]byte{f, v})
		d.hashExp = append(d.hashExp, int64(exp))
		anyTTL = anyTTL || exp != 0
	}
	if anyTTL {
		d.e.HashExpireAtMs = d.hashExp
	}
	if err := d.checkUniqueFields(); err != nil {
		return 0, "", err
	}
	return d.done(n == 0)
}

// hashExpireMax is the largest field expiry time Redis accepts (48 bits).
const hashExpireMax = 1<<48 - 1

// readValkeyHash2 reads Valkey's hash with field expiry (type 22 in RDB
// 80+): count, then field, value and an 8-byte expiry in ms (-1 none).
func (d *decoder) readValkeyHash2() (objectKind, string, error) {
	n, err := d.r.readCount("hash size")
	if err != nil {
		return 0, "", err
	}
	anyTTL := false
	for i := uint64(0); i < n; i++ {
		f, err := d.readElem()
		if err != nil {
			return 0, "", err
		}
		v, err := d.readString()
		if err != nil {
			return 0, "", err
		}
		u, err := d.r.uint64LE()
		if err != nil {
			return 0, "", err
		}
		exp := int64(u)
		switch {
		case exp < 0: // -1: no expiry
			exp = 0
		case exp > hashExpireMax:
			return 0, "", d.r.corruptf("bad hash field expiry %d", exp)
		case exp == 0: // long past, but 0 means "none" in an Entry
			exp, anyTTL = 1, true
		default:
			anyTTL = true
		}
		d.e.Hash = append(d.e.Hash, [2][]byte{f, v})
		d.hashExp = append(d.hashExp, exp)
	}
	if anyTTL {
		d.e.HashExpireAtMs = d.hashExp
	}
	if err := d.checkUniqueFields(); err != nil {
		return 0, "", err
	}
	return d.done(n == 0)
}

func (d *decoder) done(empty bool) (objectKind, string, error) {
	if empty {
		return kindEmpty, "", nil
	}
	return kindEntry, "", nil
}

func (d *decoder) checkUniqueFields() error {
	return d.checkUnique(len(d.e.Hash), func(i int) []byte { return d.e.Hash[i][0] }, "hash field")
}

// checkUnique fails on a repeated element, as Redis does when loading.
func (d *decoder) checkUnique(n int, at func(int) []byte, what string) error {
	if n < 2 {
		return nil
	}
	if n <= 8 {
		for i := 1; i < n; i++ {
			for j := 0; j < i; j++ {
				if bytes.Equal(at(i), at(j)) {
					return d.r.corruptf("duplicate %s %q", what, clip(at(i)))
				}
			}
		}
		return nil
	}
	if d.seen == nil || len(d.seen) > 4096 {
		d.seen = make(map[string]struct{}, n)
	} else {
		clear(d.seen)
	}
	for i := 0; i < n; i++ {
		b := at(i)
		if _, dup := d.seen[string(b)]; dup {
			return d.r.corruptf("duplicate %s %q", what, clip(b))
		}
		d.seen[string(b)] = struct{}{}
	}
	return nil
}
