package server

import (
	"strconv"

	"github.com/cobbledb/cobble/engine"
)

var setCommands = []*Command{
	{Name: "sadd", Arity: -3, Flags: FlagWrite | FlagDenyOOM | FlagFast, Keys: oneKey, Group: "set", Since: "1.0.0",
		Summary: "Add members to a set; reply with how many are new.", Run: cmdSAdd},
	{Name: "srem", Arity: -3, Flags: FlagWrite | FlagFast, Keys: oneKey, Group: "set", Since: "1.0.0",
		Summary: "Remove members from a set; the key goes with its last member.", Run: cmdSRem},
	{Name: "smembers", Arity: 2, Flags: FlagReadOnly, Keys: oneKey, Group: "set", Since: "1.0.0",
		Summary: "Return every member of a set.", Run: cmdSMembers},
	{Name: "sismember", Arity: 3, Flags: FlagReadOnly | FlagFast, Keys: oneKey, Group: "set", Since: "1.0.0",
		Summary: "Tell whether a value is a member of a set.", Run: cmdSIsMember},
	{Name: "smismember", Arity: -3, Flags: FlagReadOnly | FlagFast, Keys: oneKey, Group: "set", Since: "6.2.0",
		Summary: "Tell for several values whether each is a member of a set.", Run: cmdSMIsMember},
	{Name: "scard", Arity: 2, Flags: FlagReadOnly | FlagFast, Keys: oneKey, Group: "set", Since: "1.0.0",
		Summary: "Return the number of members of a set (a kept count).", Run: cmdSCard},
	{Name: "spop", Arity: -2, Flags: FlagWrite | FlagFast, Keys: oneKey, Group: "set", Since: "1.0.0",
		Summary: "Remove and return random members of a set.", Run: cmdSPop},
	{Name: "srandmember", Arity: -2, Flags: FlagReadOnly | FlagSnapshot, Keys: oneKey, Group: "set", Since: "1.0.0",
		Summary: "Return random members of a set.", Run: cmdSRandMember},
	{Name: "smove", Arity: 4, Flags: FlagWrite | FlagFast, Keys: twoKeys, Group: "set", Since: "1.0.0",
		Summary: "Move a member from one set to another.", Run: cmdSMove},
	{Name: "sinter", Arity: -2, Flags: FlagReadOnly, Keys: allKeys, Group: "set", Since: "1.0.0",
		Summary: "Return the members common to all the given sets.", Run: cmdSetOp},
	{Name: "sintercard", Arity: -3, Flags: FlagReadOnly | FlagSnapshot, Keys: KeySpec{Find: mpopKeys(1)}, Group: "set", Since: "7.0.0",
		Summary: "Count the members common to all the given sets, up to a limit.", Run: cmdSInterCard},
	{Name: "sinterstore", Arity: -3, Flags: FlagWrite | FlagDenyOOM, Keys: allKeys, Group: "set", Since: "1.0.0",
		Summary: "Store the intersection of sets in a key.", Run: cmdSetOpStore},
	{Name: "sunion", Arity: -2, Flags: FlagReadOnly, Keys: allKeys, Group: "set", Since: "1.0.0",
		Summary: "Return the members of any of the given sets.", Run: cmdSetOp},
	{Name: "sunionstore", Arity: -3, Flags: FlagWrite | FlagDenyOOM, Keys: allKeys, Group: "set", Since: "1.0.0",
		Summary: "Store the union of sets in a key.", Run: cmdSetOpStore},
	{Name: "sdiff", Arity: -2, Flags: FlagReadOnly, Keys: allKeys, Group: "set", Since: "1.0.0",
		Summary: "Return the members of the first set that are in none of the others.", Run: cmdSetOp},
	{Name: "sdiffstore", Arity: -3, Flags: FlagWrite | FlagDenyOOM, Keys: allKeys, Group: "set", Since: "1.0.0",
		Summary: "Store the difference of sets in a key.", Run: cmdSetOpStore},
	{Name: "sscan", Arity: -3, Flags: FlagReadOnly, Keys: oneKey, Group: "set", Since: "2.8.0",
		Summary: "Iterate the members of a set with a cursor.", Run: cmdSScan},
}

