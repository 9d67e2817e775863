package server

import (
	"math"
	"math/big"
	"strconv"
	"strings"

	"github.com/cobbledb/cobble/engine"
)

var hashCommands = []*Command{
	{Name: "hset", Arity: -4, Flags: FlagWrite | FlagDenyOOM | FlagFast, Keys: oneKey, Group: "hash", Since: "2.0.0",
		Summary: "Set fields of a hash; reply with how many are new.", Run: cmdHSet},
	{Name: "hmset", Arity: -4, Flags: FlagWrite | FlagDenyOOM | FlagFast, Keys: oneKey, Group: "hash", Since: "2.0.0",
		Summary: "Set fields of a hash (older form of HSET, replies OK).", Run: cmdHSet},
	{Name: "hsetnx", Arity: 4, Flags: FlagWrite | FlagDenyOOM | FlagFast, Keys: oneKey, Group: "hash", Since: "2.0.0",
		Summary: "Set a hash field only when it does not exist.", Run: cmdHSetNX},
	{Name: "hget", Arity: 3, Flags: FlagReadOnly | FlagFast, Keys: oneKey, Group: "hash", Since: "2.0.0",
		Summary: "Return the value of a hash field.", Run: cmdHGet},
	{Name: "hmget", Arity: -3, Flags: FlagReadOnly | FlagFast, Keys: oneKey, Group: "hash", Since: "2.0.0",
		Summary: "Return the values of several hash fields.", Run: cmdHMGet},
	{Name: "hdel", Arity: -3, Flags: FlagWrite | FlagFast, Keys: oneKey, Group: "hash", Since: "2.0.0",
		Summary: "Delete hash fields; the key goes with its last field.", Run: cmdHDel},
	{Name: "hlen", Arity: 2, Flags: FlagReadOnly | FlagFast, Keys: oneKey, Group: "hash", Since: "2.0.0",
		Summary: "Return the number of fields of a hash (a kept count).", Run: cmdHLen},
	{Name: "hstrlen", Arity: 3, Flags: FlagReadOnly | FlagFast, Keys: oneKey, Group: "hash", Since: "3.2.0",
		Summary: "Return the length of a hash field's value.", Run: cmdHStrLen},
	{Name: "hexists", Arity: 3, Flags: FlagReadOnly | FlagFast, Keys: oneKey, Group: "hash", Since: "2.0.0",
		Summary: "Tell whether a hash field exists.", Run: cmdHExists},
	{Name: "hkeys", Arity: 2, Flags: FlagReadOnly, Keys: oneKey, Group: "hash", Since: "2.0.0",
		Summary: "Return every field of a hash.", Run: cmdHGetAll},
	{Name: "hvals", Arity: 2, Flags: FlagReadOnly, Keys: oneKey, Group: "hash", Since: "2.0.0",
		Summary: "Return every value of a hash.", Run: cmdHGetAll},
	{Name: "hgetall", Arity: 2, Flags: FlagReadOnly, Keys: oneKey, Group: "hash", Since: "2.0.0",
		Summary: "Return every field and value of a hash.", Run: cmdHGetAll},
	{Name: "hincrby", Arity: 4, Flags: FlagWrite | FlagDenyOOM | FlagFast, Keys: oneKey, Group: "hash", Since: "2.0.0",
		Summary: "Increment the integer value of a hash field.", Run: cmdHIncrBy},
	{Name: "hincrbyfloat", Arity: 4, Flags: FlagWrite | FlagDenyOOM | FlagFast, Keys: oneKey, Group: "hash", Since: "2.6.0",
		Summary: "Increment the float value of a hash field.", Run: cmdHIncrByFloat},
	{Name: "hscan", Arity: -3, Flags: FlagReadOnly, Keys: oneKey, Group: "hash", Since: "2.8.0",
		Summary: "Iterate the fields and values of a hash with a cursor.", Run: cmdHScan},
	{Name: "hrandfield", Arity: -2, Flags: FlagReadOnly | FlagSnapshot, Keys: oneKey, Group: "hash", Since: "6.2.0",
		Summary: "Return random fields of a hash, optionally with their values.", Run: cmdHRandField},
}

