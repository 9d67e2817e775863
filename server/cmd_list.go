package server

import (
	"errors"
	"strings"

	"github.com/cobbledb/cobble/engine"
)

// mpopKeys finds the keys of LMPOP/ZMPOP-style commands: a numkeys argument
// at index numkeysAt followed by that many keys (clamped to the arguments
// present; the handler reports a bad numkeys).
func mpopKeys(numkeysAt int) func(args [][]byte) []int {
	return func(args [][]byte) []int {
		if numkeysAt >= len(args) {
			return nil
		}
		n, ok := parseStrictInt(args[numkeysAt])
		if !ok || n < 1 {
			return nil
		}
		var pos []int
		for i := numkeysAt + 1; i < len(args) && int64(i-numkeysAt) <= n; i++ {
			pos = append(pos, i)
		}
		return pos
	}
}

var listCommands = []*Command{
	{Name: "lpush", Arity: -3, Flags: FlagWrite | FlagDenyOOM | FlagFast, Keys: oneKey, Group: "list", Since: "1.0.0",
		Summary: "Prepend elements to a list, creating it if needed.", Run: cmdPush},
	{Name: "rpush", Arity: -3, Flags: FlagWrite | FlagDenyOOM | FlagFast, Keys: oneKey, Group: "list", Since: "1.0.0",
		Summary: "Append elements to a list, creating it if needed.", Run: cmdPush},
	{Name: "lpushx", Arity: -3, Flags: FlagWrite | FlagDenyOOM | FlagFast, Keys: oneKey, Group: "list", Since: "2.2.0",
		Summary: "Prepend elements to a list only when it exists.", Run: cmdPush},
	{Name: "rpushx", Arity: -3, Flags: FlagWrite | FlagDenyOOM | FlagFast, Keys: oneKey, Group: "list", Since: "2.2.0",
		Summary: "Append elements to a list only when it exists.", Run: cmdPush},
	{Name: "lpop", Arity: -2, Flags: FlagWrite | FlagFast, Keys: oneKey, Group: "list", Since: "1.0.0",
		Summary: "Remove and return elements from the head of a list.", Run: cmdPop},
	{Name: "rpop", Arity: -2, Flags: FlagWrite | FlagFast, Keys: oneKey, Group: "list", Since: "1.0.0",
		Summary: "Remove and return elements from the tail of a list.", Run: cmdPop},
	{Name: "llen", Arity: 2, Flags: FlagReadOnly | FlagFast, Keys: oneKey, Group: "list", Since: "1.0.0",
		Summary: "Return the length of a list (one metadata read).", Run: cmdLLen},
	{Name: "lrange", Arity: 4, Flags: FlagReadOnly | FlagSnapshot, Keys: oneKey, Group: "list", Since: "1.0.0",
		Summary: "Return a range of elements of a list.", Run: cmdLRange},
	{Name: "lindex", Arity: 3, Flags: FlagReadOnly | FlagSnapshot, Keys: oneKey, Group: "list", Since: "1.0.0",
		Summary: "Return the element at an index of a list (a point read).", Run: cmdLIndex},
	{Name: "lset", Arity: 4, Flags: FlagWrite | FlagDenyOOM, Keys: oneKey, Group: "list", Since: "1.0.0",
		Summary: "Replace the element at an index of a list (a point write).", Run: cmdLSet},
	{Name: "linsert", Arity: 5, Flags: FlagWrite | FlagDenyOOM, Keys: oneKey, Group: "list", Since: "2.2.0",
		Summary: "Insert an element before or after another one in a list.", Run: cmdLInsert},
	{Name: "lrem", Arity: 4, Flags: FlagWrite, Keys: oneKey, Group: "list", Since: "1.0.0",
		Summary: "Remove elements equal to a value from a list.", Run: cmdLRem},
	{Name: "ltrim", Arity: 4, Flags: FlagWrite, Keys: oneKey, Group: "list", Since: "1.0.0",
		Summary: "Keep only a range of a list (the dropped ends are range deletes).", Run: cmdLTrim},
	{Name: "lpos", Arity: -3, Flags: FlagReadOnly | FlagSnapshot, Keys: oneKey, Group: "list", Since: "6.0.6",
		Summary: "Return the indexes of elements equal to a value in a list.", Run: cmdLPos},
	{Name: "lmove", Arity: 5, Flags: FlagWrite | FlagDenyOOM, Keys: twoKeys, Group: "list", Since: "6.2.0",
		Summary: "Pop an element from one list and push it onto another.", Run: cmdLMove},
	{Name: "rpoplpush", Arity: 3, Flags: FlagWrite | FlagDenyOOM, Keys: twoKeys, Group: "list", Since: "1.2.0",
		Summary: "Pop the tail of one list and push it onto the head of another.", Run: cmdLMove},
	{Name: "lmpop", Arity: -4, Flags: FlagWrite, Keys: KeySpec{Find: mpopKeys(1)}, Group: "list", Since: "7.0.0",
		Summary: "Pop elements from the first non-empty list of several.", Run: cmdLMPop},
}

