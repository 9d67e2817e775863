package server

import (
	"errors"
	"math"
	"math/big"

	"github.com/cobbledb/cobble/engine"
	"github.com/cobbledb/cobble/server/config"
)

var stringCommands = []*Command{
	{Name: "get", Arity: 2, Flags: FlagReadOnly | FlagFast, Keys: oneKey, Group: "string", Since: "1.0.0",
		Summary: "Return the string value of a key.", Run: cmdGet},
	{Name: "set", Arity: -3, Flags: FlagWrite | FlagDenyOOM, Keys: oneKey, Group: "string", Since: "1.0.0",
		Summary: "Set the string value of a key, with optional expiry and conditions.", Run: cmdSet},
	{Name: "setnx", Arity: 3, Flags: FlagWrite | FlagDenyOOM | FlagFast, Keys: oneKey, Group: "string", Since: "1.0.0",
		Summary: "Set a key only when it does not exist.", Run: cmdSetNX},
	{Name: "setex", Arity: 4, Flags: FlagWrite | FlagDenyOOM, Keys: oneKey, Group: "string", Since: "2.0.0",
		Summary: "Set a key with a TTL in seconds.", Run: cmdSetEx},
	{Name: "psetex", Arity: 4, Flags: FlagWrite | FlagDenyOOM, Keys: oneKey, Group: "string", Since: "2.6.0",
		Summary: "Set a key with a TTL in milliseconds.", Run: cmdSetEx},
	{Name: "getset", Arity: 3, Flags: FlagWrite | FlagDenyOOM | FlagFast, Keys: oneKey, Group: "string", Since: "1.0.0",
		Summary: "Set a key and return its old value.", Run: cmdGetSet},
	{Name: "getdel", Arity: 2, Flags: FlagWrite | FlagFast, Keys: oneKey, Group: "string", Since: "6.2.0",
		Summary: "Return a string value and delete its key.", Run: cmdGetDel},
	{Name: "getex", Arity: -2, Flags: FlagWrite | FlagFast, Keys: oneKey, Group: "string", Since: "6.2.0",
		Summary: "Return a string value and change its TTL.", Run: cmdGetEx},
	{Name: "mget", Arity: -2, Flags: FlagReadOnly | FlagFast, Keys: allKeys, Group: "string", Since: "1.0.0",
		Summary: "Return the values of several keys.", Run: cmdMGet},
	{Name: "mset", Arity: -3, Flags: FlagWrite | FlagDenyOOM, Keys: pairKeys, Group: "string", Since: "1.0.1",
		Summary: "Set several keys at once.", Run: cmdMSet},
	{Name: "msetnx", Arity: -3, Flags: FlagWrite | FlagDenyOOM, Keys: pairKeys, Group: "string", Since: "1.0.1",
		Summary: "Set several keys only when none of them exists.", Run: cmdMSetNX},
	{Name: "append", Arity: 3, Flags: FlagWrite | FlagDenyOOM | FlagFast, Keys: oneKey, Group: "string", Since: "2.0.0",
		Summary: "Append to a string value.", Run: cmdAppend},
	{Name: "strlen", Arity: 2, Flags: FlagReadOnly | FlagFast, Keys: oneKey, Group: "string", Since: "2.2.0",
		Summary: "Return the length of a string value.", Run: cmdStrlen},
	{Name: "incr", Arity: 2, Flags: FlagWrite | FlagDenyOOM | FlagFast, Keys: oneKey, Group: "string", Since: "1.0.0",
		Summary: "Increment an integer value by one.", Run: cmdIncrFamily},
	{Name: "decr", Arity: 2, Flags: FlagWrite | FlagDenyOOM | FlagFast, Keys: oneKey, Group: "string", Since: "1.0.0",
		Summary: "Decrement an integer value by one.", Run: cmdIncrFamily},
	{Name: "incrby", Arity: 3, Flags: FlagWrite | FlagDenyOOM | FlagFast, Keys: oneKey, Group: "string", Since: "1.0.0",
		Summary: "Increment an integer value.", Run: cmdIncrFamily},
	{Name: "decrby", Arity: 3, Flags: FlagWrite | FlagDenyOOM | FlagFast, Keys: oneKey, Group: "string", Since: "1.0.0",
		Summary: "Decrement an integer value.", Run: cmdIncrFamily},
	{Name: "incrbyfloat", Arity: 3, Flags: FlagWrite | FlagDenyOOM | FlagFast, Keys: oneKey, Group: "string", Since: "2.6.0",
		Summary: "Increment a float value.", Run: cmdIncrByFloat},
	{Name: "getrange", Arity: 4, Flags: FlagReadOnly, Keys: oneKey, Group: "string", Since: "2.4.0",
		Summary: "Return a substring of a string value.", Run: cmdGetRange},
	{Name: "substr", Arity: 4, Flags: FlagReadOnly, Keys: oneKey, Group: "string", Since: "1.0.0",
		Summary: "Return a substring of a string value (old name of GETRANGE).", Run: cmdGetRange},
	{Name: "setrange", Arity: 4, Flags: FlagWrite | FlagDenyOOM, Keys: oneKey, Group: "string", Since: "2.2.0",
		Summary: "Overwrite part of a string value.", Run: cmdSetRange},
	{Name: "lcs", Arity: -3, Flags: FlagReadOnly, Keys: twoKeys, Group: "string", Since: "7.0.0",
		Summary: "Return the longest common subsequence of two strings, its length or where it matches.", Run: cmdLCS},
}