// cmdHSet serves HSET (replies with the number of new fields) and HMSET
// (replies OK).
func cmdHSet(c *Call) error {
	if len(c.Args)%2 != 0 {
		return errArity(c.Cmd.Name)
	}
	n, err := c.Txn.HSet(c.DB, c.Arg(1), c.Args[2:])
	if err != nil {
		return err
	}
	c.Notify(eventHash, "hset", c.Arg(1)) // even when no value changed, as Redis
	if c.Cmd.Name == "hmset" {
		c.Reply.OK()
	} else {
		c.Reply.Int(int64(n))
	}
	return nil
}

func cmdHSetNX(c *Call) error {
	ok, err := c.Txn.HSetNX(c.DB, c.Arg(1), c.Arg(2), c.Arg(3))
	if err != nil {
		return err
	}
	if ok {
		c.Notify(eventHash, "hset", c.Arg(1))
	}
	c.Reply.Int(b2i(ok))
	return nil
}

func cmdHGet(c *Call) error {
	v, ok, err := c.Txn.HGet(c.DB, c.Arg(1), c.Arg(2))
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

func cmdHMGet(c *Call) error {
	vals, err := c.Txn.HMGet(c.DB, c.Arg(1), c.Args[2:])
	if err != nil {
		return err
	}
	c.Reply.Array(len(vals))
	for _, v := range vals {
		if v == nil {
			c.Reply.Null()
		} else {
			c.Reply.Bulk(v)
		}
	}
	return nil
}

func cmdHDel(c *Call) error {
	n, err := c.Txn.HDel(c.DB, c.Arg(1), c.Args[2:])
	if err != nil {
		return err
	}
	if n > 0 {
		c.Notify(eventHash, "hdel", c.Arg(1))
		if err := notifyIfDeleted(c, c.Arg(1)); err != nil {
			return err
		}
	}
	c.Reply.Int(int64(n))
	return nil
}

func cmdHLen(c *Call) error {
	n, err := c.Txn.HLen(c.DB, c.Arg(1))
	if err != nil {
		return err
	}
	c.Reply.Int(n)
	return nil
}

func cmdHStrLen(c *Call) error {
	v, _, err := c.Txn.HGet(c.DB, c.Arg(1), c.Arg(2))
	if err != nil {
		return err
	}
	c.Reply.Int(int64(len(v)))
	return nil
}

func cmdHExists(c *Call) error {
	_, ok, err := c.Txn.HGet(c.DB, c.Arg(1), c.Arg(2))
	if err != nil {
		return err
	}
	c.Reply.Int(b2i(ok))
	return nil
}

// cmdHGetAll serves HGETALL (a map in RESP3), HKEYS and HVALS.
func cmdHGetAll(c *Call) error {
	name := c.Cmd.Name
	fields, vals, err := c.Txn.HGetAll(c.DB, c.Arg(1), name != "hkeys")
	if err != nil {
		return err
	}
	switch name {
	case "hkeys":
		c.Reply.BulkStrings(fields)
	case "hvals":
		c.Reply.BulkStrings(vals)
	default:
		c.Reply.Map(len(fields))
		for i := range fields {
			c.Reply.Bulk(fields[i])
			c.Reply.Bulk(vals[i])
		}
	}
	return nil
}

func cmdHIncrBy(c *Call) error {
	incr, err := c.Int(3)
	if err != nil {
		return err
	}
	key, field := c.Arg(1), c.Arg(2)
	v, ok, err := c.Txn.HGet(c.DB, key, field)
	if err != nil {
		return err
	}
	var cur int64
	if ok {
		n, good := parseStrictInt(v)
		if !good {
			return errHashNotInteger
		}
		cur = n
	}
	if (incr < 0 && cur < 0 && incr < math.MinInt64-cur) || (incr > 0 && cur > 0 && incr > math.MaxInt64-cur) {
		return errOverflow
	}
	cur += incr
	if _, err := c.Txn.HSet(c.DB, key, [][]byte{field, intArg(cur)}); err != nil {
		return err
	}
	c.Notify(eventHash, "hincrby", key)
	c.Reply.Int(cur)
	return nil
}

func cmdHIncrByFloat(c *Call) error {
	incr, ok := parseLongDouble(c.Arg(3))
	if !ok {
		return errNotFloat
	}
	if incr.IsInf() {
		return errNaNOrInfinity
	}
	key, field := c.Arg(1), c.Arg(2)
	v, found, err := c.Txn.HGet(c.DB, key, field)
	if err != nil {
		return err
	}
	sum := new(big.Float).SetPrec(longDoublePrec).Set(incr)
	if found {
		cur, ok := parseLongDouble(v)
		if !ok {
			return errHashNotFloat
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
	if _, err := c.Txn.HSet(c.DB, key, [][]byte{field, nv}); err != nil {
		return err
	}
	c.Notify(eventHash, "hincrbyfloat", key)
	// The effect is the result, so a replay does not redo float arithmetic.
	c.PropagateAs(bytesArg("HSET"), key, field, nv)
	c.Reply.Bulk(nv)
	return nil
}

// Redis adds float increments (HINCRBYFLOAT) in an x86-64 long double: a
// 64-bit mantissa and a 15-bit exponent, parsed by strtold and printed
// with 17 decimals, trailing zeros dropped. Decimal sums come out the way
// users typed them (0.1 + 0.2 is 0.3) and large ones keep their digits.
// big.Float with a 64-bit mantissa gives the same results.
const (
	longDoublePrec   = 64
	longDoubleMaxExp = 16384  // 2^16384 overflows to infinity
	longDoubleMinExp = -16444 // below the smallest subnormal: underflow
	longDoubleChars  = 5 * 1024
)

// parseLongDouble parses a float as Redis's string2ld: no leading space,
// no trailing garbage, decimal or hex digits, inf/infinity accepted, NaN,
// overflow and underflow to zero rejected.
func parseLongDouble(b []byte) (*big.Float, bool) {
	s := string(b)
	if len(s) == 0 || len(s) >= longDoubleChars || strings.ContainsAny(s[:1], " \t\n\v\f\r") {
		return nil, false
	}
	unsigned := strings.TrimPrefix(strings.TrimPrefix(s, "+"), "-")
	switch strings.ToLower(unsigned) {
	case "inf", "infinity":
		return new(big.Float).SetInf(s[0] == '-'), true
	}
	// big.ParseFloat also reads 0b/0o prefixes and '_' separators, which
	// strtold does not.
	if strings.ContainsRune(s, '_') || len(unsigned) > 1 && unsigned[0] == '0' && strings.ContainsRune("bBoO", rune(unsigned[1])) {
		return nil, false
	}
	f, _, err := big.ParseFloat(s, 0, longDoublePrec, big.ToNearestEven)
	if err != nil || f.IsInf() {
		return nil, false
	}
	if f.Sign() != 0 {
		if exp := f.MantExp(nil); exp > longDoubleMaxExp || exp < longDoubleMinExp {
			return nil, false
		}
	}
	return f, true
}

// formatLongDouble prints a result as Redis's ld2string in human mode
// (%.17Lf, trailing zeros and a trailing '.' dropped, "-0" as "0"); false
// when it overflows a long double.
func formatLongDouble(f *big.Float) ([]byte, bool) {
	if f.IsInf() || f.Sign() != 0 && f.MantExp(nil) > longDoubleMaxExp {
		return nil, false
	}
	s := f.Text('f', 17)
	if strings.ContainsRune(s, '.') {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	if s == "-0" {
		s = "0"
	}
	return []byte(s), len(s) < longDoubleChars
}

func cmdHScan(c *Call) error {
	next, fields, vals, err := elemScan(c, engine.TypeHash)
	if err != nil {
		return err
	}
	c.Reply.Array(2)
	c.Reply.BulkString(strconv.FormatUint(next, 10))
	noValues := vals == nil
	if noValues {
		c.Reply.BulkStrings(fields)
		return nil
	}
	c.Reply.Array(2 * len(fields))
	for i := range fields {
		c.Reply.Bulk(fields[i])
		c.Reply.Bulk(vals[i])
	}
	return nil
}

// elemScan parses and runs HSCAN or SSCAN: key cursor [MATCH pattern]
// [COUNT count] (and NOVALUES for HSCAN), in Redis's order: the cursor,
// then the key (a missing key answers an empty scan before any option is
// looked at), then the options. vals is nil for SSCAN and NOVALUES.
func elemScan(c *Call, typ engine.Type) (uint64, [][]byte, [][]byte, error) {
	cursor, ok := parseCursor(c.Arg(2))
	if !ok {
		return 0, nil, nil, errInvalidCursor
	}
	key := c.Arg(1)
	m, exists, err := c.Txn.Lookup(c.DB, key)
	if err != nil {
		return 0, nil, nil, err
	}
	if !exists {
		return 0, nil, nil, nil
	}
	if m.Type != typ {
		return 0, nil, nil, errWrongType
	}
	var o engine.ScanOptions
	noValues := typ != engine.TypeHash
	for i := 3; i < len(c.Args); i++ {
		opt := c.ArgLower(i)
		switch {
		case opt == "match" && i+1 < len(c.Args):
			o.Match = c.Arg(i + 1)
			if len(o.Match) == 1 && o.Match[0] == '*' {
				o.Match = nil
			}
			i++
		case opt == "count" && i+1 < len(c.Args):
			n, err := c.Int(i + 1)
			if err != nil {
				return 0, nil, nil, err
			}
			if n < 1 {
				return 0, nil, nil, errSyntax
			}
			o.Count = int(min(n, 1<<20))
			i++
		case opt == "novalues" && typ == engine.TypeHash:
			noValues = true
		default:
			return 0, nil, nil, errSyntax
		}
	}
	var next uint64
	var subs, vals [][]byte
	if typ == engine.TypeHash {
		next, subs, vals, err = c.Txn.HScan(c.DB, key, cursor, o)
	} else {
		next, subs, err = c.Txn.SScan(c.DB, key, cursor, o)
	}
	if noValues {
		vals = nil
	} else if vals == nil {
		vals = [][]byte{}
	}
	return next, subs, vals, err
}

// parseCursor reads a scan cursor as Redis's strtoul does: an optional
// sign (a negative number wraps around), then digits, at most 2^64-1.
func parseCursor(b []byte) (uint64, bool) {
	neg := false
	if len(b) > 0 && (b[0] == '-' || b[0] == '+') {
		neg = b[0] == '-'
		b = b[1:]
	}
	if len(b) == 0 || b[0] < '0' || b[0] > '9' {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		return 0, false
	}
	if neg {
		n = -n
	}
	return n, true
}

// parseRandCount parses the count of HRANDFIELD and SRANDMEMBER, with
// Redis's range (±(2^63-1)).
func parseRandCount(c *Call, i int) (int64, error) {
	n, err := c.Int(i)
	if err != nil {
		return 0, err
	}
	if n == math.MinInt64 {
		return 0, errLongRange
	}
	return n, nil
}

func cmdHRandField(c *Call) error {
	key := c.Arg(1)
	if len(c.Args) == 2 {
		fields, _, err := c.Txn.HRandField(c.DB, key, 1)
		if err != nil {
			return err
		}
		if len(fields) == 0 {
			c.Reply.Null()
		} else {
			c.Reply.Bulk(fields[0])
		}
		return nil
	}
	count, err := parseRandCount(c, 2)
	if err != nil {
		return err
	}
	withValues := false
	switch {
	case len(c.Args) > 4 || (len(c.Args) == 4 && c.ArgLower(3) != "withvalues"):
		return errSyntax
	case len(c.Args) == 4:
		withValues = true
		if count < -math.MaxInt64/2 || count > math.MaxInt64/2 {
			return errValueRange
		}
	}
	fields, vals, err := c.Txn.HRandField(c.DB, key, count)
	if err != nil {
		return err
	}
	switch {
	case !withValues:
		c.Reply.BulkStrings(fields)
	case c.Reply.resp3():
		// RESP3: an array of [field, value] pairs.
		c.Reply.Array(len(fields))
		for i := range fields {
			c.Reply.Array(2)
			c.Reply.Bulk(fields[i])
			c.Reply.Bulk(vals[i])
		}
	default:
		c.Reply.Array(2 * len(fields))
		for i := range fields {
			c.Reply.Bulk(fields[i])
			c.Reply.Bulk(vals[i])
		}
	}
	return nil
}