// parseListEnd parses LEFT or RIGHT; it reports whether it is LEFT.
func parseListEnd(b []byte) (bool, error) {
	switch strings.ToLower(string(b)) {
	case "left":
		return true, nil
	case "right":
		return false, nil
	}
	return false, errSyntax
}

// cmdPush serves LPUSH, RPUSH, LPUSHX and RPUSHX.
func cmdPush(c *Call) error {
	name := c.Cmd.Name
	left := name[0] == 'l'
	n, err := c.Txn.ListPush(c.DB, c.Arg(1), left, strings.HasSuffix(name, "x"), c.Args[2:]...)
	if err != nil {
		return err
	}
	if n > 0 {
		notifyListPush(c, c.Arg(1), left)
	}
	c.Reply.Int(n)
	return nil
}

// notifyListPush raises a push's event: "lpush" or "rpush".
func notifyListPush(c *Call, key []byte, left bool) {
	if left {
		c.Notify(eventList, "lpush", key)
	} else {
		c.Notify(eventList, "rpush", key)
	}
}

// parsePositiveCount parses a count that must be >= 0, with Redis's one
// message for both a bad number and a negative one.
func parsePositiveCount(c *Call, i int, e *Error) (int64, error) {
	n, ok := parseStrictInt(c.Arg(i))
	if !ok || n < 0 {
		return 0, e
	}
	return n, nil
}

// cmdPop serves LPOP and RPOP, with or without a count. Pops are
// deterministic, so they are logged verbatim.
func cmdPop(c *Call) error {
	if len(c.Args) > 3 {
		return errArity(c.Cmd.Name)
	}
	withCount := len(c.Args) == 3
	count := int64(1)
	if withCount {
		n, err := parsePositiveCount(c, 2, errMustBePositive)
		if err != nil {
			return err
		}
		count = n
	}
	left := c.Cmd.Name == "lpop"
	vals, exists, err := c.Txn.ListPop(c.DB, c.Arg(1), left, count)
	if err != nil {
		return err
	}
	if len(vals) > 0 {
		if err := notifyListPop(c, c.Arg(1), left); err != nil {
			return err
		}
	}
	switch {
	case !exists && withCount:
		c.Reply.NullArray()
	case !exists:
		c.Reply.Null()
	case withCount:
		c.Reply.BulkStrings(vals)
	default:
		c.Reply.Bulk(vals[0])
	}
	return nil
}

func cmdLLen(c *Call) error {
	n, err := c.Txn.ListLen(c.DB, c.Arg(1))
	if err != nil {
		return err
	}
	c.Reply.Int(n)
	return nil
}

func cmdLRange(c *Call) error {
	start, err := c.Int(2)
	if err != nil {
		return err
	}
	stop, err := c.Int(3)
	if err != nil {
		return err
	}
	vals, err := c.Txn.ListRange(c.DB, c.Arg(1), start, stop)
	if err != nil {
		return err
	}
	c.Reply.BulkStrings(vals)
	return nil
}

// listExists reports whether key holds a list, failing on another type.
// Commands that look the key up before parsing an argument (as Redis
// does) use it to order their errors the same way.
func listExists(c *Call, key []byte) (bool, error) {
	m, ok, err := c.Txn.Lookup(c.DB, key)
	if err != nil || !ok {
		return false, err
	}
	if m.Type != engine.TypeList {
		return false, errWrongType
	}
	return true, nil
}

func cmdLIndex(c *Call) error {
	idx, perr := c.Int(2)
	if perr != nil {
		// Redis looks the key up first: a missing key is nil, not an error.
		if ok, err := listExists(c, c.Arg(1)); err != nil {
			return err
		} else if !ok {
			c.Reply.Null()
			return nil
		}
		return perr
	}
	v, ok, err := c.Txn.ListIndex(c.DB, c.Arg(1), idx)
	if err != nil {
		return err
	}
	if !ok {
		c.Reply.Null()
		return nil
	}
	c.Reply.Bulk(v)
	return nil
}