func cmdGet(c *Call) error {
	v, ok, err := c.Txn.GetString(c.DB, c.Arg(1))
	if err != nil {
		return err
	}
	c.Srv.hit(ok)
	if !ok {
		c.Reply.Null()
		return nil
	}
	c.Reply.Bulk(v)
	return nil
}

// setArgs are SET's options after key and value.
type setArgs struct {
	nx, xx, get bool
	exp         expireOpts
}

func parseSetArgs(c *Call, from int) (setArgs, error) {
	var a setArgs
	for i := from; i < len(c.Args); i++ {
		opt := c.ArgLower(i)
		switch {
		case opt == "nx" && !a.xx:
			a.nx = true
		case opt == "xx" && !a.nx:
			a.xx = true
		case opt == "get":
			a.get = true
		case opt == "keepttl" && !a.exp.set:
			a.exp.keepTTL = true
		case isExpireUnit(opt) && !a.exp.set && !a.exp.keepTTL && i+1 < len(c.Args):
			at, err := parseExpireArg("set", opt, c.Args[i+1], c.Txn.Now())
			if err != nil {
				return a, err
			}
			a.exp.atMs, a.exp.set = at, true
			i++
		default:
			return a, errSyntax
		}
	}
	return a, nil
}

func cmdSet(c *Call) error {
	a, err := parseSetArgs(c, 3)
	if err != nil {
		return err
	}
	key, val := c.Arg(1), c.Arg(2)
	old, exists, err := c.Txn.Lookup(c.DB, key)
	if err != nil {
		return err
	}
	if a.get && exists && old.Type != engine.TypeString {
		return errWrongType
	}
	if (a.nx && exists) || (a.xx && !exists) {
		if a.get {
			replyOldValue(c, old, exists)
		} else {
			c.Reply.Null()
		}
		return nil
	}
	if _, _, err := c.Txn.SetString(c.DB, key, val, setOpts(a.exp)); err != nil {
		return err
	}
	propagateSet(c, key, val, a.exp)
	notifySet(c, key, a.exp)
	if a.get {
		replyOldValue(c, old, exists)
	} else {
		c.Reply.OK()
	}
	return nil
}

func replyOldValue(c *Call, old engine.Meta, exists bool) {
	if exists {
		c.Reply.Bulk(old.Value)
	} else {
		c.Reply.Null()
	}
}

