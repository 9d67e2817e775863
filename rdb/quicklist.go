package rdb

import "fmt"

// Quicklists (lists since Redis 3.2): a count of nodes, then per node
//
//	type 14 (list_quicklist):   a ziplist string
//	type 18 (list_quicklist_2): a container (1 plain: one element as a
//	                            string; 2 packed: a listpack string)
//
// Redis skips empty nodes when loading; so does the decoder.

const (
	qlContainerPlain  = 1
	qlContainerPacked = 2
)

func (d *decoder) readQuicklist(v2 bool) (objectKind, string, error) {
	n, err := d.r.readCount("quicklist node count")
	if err != nil {
		return 0, "", err
	}
	for i := uint64(0); i < n; i++ {
		if v2 {
			at := d.r.off()
			container, err := d.r.readCount("quicklist container")
			if err != nil {
				return 0, "", err
			}
			switch container {
			case qlContainerPlain:
				s, err := d.readElem()
				if err != nil {
					return 0, "", err
				}
				d.e.List = append(d.e.List, s)
				continue
			case qlContainerPacked:
			default:
				return 0, "", &Error{Offset: at, Kind: ErrCorrupt, Msg: fmt.Sprintf("unknown quicklist container %d", container)}
			}
		}
		blob, bat, err := d.readBlob()
		if err != nil {
			return 0, "", err
		}
		if v2 {
			err = d.readListpackList(blob, bat)
		} else {
			err = d.readZiplistList(blob, bat)
		}
		if err != nil {
			return 0, "", err
		}
	}
	return d.done(len(d.e.List) == 0)
}

// packIter walks a ziplist or a listpack. (A struct rather than an
// interface, so that it stays on the stack.)
type packIter struct {
	lp       listpackIter
	zl       ziplistIter
	listpack bool
}

func (p *packIter) next() (packedElem, bool, error) {
	if p.listpack {
		return p.lp.next()
	}
	return p.zl.next()
}

func (d *decoder) packedIter(b []byte, at blobAt, listpack bool) (packIter, error) {
	var err error
	p := packIter{listpack: listpack}
	if listpack {
		p.lp, err = newListpackIter(b, at)
	} else {
		p.zl, err = newZiplistIter(b, at)
	}
	return p, err
}

// appendElems appends every element of a ziplist or listpack to *dst.
func (d *decoder) appendElems(dst *[][]byte, b []byte, at blobAt, listpack bool) error {
	it, err := d.packedIter(b, at, listpack)
	if err != nil {
		return err
	}
	for {
		e, ok, err := it.next()
		if err != nil || !ok {
			return err
		}
		if err := d.charge(elemOverhead); err != nil {
			return err
		}
		*dst = append(*dst, d.elemBytes(e))
	}
}

func (d *decoder) readZiplistList(b []byte, at blobAt) error {
	return d.appendElems(&d.e.List, b, at, false)
}

func (d *decoder) readListpackList(b []byte, at blobAt) error {
	return d.appendElems(&d.e.List, b, at, true)
}

func (d *decoder) readListpackSet(b []byte, at blobAt) error {
	if err := d.appendElems(&d.e.Set, b, at, true); err != nil {
		return err
	}
	return d.checkUnique(len(d.e.Set), func(i int) []byte { return d.e.Set[i] }, "set member")
}

// readPackedHash decodes a hash ziplist or listpack: field, value pairs, or
// field, value, expiry triples (tuple 3, hash_listpack_ex; expiry 0 means
// none).
func (d *decoder) readPackedHash(b []byte, at blobAt, listpack bool, tuple int) error {
	it, err := d.packedIter(b, at, listpack)
	if err != nil {
		return err
	}
	var t [3]packedElem
	anyTTL := false
	for i := 0; ; i++ {
		e, ok, err := it.next()
		if err != nil {
			return err
		}
		if !ok {
			if i%tuple != 0 {
				return at.errorf(0, "hash encoding holds %d elements, not a multiple of %d", i, tuple)
			}
			break
		}
		t[i%tuple] = e
		if i%tuple != tuple-1 {
			continue
		}
		if err := d.charge(2 * elemOverhead); err != nil {
			return err
		}
		d.e.Hash = append(d.e.Hash, [2][]byte{d.elemBytes(t[0]), d.elemBytes(t[1])})
		if tuple == 3 {
			exp, ok := t[2].int()
			if !ok || exp < 0 || exp > hashExpireMax {
				return at.errorf(0, "bad hash field expiry in entry %d", i)
			}
			d.hashExp = append(d.hashExp, exp)
			anyTTL = anyTTL || exp != 0
		}
	}
	if anyTTL {
		d.e.HashExpireAtMs = d.hashExp
	}
	return d.checkUniqueFields()
}

// readPackedZSet decodes a zset ziplist or listpack: member, score pairs.
func (d *decoder) readPackedZSet(b []byte, at blobAt, listpack bool) error {
	it, err := d.packedIter(b, at, listpack)
	if err != nil {
		return err
	}
	var member packedElem
	for i := 0; ; i++ {
		e, ok, err := it.next()
		if err != nil {
			return err
		}
		if !ok {
			if i%2 != 0 {
				return at.errorf(0, "zset encoding holds an odd number of elements (%d)", i)
			}
			break
		}
		if i%2 == 0 {
			member = e
			continue
		}
		score, ok := e.float()
		if !ok {
			return at.errorf(0, "bad zset score %q in entry %d", e.s, i)
		}
		if err := d.charge(elemOverhead + 8); err != nil {
			return err
		}
		d.e.ZSet = append(d.e.ZSet, ZMember{Member: d.elemBytes(member), Score: score})
	}
	return d.checkUnique(len(d.e.ZSet), func(i int) []byte { return d.e.ZSet[i].Member }, "zset member")
}