func cmdLSet(c *Call) error {
	idx, perr := c.Int(2)
	if perr != nil {
		// Redis looks the key up first: "no such key" wins.
		if ok, err := listExists(c, c.Arg(1)); err != nil {
			return err
		} else if !ok {
			return errNoSuchKey
		}
		return perr
	}
	exists, inRange, err := c.Txn.ListSet(c.DB, c.Arg(1), idx, c.Arg(3))
	switch {
	case err != nil:
		return err
	case !exists:
		return errNoSuchKey
	case !inRange:
		return errIndexRange
	}
	c.Notify(eventList, "lset", c.Arg(1))
	c.Reply.OK()
	return nil
}

func cmdLInsert(c *Call) error {
	var after bool
	switch strings.ToLower(string(c.Arg(2))) {
	case "after":
		after = true
	case "before":
	default:
		return errSyntax
	}
	n, err := c.Txn.ListInsert(c.DB, c.Arg(1), after, c.Arg(3), c.Arg(4))
	if err != nil {
		return err
	}
	if n > 0 {
		c.Notify(eventList, "linsert", c.Arg(1))
	}
	c.Reply.Int(n)
	return nil
}

func cmdLRem(c *Call) error {
	count, err := c.Int(2)
	if err != nil {
		return err
	}
	n, err := c.Txn.ListRem(c.DB, c.Arg(1), count, c.Arg(3))
	if err != nil {
		return err
	}
	if n > 0 {
		c.Notify(eventList, "lrem", c.Arg(1))
		if err := notifyIfDeleted(c, c.Arg(1)); err != nil {
			return err
		}
	}
	c.Reply.Int(n)
	return nil
}

func cmdLTrim(c *Call) error {
	start, err := c.Int(2)
	if err != nil {
		return err
	}
	stop, err := c.Int(3)
	if err != nil {
		return err
	}
	exists, err := listExists(c, c.Arg(1))
	if err != nil {
		return err
	}
	if exists {
		if _, err := c.Txn.ListTrim(c.DB, c.Arg(1), start, stop); err != nil {
			return err
		}
		// Redis raises "ltrim" even when nothing was dropped.
		c.Notify(eventList, "ltrim", c.Arg(1))
		if err := notifyIfDeleted(c, c.Arg(1)); err != nil {
			return err
		}
	}
	c.Reply.OK()
	return nil
}

func cmdLPos(c *Call) error {
	o := engine.ListPosOptions{Rank: 1, Count: -1}
	for i := 3; i < len(c.Args); i++ {
		opt := c.ArgLower(i)
		if i+1 >= len(c.Args) {
			return errSyntax
		}
		i++
		switch opt {
		case "rank":
			n, ok := parseStrictInt(c.Arg(i))
			switch {
			case !ok:
				return errNotInteger
			case n == -1<<63:
				return errLongRange
			case n == 0:
				return errLPosRankZero
			}
			o.Rank = n
		case "count":
			n, err := parsePositiveCount(c, i, errLPosCountNeg)
			if err != nil {
				return err
			}
			o.Count = n
		case "maxlen":
			n, err := parsePositiveCount(c, i, errLPosMaxLenNeg)
			if err != nil {
				return err
			}
			o.MaxLen = n
		default:
			return errSyntax
		}
	}
	idx, exists, err := c.Txn.ListPos(c.DB, c.Arg(1), c.Arg(2), o)
	if err != nil {
		return err
	}
	if o.Count >= 0 {
		c.Reply.Array(len(idx))
		for _, i := range idx {
			c.Reply.Int(i)
		}
		return nil
	}
	if !exists || len(idx) == 0 {
		c.Reply.Null()
		return nil
	}
	c.Reply.Int(idx[0])
	return nil
}

// cmdLMove serves LMOVE and RPOPLPUSH, logged verbatim.
func cmdLMove(c *Call) error {
	fromLeft, toLeft := false, true // RPOPLPUSH
	if c.Cmd.Name == "lmove" {
		var err error
		if fromLeft, err = parseListEnd(c.Arg(3)); err != nil {
			return err
		}
		if toLeft, err = parseListEnd(c.Arg(4)); err != nil {
			return err
		}
	}
	v, ok, err := c.Txn.ListMove(c.DB, c.Arg(1), c.Arg(2), fromLeft, toLeft)
	if err != nil {
		return err
	}
	if !ok {
		c.Reply.Null()
		return nil
	}
	if err := notifyListMove(c, c.Arg(1), c.Arg(2), fromLeft, toLeft); err != nil {
		return err
	}
	c.Reply.Bulk(v)
	return nil
}

