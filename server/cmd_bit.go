package server

import (
	"math/bits"

	"github.com/cobbledb/cobble/server/config"
)

var bitCommands = []*Command{
	{Name: "setbit", Arity: 4, Flags: FlagWrite | FlagDenyOOM, Keys: oneKey, Group: "bitmap", Since: "2.2.0",
		Summary: "Set or clear one bit of a string value.", Run: cmdSetBit},
	{Name: "getbit", Arity: 3, Flags: FlagReadOnly | FlagFast, Keys: oneKey, Group: "bitmap", Since: "2.2.0",
		Summary: "Return one bit of a string value.", Run: cmdGetBit},
	{Name: "bitcount", Arity: -2, Flags: FlagReadOnly, Keys: oneKey, Group: "bitmap", Since: "2.6.0",
		Summary: "Count the set bits of a string value, optionally in a range.", Run: cmdBitCount},
	{Name: "bitpos", Arity: -3, Flags: FlagReadOnly, Keys: oneKey, Group: "bitmap", Since: "2.8.7",
		Summary: "Find the first set or clear bit of a string value.", Run: cmdBitPos},
	{Name: "bitop", Arity: -4, Flags: FlagWrite | FlagDenyOOM, Keys: KeySpec{First: 2, Last: -1, Step: 1}, Group: "bitmap", Since: "2.6.0",
		Summary: "Combine string values bitwise (AND, OR, XOR, NOT) into a key.", Run: cmdBitOp},
}

// maxBitOffset is Redis's limit: a bitmap of at most 512 MB.
const maxBitOffset = 4*1024*1024*1024 - 1

func bitOffset(c *Call, i int) (int64, error) {
	n, ok := parseStrictInt(c.Arg(i))
	if !ok || n < 0 || n > maxBitOffset {
		return 0, errBitOffset
	}
	return n, nil
}

func cmdSetBit(c *Call) error {
	off, err := bitOffset(c, 2)
	if err != nil {
		return err
	}
	on := string(c.Arg(3))
	if on != "0" && on != "1" {
		return errBitValue
	}
	key := c.Arg(1)
	v, exists, err := c.Txn.GetString(c.DB, key)
	if err != nil {
		return err
	}
	if byteIdx := off >> 3; byteIdx+1 > c.maxStringLen() {
		return errStringTooLong
	}
	byteIdx := int(off >> 3)
	size := max(len(v), byteIdx+1)
	nv := make([]byte, size)
	copy(nv, v)
	mask := byte(1) << (7 - uint(off&7))
	old := int64(0)
	if nv[byteIdx]&mask != 0 {
		old = 1
	}
	if on == "1" {
		nv[byteIdx] |= mask
	} else {
		nv[byteIdx] &^= mask
	}
	if _, _, err := c.Txn.SetString(c.DB, key, nv, setOpts(expireOpts{keepTTL: exists})); err != nil {
		return err
	}
	c.Notify(config.EventString, "setbit", key)
	c.Reply.Int(old)
	return nil
}

func cmdGetBit(c *Call) error {
	off, err := bitOffset(c, 2)
	if err != nil {
		return err
	}
	v, _, err := c.Txn.GetString(c.DB, c.Arg(1))
	if err != nil {
		return err
	}
	idx := off >> 3
	if idx >= int64(len(v)) {
		c.Reply.Int(0)
		return nil
	}
	c.Reply.Int(int64(v[idx]>>(7-uint(off&7))) & 1)
	return nil
}

// bitRange parses BITCOUNT/BITPOS's start end [BYTE|BIT] and turns it into
// a bit range [first, last] of v, or ok=false when it is empty.
func bitRange(c *Call, from int, n int64, needEnd bool) (first, last int64, endGiven, ok bool, err error) {
	isBit := false
	args := c.Args[from:]
	if len(args) == 0 {
		return 0, n*8 - 1, false, n > 0, nil
	}
	if len(args) > 3 || (needEnd && len(args) == 1) {
		return 0, 0, false, false, errSyntax
	}
	start, err := c.Int(from)
	if err != nil {
		return 0, 0, false, false, err
	}
	end := int64(-1)
	if len(args) >= 2 {
		endGiven = true
		if end, err = c.Int(from + 1); err != nil {
			return 0, 0, false, false, err
		}
	}
	if len(args) == 3 {
		switch c.ArgLower(from + 2) {
		case "bit":
			isBit = true
		case "byte":
		default:
			return 0, 0, false, false, errSyntax
		}
	}
	total := n
	if isBit {
		total = n * 8
	}
	if start < 0 {
		start += total
	}
	if end < 0 {
		end += total
	}
	start = max(start, 0)
	end = max(end, 0)
	end = min(end, total-1)
	if start > end || total == 0 {
		return 0, 0, endGiven, false, nil
	}
	if isBit {
		return start, end, endGiven, true, nil
	}
	return start * 8, end*8 + 7, endGiven, true, nil
}