// propagateSet logs SET with an absolute PXAT (or KEEPTTL), as Redis 7
// propagates SET/SETEX/PSETEX, so a replay or a replica gets the same TTL.
func propagateSet(c *Call, key, val []byte, e expireOpts) {
	switch {
	case e.set:
		c.PropagateAs(bytesArg("SET"), key, val, bytesArg("PXAT"), intArg(e.atMs))
	case e.keepTTL:
		c.PropagateAs(bytesArg("SET"), key, val, bytesArg("KEEPTTL"))
	default:
		c.PropagateAs(bytesArg("SET"), key, val)
	}
}

func cmdSetNX(c *Call) error {
	_, exists, err := c.Txn.Lookup(c.DB, c.Arg(1))
	if err != nil {
		return err
	}
	if exists {
		c.Reply.Int(0)
		return nil
	}
	if _, _, err := c.Txn.SetString(c.DB, c.Arg(1), c.Arg(2), setOpts(expireOpts{})); err != nil {
		return err
	}
	propagateSet(c, c.Arg(1), c.Arg(2), expireOpts{})
	notifySet(c, c.Arg(1), expireOpts{})
	c.Reply.Int(1)
	return nil
}

func cmdSetEx(c *Call) error {
	unit := "ex"
	if c.ArgLower(0) == "psetex" {
		unit = "px"
	}
	at, err := parseExpireArg(c.ArgLower(0), unit, c.Arg(2), c.Txn.Now())
	if err != nil {
		return err
	}
	e := expireOpts{atMs: at, set: true}
	if _, _, err := c.Txn.SetString(c.DB, c.Arg(1), c.Arg(3), setOpts(e)); err != nil {
		return err
	}
	propagateSet(c, c.Arg(1), c.Arg(3), e)
	notifySet(c, c.Arg(1), e)
	c.Reply.OK()
	return nil
}

func cmdGetSet(c *Call) error {
	old, exists, err := c.Txn.Lookup(c.DB, c.Arg(1))
	if err != nil {
		return err
	}
	if exists && old.Type != engine.TypeString {
		return errWrongType
	}
	if _, _, err := c.Txn.SetString(c.DB, c.Arg(1), c.Arg(2), setOpts(expireOpts{})); err != nil {
		return err
	}
	propagateSet(c, c.Arg(1), c.Arg(2), expireOpts{})
	notifySet(c, c.Arg(1), expireOpts{})
	replyOldValue(c, old, exists)
	return nil
}

func cmdGetDel(c *Call) error {
	key := c.Arg(1)
	v, ok, err := c.Txn.GetString(c.DB, key)
	if err != nil {
		return err
	}
	if !ok {
		c.Reply.Null()
		return nil
	}
	if _, err := c.Txn.Delete(c.DB, key); err != nil {
		return err
	}
	c.PropagateAs(bytesArg("DEL"), key)
	c.Notify(config.EventGeneric, "del", key)
	c.Reply.Bulk(v)
	return nil
}

func cmdGetEx(c *Call) error {
	var e expireOpts
	for i := 2; i < len(c.Args); i++ {
		opt := c.ArgLower(i)
		switch {
		case opt == "persist" && !e.set && !e.persist:
			e.persist = true
		case isExpireUnit(opt) && !e.set && !e.persist && i+1 < len(c.Args):
			at, err := parseExpireArg("getex", opt, c.Args[i+1], c.Txn.Now())
			if err != nil {
				return err
			}
			e.atMs, e.set = at, true
			i++
		default:
			return errSyntax
		}
	}
	key := c.Arg(1)
	v, ok, err := c.Txn.GetString(c.DB, key)
	if err != nil {
		return err
	}
	if !ok {
		c.Reply.Null()
		return nil
	}
	switch {
	case e.set && e.atMs <= c.Txn.Now():
		if _, err := c.Txn.Delete(c.DB, key); err != nil {
			return err
		}
		c.PropagateAs(bytesArg("DEL"), key)
		c.Notify(config.EventGeneric, "del", key)
	case e.set:
		if _, err := c.Txn.SetExpireAt(c.DB, key, e.atMs); err != nil {
			return err
		}
		c.PropagateAs(bytesArg("PEXPIREAT"), key, intArg(e.atMs))
		c.Notify(config.EventGeneric, "expire", key)
	case e.persist:
		if ok, err := c.Txn.Persist(c.DB, key); err != nil {
			return err
		} else if ok {
			c.PropagateAs(bytesArg("PERSIST"), key)
			c.Notify(config.EventGeneric, "persist", key)
		} else {
			c.NoPropagate()
		}
	default:
		c.NoPropagate()
	}
	c.Reply.Bulk(v)
	return nil
}