// notifyListPop raises a pop's event, "lpop" or "rpop", then "del" when
// the pop emptied the list. LPOP, RPOP, LMPOP, LMOVE and the blocking
// pops share it.
func notifyListPop(c *Call, key []byte, left bool) error {
	if left {
		c.Notify(eventList, "lpop", key)
	} else {
		c.Notify(eventList, "rpop", key)
	}
	return notifyIfDeleted(c, key)
}

// notifyListMove raises LMOVE's events in Redis's order: the push onto
// dst, then the pop from src, then "del" when that emptied src.
func notifyListMove(c *Call, src, dst []byte, fromLeft, toLeft bool) error {
	notifyListPush(c, dst, toLeft)
	return notifyListPop(c, src, fromLeft)
}

// mpopArgs are the parsed arguments of LMPOP and ZMPOP (and of their
// blocking forms, which pass where numkeys sits).
type mpopArgs struct {
	keys  [][]byte
	where []byte // LEFT/RIGHT or MIN/MAX, as given
	count int64
}

// parseMPop parses "numkeys key [key ...] <where> [COUNT count]" starting
// at numkeys; isWhere validates the where word.
func parseMPop(c *Call, numkeysAt int, isWhere func(string) bool) (mpopArgs, error) {
	var a mpopArgs
	n, ok := parseStrictInt(c.Arg(numkeysAt))
	if !ok || n < 1 {
		return a, errNumKeysPositive
	}
	whereAt := int64(numkeysAt) + n + 1
	if whereAt >= int64(len(c.Args)) {
		return a, errSyntax
	}
	a.keys = c.Args[numkeysAt+1 : whereAt]
	a.where = c.Arg(int(whereAt))
	if !isWhere(strings.ToLower(string(a.where))) {
		return a, errSyntax
	}
	a.count = -1
	for i := int(whereAt) + 1; i < len(c.Args); i++ {
		if a.count != -1 || c.ArgLower(i) != "count" || i+1 >= len(c.Args) {
			return a, errSyntax
		}
		i++
		n, ok := parseStrictInt(c.Arg(i))
		if !ok || n < 1 {
			return a, errCountPositive
		}
		a.count = n
	}
	if a.count == -1 {
		a.count = 1
	}
	return a, nil
}

// popFirstList pops up to count elements from the first non-empty list of
// keys, failing on the first key of another type met before it (skipping
// it when a parked blocking pop is retried). It is LMPOP's core and the
// blocking pops call it. ok is false when every list is missing.
func popFirstList(c *Call, keys [][]byte, left bool, count int64) (key []byte, vals [][]byte, ok bool, err error) {
	for _, k := range keys {
		vals, exists, err := c.Txn.ListPop(c.DB, k, left, count)
		if errors.Is(err, engine.ErrWrongType) && c.retrying() {
			continue
		}
		if err != nil {
			return nil, nil, false, err
		}
		if exists {
			return k, vals, true, nil
		}
	}
	return nil, nil, false, nil
}

// propagateListPop logs a pop as "LPOP|RPOP key n", the effect of LMPOP
// and of the blocking pops.
func propagateListPop(c *Call, key []byte, left bool, n int) {
	cmd := "RPOP"
	if left {
		cmd = "LPOP"
	}
	c.PropagateAs(bytesArg(cmd), key, intArg(int64(n)))
}

func cmdLMPop(c *Call) error {
	a, err := parseMPop(c, 1, func(s string) bool { return s == "left" || s == "right" })
	if err != nil {
		return err
	}
	left := strings.EqualFold(string(a.where), "left")
	key, vals, ok, err := popFirstList(c, a.keys, left, a.count)
	if err != nil {
		return err
	}
	if !ok {
		c.Reply.NullArray()
		return nil
	}
	propagateListPop(c, key, left, len(vals))
	if err := notifyListPop(c, key, left); err != nil {
		return err
	}
	c.Reply.Array(2)
	c.Reply.Bulk(key)
	c.Reply.BulkStrings(vals)
	return nil
}
