package server

import (
	"errors"
	"strings"

	"github.com/cobbledb/cobble/engine"
)

// The blocking pops. Each one first tries its non-blocking form; when every
// key is empty it parks (Call.Block) and is tried again by the executor
// whenever one of its keys changes. The effect logged is always the
// non-blocking pop that served it (LPOP, LMOVE, ZPOPMIN…), as Redis
// propagates it, so replay and replicas never block.

const blockingFlags = FlagWrite | FlagBlocking | FlagNoScript

var blockingCommands = []*Command{
	{Name: "blpop", Arity: -3, Flags: blockingFlags, Keys: KeySpec{First: 1, Last: -2, Step: 1}, Group: "list", Since: "2.0.0",
		Summary: "Pop the first element of the first non-empty list, waiting for one.", Run: cmdBPop},
	{Name: "brpop", Arity: -3, Flags: blockingFlags, Keys: KeySpec{First: 1, Last: -2, Step: 1}, Group: "list", Since: "2.0.0",
		Summary: "Pop the last element of the first non-empty list, waiting for one.", Run: cmdBPop},
	{Name: "blmove", Arity: 6, Flags: blockingFlags | FlagDenyOOM, Keys: twoKeys, Group: "list", Since: "6.2.0",
		Summary: "Move an element between lists, waiting for one.", Run: cmdBLMove},
	{Name: "brpoplpush", Arity: 4, Flags: blockingFlags | FlagDenyOOM, Keys: twoKeys, Group: "list", Since: "2.2.0",
		Summary: "Move the last element of a list to the head of another, waiting for one.", Run: cmdBLMove},
	{Name: "blmpop", Arity: -5, Flags: FlagWrite | FlagBlocking, Keys: KeySpec{Find: mpopKeys(2)}, Group: "list", Since: "7.0.0",
		Summary: "Pop elements from the first non-empty list, waiting for one.", Run: cmdBLMPop},
	{Name: "bzpopmin", Arity: -3, Flags: blockingFlags | FlagFast, Keys: KeySpec{First: 1, Last: -2, Step: 1}, Group: "sorted_set", Since: "5.0.0",
		Summary: "Pop the lowest-scored member of the first non-empty sorted set, waiting for one.", Run: cmdBZPop},
	{Name: "bzpopmax", Arity: -3, Flags: blockingFlags | FlagFast, Keys: KeySpec{First: 1, Last: -2, Step: 1}, Group: "sorted_set", Since: "5.0.0",
		Summary: "Pop the highest-scored member of the first non-empty sorted set, waiting for one.", Run: cmdBZPop},
	{Name: "bzmpop", Arity: -5, Flags: FlagWrite | FlagBlocking, Keys: KeySpec{Find: mpopKeys(2)}, Group: "sorted_set", Since: "7.0.0",
		Summary: "Pop members from the first non-empty sorted set, waiting for one.", Run: cmdBZMPop},
}

func nullArrayOnTimeout(r *Reply) { r.NullArray() }
func nullOnTimeout(r *Reply)      { r.Null() }

func cmdBPop(c *Call) error {
	timeout, err := parseTimeout(c.Arg(len(c.Args) - 1))
	if err != nil {
		return err
	}
	keys := c.Args[1 : len(c.Args)-1]
	left := c.Cmd.Name == "blpop"
	key, vals, ok, err := popFirstList(c, keys, left, 1)
	if err != nil {
		return err
	}
	if !ok {
		if !c.Block(keys, timeout, nullArrayOnTimeout) {
			c.Reply.NullArray()
		}
		return nil
	}
	propagateListPop(c, key, left, 1)
	if err := notifyListPop(c, key, left); err != nil {
		return err
	}
	c.Reply.Array(2)
	c.Reply.Bulk(key)
	c.Reply.Bulk(vals[0])
	return nil
}