func cmdMGet(c *Call) error {
	vals := make([][]byte, len(c.Args)-1)
	found := make([]bool, len(vals))
	for i := range vals {
		v, ok, err := c.Txn.GetString(c.DB, c.Arg(i+1))
		if err != nil && !errors.Is(err, engine.ErrWrongType) {
			return err
		}
		vals[i], found[i] = v, ok && err == nil
	}
	c.Reply.Array(len(vals))
	for i, v := range vals {
		if found[i] {
			c.Reply.Bulk(v)
		} else {
			c.Reply.Null()
		}
	}
	return nil
}

func cmdMSet(c *Call) error {
	if len(c.Args)%2 != 1 {
		return errArity(c.Cmd.Name)
	}
	for i := 1; i < len(c.Args); i += 2 {
		if _, _, err := c.Txn.SetString(c.DB, c.Arg(i), c.Arg(i+1), setOpts(expireOpts{})); err != nil {
			return err
		}
		c.Notify(config.EventString, "set", c.Arg(i))
	}
	c.Reply.OK()
	return nil
}

func cmdMSetNX(c *Call) error {
	if len(c.Args)%2 != 1 {
		return errArity(c.Cmd.Name)
	}
	for i := 1; i < len(c.Args); i += 2 {
		if _, exists, err := c.Txn.Lookup(c.DB, c.Arg(i)); err != nil {
			return err
		} else if exists {
			c.Reply.Int(0)
			return nil
		}
	}
	for i := 1; i < len(c.Args); i += 2 {
		if _, _, err := c.Txn.SetString(c.DB, c.Arg(i), c.Arg(i+1), setOpts(expireOpts{})); err != nil {
			return err
		}
		c.Notify(config.EventString, "set", c.Arg(i))
	}
	c.Reply.Int(1)
	return nil
}

// maxStringLen is the longest string a command may build (proto-max-bulk-len).
func (c *Call) maxStringLen() int64 { return c.Srv.cfg.Bytes("proto-max-bulk-len") }

func cmdAppend(c *Call) error {
	key := c.Arg(1)
	v, ok, err := c.Txn.GetString(c.DB, key)
	if err != nil {
		return err
	}
	if int64(len(v)+len(c.Arg(2))) > c.maxStringLen() {
		return errStringTooLong
	}
	nv := make([]byte, 0, len(v)+len(c.Arg(2)))
	nv = append(append(nv, v...), c.Arg(2)...)
	if _, _, err := c.Txn.SetString(c.DB, key, nv, setOpts(expireOpts{keepTTL: ok})); err != nil {
		return err
	}
	c.Notify(config.EventString, "append", key)
	c.Reply.Int(int64(len(nv)))
	return nil
}

func cmdStrlen(c *Call) error {
	v, _, err := c.Txn.GetString(c.DB, c.Arg(1))
	if err != nil {
		return err
	}
	c.Reply.Int(int64(len(v)))
	return nil
}

func cmdIncrFamily(c *Call) error {
	var delta int64 = 1
	name := c.ArgLower(0)
	if name == "incrby" || name == "decrby" {
		d, err := c.Int(2)
		if err != nil {
			return err
		}
		delta = d
	}
	if name == "decr" || name == "decrby" {
		if delta == math.MinInt64 {
			return errf("decrement would overflow")
		}
		delta = -delta
	}
	key := c.Arg(1)
	v, ok, err := c.Txn.GetString(c.DB, key)
	if err != nil {
		return err
	}
	var cur int64
	if ok {
		n, good := parseStrictInt(v)
		if !good {
			return errNotInteger
		}
		cur = n
	}
	if (delta < 0 && cur < 0 && delta < math.MinInt64-cur) || (delta > 0 && cur > 0 && delta > math.MaxInt64-cur) {
		return errOverflow
	}
	cur += delta
	if _, _, err := c.Txn.SetString(c.DB, key, intArg(cur), setOpts(expireOpts{keepTTL: true})); err != nil {
		return err
	}
	c.Notify(config.EventString, "incrby", key)
	c.Reply.Int(cur)
	return nil
}