func bitAt(v []byte, i int64) byte { return (v[i>>3] >> (7 - uint(i&7))) & 1 }

func cmdBitCount(c *Call) error {
	v, _, err := c.Txn.GetString(c.DB, c.Arg(1))
	if err != nil {
		return err
	}
	first, last, _, ok, err := bitRange(c, 2, int64(len(v)), true)
	if err != nil {
		return err
	}
	if !ok {
		c.Reply.Int(0)
		return nil
	}
	var cnt int64
	i := first
	for ; i <= last && i&7 != 0; i++ {
		cnt += int64(bitAt(v, i))
	}
	for ; i+7 <= last; i += 8 {
		cnt += int64(bits.OnesCount8(v[i>>3]))
	}
	for ; i <= last; i++ {
		cnt += int64(bitAt(v, i))
	}
	c.Reply.Int(cnt)
	return nil
}

func cmdBitPos(c *Call) error {
	b := string(c.Arg(2))
	if b != "0" && b != "1" {
		return errf("The bit argument must be 1 or 0.")
	}
	want := byte(b[0] - '0')
	v, exists, err := c.Txn.GetString(c.DB, c.Arg(1))
	if err != nil {
		return err
	}
	first, last, endGiven, ok, err := bitRange(c, 3, int64(len(v)), false)
	if err != nil {
		return err
	}
	if !exists {
		if want == 1 {
			c.Reply.Int(-1)
		} else {
			c.Reply.Int(0)
		}
		return nil
	}
	if !ok {
		c.Reply.Int(-1)
		return nil
	}
	for i := first; i <= last; i++ {
		if i&7 == 0 && i+7 <= last {
			skip := byte(0x00)
			if want == 0 {
				skip = 0xff
			}
			if v[i>>3] == skip {
				i += 7
				continue
			}
		}
		if bitAt(v, i) == want {
			c.Reply.Int(i)
			return nil
		}
	}
	// Looking for a clear bit with no end given: the string is virtually
	// padded with zeros, so the answer is the first bit after it.
	if want == 0 && !endGiven {
		c.Reply.Int(last + 1)
		return nil
	}
	c.Reply.Int(-1)
	return nil
}

func cmdBitOp(c *Call) error {
	op := c.ArgLower(1)
	switch op {
	case "and", "or", "xor", "not":
	default:
		return errSyntax
	}
	srcs := c.Args[3:]
	if op == "not" && len(srcs) != 1 {
		return errf("BITOP NOT must be called with a single source key.")
	}
	vals := make([][]byte, len(srcs))
	maxLen := 0
	for i, k := range srcs {
		v, _, err := c.Txn.GetString(c.DB, k)
		if err != nil {
			return err
		}
		vals[i] = v
		maxLen = max(maxLen, len(v))
	}
	res := make([]byte, maxLen)
	for j := range maxLen {
		var acc byte
		for i, v := range vals {
			var x byte
			if j < len(v) {
				x = v[j]
			}
			switch {
			case i == 0 && op == "not":
				acc = ^x
			case i == 0:
				acc = x
			case op == "and":
				acc &= x
			case op == "or":
				acc |= x
			case op == "xor":
				acc ^= x
			}
		}
		res[j] = acc
	}
	dst := c.Arg(2)
	if maxLen == 0 {
		if _, err := c.Txn.Delete(c.DB, dst); err != nil {
			return err
		}
		c.Reply.Int(0)
		return nil
	}
	if _, _, err := c.Txn.SetString(c.DB, dst, res, setOpts(expireOpts{})); err != nil {
		return err
	}
	c.Notify(config.EventString, "set", dst)
	c.Reply.Int(int64(maxLen))
	return nil
}