func cmdSAdd(c *Call) error {
	n, err := c.Txn.SAdd(c.DB, c.Arg(1), c.Args[2:])
	if err != nil {
		return err
	}
	if n > 0 {
		c.Notify(eventSet, "sadd", c.Arg(1))
	}
	c.Reply.Int(int64(n))
	return nil
}

func cmdSRem(c *Call) error {
	n, err := c.Txn.SRem(c.DB, c.Arg(1), c.Args[2:])
	if err != nil {
		return err
	}
	if n > 0 {
		c.Notify(eventSet, "srem", c.Arg(1))
		if err := notifyIfDeleted(c, c.Arg(1)); err != nil {
			return err
		}
	}
	c.Reply.Int(int64(n))
	return nil
}

// replySet writes members as a set (an array in RESP2).
func replySet(r *Reply, members [][]byte) {
	r.Set(len(members))
	for _, m := range members {
		r.Bulk(m)
	}
}

func cmdSMembers(c *Call) error {
	members, err := c.Txn.SMembers(c.DB, c.Arg(1))
	if err != nil {
		return err
	}
	replySet(c.Reply, members)
	return nil
}

func cmdSIsMember(c *Call) error {
	ok, err := c.Txn.SIsMember(c.DB, c.Arg(1), c.Arg(2))
	if err != nil {
		return err
	}
	c.Reply.Int(b2i(ok))
	return nil
}

func cmdSMIsMember(c *Call) error {
	in, err := c.Txn.SMIsMember(c.DB, c.Arg(1), c.Args[2:])
	if err != nil {
		return err
	}
	c.Reply.Array(len(in))
	for _, ok := range in {
		c.Reply.Int(b2i(ok))
	}
	return nil
}

func cmdSCard(c *Call) error {
	n, err := c.Txn.SCard(c.DB, c.Arg(1))
	if err != nil {
		return err
	}
	c.Reply.Int(n)
	return nil
}

// sremBatch is how many members one SREM effect of SPOP carries.
const sremBatch = 1024

// cmdSPop removes random members. Its effect is what was removed: SREM of
// the popped members (in batches), or DEL when the count took the whole
// set, as Redis propagates it.
func cmdSPop(c *Call) error {
	key := c.Arg(1)
	switch {
	case len(c.Args) > 3:
		return errSyntax
	case len(c.Args) == 2:
		members, deleted, err := c.Txn.SPop(c.DB, key, 1)
		if err != nil {
			return err
		}
		if len(members) == 0 {
			c.Reply.Null()
			return nil
		}
		notifySPop(c, key, deleted)
		c.PropagateAs(bytesArg("SREM"), key, members[0])
		c.Reply.Bulk(members[0])
		return nil
	}
	count, ok := parseStrictInt(c.Arg(2))
	if !ok || count < 0 {
		return errMustBePositive
	}
	members, deleted, err := c.Txn.SPop(c.DB, key, count)
	if err != nil {
		return err
	}
	if len(members) > 0 {
		notifySPop(c, key, deleted)
	}
	switch {
	case len(members) == 0:
		c.NoPropagate()
	case deleted:
		c.PropagateAs(bytesArg("DEL"), key)
	default:
		for i := 0; i < len(members); i += sremBatch {
			batch := members[i:min(i+sremBatch, len(members))]
			args := append([][]byte{bytesArg("SREM"), key}, batch...)
			c.PropagateAs(args...)
		}
	}
	replySet(c.Reply, members)
	return nil
}

// notifySPop raises SPOP's events: "spop", then "del" when the pop took
// the last member.
func notifySPop(c *Call, key []byte, deleted bool) {
	c.Notify(eventSet, "spop", key)
	if deleted {
		c.Notify(eventGeneric, "del", key)
	}
}