func cmdIncrByFloat(c *Call) error {
	// Long-double arithmetic, as Redis: 0.1 + 0.2 is 0.3 (see cmd_hash.go).
	incr, ok := parseLongDouble(c.Arg(2))
	if !ok {
		return errNotFloat
	}
	if incr.IsInf() {
		return errNaN
	}
	key := c.Arg(1)
	v, found, err := c.Txn.GetString(c.DB, key)
	if err != nil {
		return err
	}
	sum := new(big.Float).SetPrec(longDoublePrec).Set(incr)
	if found {
		cur, good := parseLongDouble(v)
		if !good {
			return errNotFloat
		}
		if cur.IsInf() {
			return errNaN
		}
		sum.Add(sum, cur)
	}
	nv, ok := formatLongDouble(sum)
	if !ok {
		return errNaN
	}
	if _, _, err := c.Txn.SetString(c.DB, key, nv, setOpts(expireOpts{keepTTL: true})); err != nil {
		return err
	}
	// The effect is the result, so a replay does not redo float arithmetic.
	c.PropagateAs(bytesArg("SET"), key, nv, bytesArg("KEEPTTL"))
	c.Notify(config.EventString, "incrbyfloat", key)
	c.Reply.Bulk(nv)
	return nil
}

func cmdGetRange(c *Call) error {
	start, err := c.Int(2)
	if err != nil {
		return err
	}
	end, err := c.Int(3)
	if err != nil {
		return err
	}
	v, _, err := c.Txn.GetString(c.DB, c.Arg(1))
	if err != nil {
		return err
	}
	n := int64(len(v))
	if start < 0 && end < 0 && start > end {
		c.Reply.BulkString("")
		return nil
	}
	if start < 0 {
		start = max(n+start, 0)
	}
	if end < 0 {
		end = max(n+end, 0)
	}
	end = min(end, n-1)
	if start > end || n == 0 {
		c.Reply.BulkString("")
		return nil
	}
	c.Reply.Bulk(v[start : end+1])
	return nil
}

func cmdSetRange(c *Call) error {
	off, err := c.Int(2)
	if err != nil {
		return err
	}
	if off < 0 {
		return errOffsetRange
	}
	key, val := c.Arg(1), c.Arg(3)
	v, ok, err := c.Txn.GetString(c.DB, key)
	if err != nil {
		return err
	}
	if len(val) == 0 {
		c.Reply.Int(int64(len(v)))
		c.NoPropagate()
		return nil
	}
	if off > c.maxStringLen()-int64(len(val)) { // off+len could overflow
		return errStringTooLong
	}
	size := max(int64(len(v)), off+int64(len(val)))
	nv := make([]byte, size)
	copy(nv, v)
	copy(nv[off:], val)
	if _, _, err := c.Txn.SetString(c.DB, key, nv, setOpts(expireOpts{keepTTL: ok})); err != nil {
		return err
	}
	c.Notify(config.EventString, "setrange", key)
	c.Reply.Int(size)
	return nil
}

// notifySet raises SET's events: "set", and "expire" when it set a TTL.
func notifySet(c *Call, key []byte, e expireOpts) {
	c.Notify(config.EventString, "set", key)
	if e.set {
		c.Notify(config.EventGeneric, "expire", key)
	}
}

// setOpts maps parsed expiry options to the engine's.
func setOpts(e expireOpts) engine.SetOptions {
	return engine.SetOptions{ExpireAt: e.atMs, KeepTTL: e.keepTTL}
}

// lcsString reads one of LCS's keys: a missing key is an empty string.
func lcsString(c *Call, key []byte) ([]byte, error) {
	m, ok, err := c.Txn.Lookup(c.DB, key)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, nil
	case m.Type != engine.TypeString:
		return nil, errLCSNotString
	}
	return m.Value, nil
}