func cmdBLMove(c *Call) error {
	src, dst := c.Arg(1), c.Arg(2)
	fromLeft, toLeft := false, true // BRPOPLPUSH
	timeoutAt := 3
	if c.Cmd.Name == "blmove" {
		var ok1, ok2 bool
		fromLeft, ok1 = parseSide(c.ArgLower(3))
		toLeft, ok2 = parseSide(c.ArgLower(4))
		if !ok1 || !ok2 {
			return errSyntax
		}
		timeoutAt = 5
	}
	timeout, err := parseTimeout(c.Arg(timeoutAt))
	if err != nil {
		return err
	}
	val, ok, err := c.Txn.ListMove(c.DB, src, dst, fromLeft, toLeft)
	if errors.Is(err, engine.ErrWrongType) && c.retrying() {
		m, found, lerr := c.Txn.Lookup(c.DB, src)
		if lerr != nil {
			return lerr
		}
		if found && m.Type != engine.TypeList {
			ok, err = false, nil // keep waiting while the source holds another type
		}
	}
	if err != nil {
		return err
	}
	if !ok {
		if !c.Block([][]byte{src}, timeout, nullOnTimeout) {
			c.Reply.Null()
		}
		return nil
	}
	c.PropagateAs(bytesArg("LMOVE"), src, dst, bytesArg(sideName(fromLeft)), bytesArg(sideName(toLeft)))
	if err := notifyListMove(c, src, dst, fromLeft, toLeft); err != nil {
		return err
	}
	c.Reply.Bulk(val)
	return nil
}

func parseSide(s string) (left, ok bool) {
	switch s {
	case "left":
		return true, true
	case "right":
		return false, true
	}
	return false, false
}

func sideName(left bool) string {
	if left {
		return "LEFT"
	}
	return "RIGHT"
}

func cmdBLMPop(c *Call) error {
	timeout, err := parseTimeout(c.Arg(1))
	if err != nil {
		return err
	}
	a, err := parseMPop(c, 2, func(s string) bool { return s == "left" || s == "right" })
	if err != nil {
		return err
	}
	left := strings.EqualFold(string(a.where), "left")
	key, vals, ok, err := popFirstList(c, a.keys, left, a.count)
	if err != nil {
		return err
	}
	if !ok {
		if !c.Block(a.keys, timeout, nullArrayOnTimeout) {
			c.Reply.NullArray()
		}
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

func cmdBZPop(c *Call) error {
	timeout, err := parseTimeout(c.Arg(len(c.Args) - 1))
	if err != nil {
		return err
	}
	keys := c.Args[1 : len(c.Args)-1]
	max := c.Cmd.Name == "bzpopmax"
	key, items, ok, err := popFirstZSet(c, keys, max, 1)
	if err != nil {
		return err
	}
	if !ok {
		if !c.Block(keys, timeout, nullArrayOnTimeout) {
			c.Reply.NullArray()
		}
		return nil
	}
	propagateZPop(c, key, max, 1)
	if err := notifyZPop(c, key, max); err != nil {
		return err
	}
	c.Reply.Array(3)
	c.Reply.Bulk(key)
	c.Reply.Bulk(items[0].Member)
	c.Reply.Double(items[0].Score)
	return nil
}

func cmdBZMPop(c *Call) error {
	timeout, err := parseTimeout(c.Arg(1))
	if err != nil {
		return err
	}
	a, err := parseMPop(c, 2, func(s string) bool { return s == "min" || s == "max" })
	if err != nil {
		return err
	}
	max := strings.EqualFold(string(a.where), "max")
	key, items, ok, err := popFirstZSet(c, a.keys, max, a.count)
	if err != nil {
		return err
	}
	if !ok {
		if !c.Block(a.keys, timeout, nullArrayOnTimeout) {
			c.Reply.NullArray()
		}
		return nil
	}
	propagateZPop(c, key, max, len(items))
	if err := notifyZPop(c, key, max); err != nil {
		return err
	}
	c.Reply.Array(2)
	c.Reply.Bulk(key)
	replyZPop(c, items, true)
	return nil
}