func cmdSRandMember(c *Call) error {
	key := c.Arg(1)
	switch {
	case len(c.Args) > 3:
		return errSyntax
	case len(c.Args) == 2:
		members, err := c.Txn.SRandMember(c.DB, key, 1)
		if err != nil {
			return err
		}
		if len(members) == 0 {
			c.Reply.Null()
		} else {
			c.Reply.Bulk(members[0])
		}
		return nil
	}
	count, err := parseRandCount(c, 2)
	if err != nil {
		return err
	}
	members, err := c.Txn.SRandMember(c.DB, key, count)
	if err != nil {
		return err
	}
	c.Reply.BulkStrings(members)
	return nil
}

// cmdSMove moves a member. Its events are Redis's: "srem" on the source,
// "del" when that emptied it, then "sadd" on the destination when the
// member was new there; none when source and destination are one key.
func cmdSMove(c *Call) error {
	src, dst := c.Arg(1), c.Arg(2)
	before := c.Txn.Dirty()
	ok, err := c.Txn.SMove(c.DB, src, dst, c.Arg(3))
	if err != nil {
		return err
	}
	if changed := c.Txn.Dirty() - before; ok && changed > 0 {
		c.Notify(eventSet, "srem", src)
		if err := notifyIfDeleted(c, src); err != nil {
			return err
		}
		if changed > 1 { // the engine counts the removal and the addition
			c.Notify(eventSet, "sadd", dst)
		}
	}
	c.Reply.Int(b2i(ok))
	return nil
}

// setOp runs SINTER, SUNION or SDIFF (by name) over keys.
func setOp(c *Call, name string, keys [][]byte) ([][]byte, error) {
	switch name {
	case "sinter", "sinterstore":
		return c.Txn.SInter(c.DB, keys)
	case "sunion", "sunionstore":
		return c.Txn.SUnion(c.DB, keys)
	default:
		return c.Txn.SDiff(c.DB, keys)
	}
}

// cmdSetOp serves SINTER, SUNION and SDIFF.
func cmdSetOp(c *Call) error {
	members, err := setOp(c, c.Cmd.Name, c.Args[1:])
	if err != nil {
		return err
	}
	replySet(c.Reply, members)
	return nil
}

// cmdSetOpStore serves SINTERSTORE, SUNIONSTORE and SDIFFSTORE. The effect
// is the command itself (a replay computes the same result from the same
// state), or DEL when an empty result removed the destination.
func cmdSetOpStore(c *Call) error {
	dst := c.Arg(1)
	members, err := setOp(c, c.Cmd.Name, c.Args[2:])
	if err != nil {
		return err
	}
	before := c.Txn.Dirty()
	n, err := c.Txn.SStore(c.DB, dst, members)
	if err != nil {
		return err
	}
	switch {
	case n > 0:
		c.Notify(eventSet, c.Cmd.Name, dst) // "sinterstore"…
	case c.Txn.Dirty() > before:
		c.PropagateAs(bytesArg("DEL"), dst)
		c.Notify(eventGeneric, "del", dst)
	}
	c.Reply.Int(n)
	return nil
}

func cmdSInterCard(c *Call) error {
	numKeys, ok := parseStrictInt(c.Arg(1))
	if !ok || numKeys < 1 {
		return errNumKeysPositive
	}
	if numKeys > int64(len(c.Args)-2) {
		return errNumKeysArgs
	}
	var limit int64
	for i := 2 + int(numKeys); i < len(c.Args); i++ {
		if c.ArgLower(i) != "limit" || i+1 >= len(c.Args) {
			return errSyntax
		}
		i++
		n, ok := parseStrictInt(c.Arg(i))
		if !ok || n < 0 {
			return errLimitNegative
		}
		limit = n
	}
	n, err := c.Txn.SInterCard(c.DB, c.Args[2:2+numKeys], limit)
	if err != nil {
		return err
	}
	c.Reply.Int(n)
	return nil
}

func cmdSScan(c *Call) error {
	next, members, _, err := elemScan(c, engine.TypeSet)
	if err != nil {
		return err
	}
	c.Reply.Array(2)
	c.Reply.BulkString(strconv.FormatUint(next, 10))
	c.Reply.BulkStrings(members)
	return nil
}