// lcsMatch is one run of the common subsequence: [aStart, aEnd] in the
// first string matches [bStart, bEnd] in the second.
type lcsMatch struct{ aStart, aEnd, bStart, bEnd int }

// cmdLCS serves LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]
// as Redis's lcsCommand: the keys' types are checked before the options,
// the table is the classic O(len1*len2) one, bounded by
// proto-max-bulk-len, and IDX reports the matching runs from the end of
// the strings backward.
func cmdLCS(c *Call) error {
	a, err := lcsString(c, c.Arg(1))
	if err != nil {
		return err
	}
	b, err := lcsString(c, c.Arg(2))
	if err != nil {
		return err
	}
	var getLen, getIdx, withMatchLen bool
	var minMatchLen int64
	for i := 3; i < len(c.Args); i++ {
		switch opt := c.ArgLower(i); {
		case opt == "idx":
			getIdx = true
		case opt == "len":
			getLen = true
		case opt == "withmatchlen":
			withMatchLen = true
		case opt == "minmatchlen" && i+1 < len(c.Args):
			n, err := c.Int(i + 1)
			if err != nil {
				return err
			}
			minMatchLen = max(n, 0)
			i++
		default:
			return errSyntax
		}
	}
	if getLen && getIdx {
		return errLCSLenAndIdx
	}
	if len(a) >= math.MaxUint32-1 || len(b) >= math.MaxUint32-1 {
		return errLCSTooLong
	}
	cols := len(b) + 1
	if size := int64(len(a)+1) * int64(cols) * 4; size > c.maxStringLen() {
		return errLCSMemory
	}
	// lcs[i*cols+j] is the LCS length of a[:i] and b[:j].
	lcs := make([]uint32, (len(a)+1)*cols)
	for i := 1; i <= len(a); i++ {
		for j := 1; j <= len(b); j++ {
			if a[i-1] == b[j-1] {
				lcs[i*cols+j] = lcs[(i-1)*cols+j-1] + 1
			} else {
				lcs[i*cols+j] = max(lcs[(i-1)*cols+j], lcs[i*cols+j-1])
			}
		}
	}
	total := lcs[len(a)*cols+len(b)]
	if getLen {
		c.Reply.Int(int64(total))
		return nil
	}
	// Walk back from the end, building the subsequence and its runs.
	result := make([]byte, total)
	var matches []lcsMatch
	idx := int(total)
	cur, open := lcsMatch{}, false
	for i, j := len(a), len(b); i > 0 && j > 0; {
		emit := false
		if a[i-1] == b[j-1] {
			result[idx-1] = a[i-1]
			switch {
			case !open:
				cur, open = lcsMatch{i - 1, i - 1, j - 1, j - 1}, true
			case cur.aStart == i && cur.bStart == j:
				cur.aStart--
				cur.bStart--
			default:
				emit = true
			}
			if cur.aStart == 0 || cur.bStart == 0 {
				emit = true
			}
			idx, i, j = idx-1, i-1, j-1
		} else {
			if lcs[(i-1)*cols+j] > lcs[i*cols+j-1] {
				i--
			} else {
				j--
			}
			emit = open
		}
		if emit {
			if n := int64(cur.aEnd - cur.aStart + 1); minMatchLen == 0 || n >= minMatchLen {
				matches = append(matches, cur)
			}
			open = false
		}
	}
	if !getIdx {
		c.Reply.Bulk(result)
		return nil
	}
	r := c.Reply
	r.Map(2)
	r.BulkString("matches")
	r.Array(len(matches))
	for _, m := range matches {
		if withMatchLen {
			r.Array(3)
		} else {
			r.Array(2)
		}
		r.Array(2)
		r.Int(int64(m.aStart))
		r.Int(int64(m.aEnd))
		r.Array(2)
		r.Int(int64(m.bStart))
		r.Int(int64(m.bEnd))
		if withMatchLen {
			r.Int(int64(m.aEnd - m.aStart + 1))
		}
	}
	r.BulkString("len")
	r.Int(int64(total))
	return nil
}
