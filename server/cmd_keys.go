package server

import (
	"math"
	"strconv"

	"github.com/cobbledb/cobble/engine"
	"github.com/cobbledb/cobble/server/config"
)

var keyCommands = []*Command{
	{Name: "del", Arity: -2, Flags: FlagWrite, Keys: allKeys, Group: "generic", Since: "1.0.0",
		Summary: "Delete keys.", Run: cmdDel},
	{Name: "unlink", Arity: -2, Flags: FlagWrite | FlagFast, Keys: allKeys, Group: "generic", Since: "4.0.0",
		Summary: "Delete keys (a collection is one range delete, so this is DEL).", Run: cmdDel},
	{Name: "exists", Arity: -2, Flags: FlagReadOnly | FlagFast, Keys: allKeys, Group: "generic", Since: "1.0.0",
		Summary: "Count how many of the given keys exist.", Run: cmdExists},
	{Name: "touch", Arity: -2, Flags: FlagReadOnly | FlagFast, Keys: allKeys, Group: "generic", Since: "3.2.1",
		Summary: "Count how many of the given keys exist (access time is not tracked).", Run: cmdExists},
	{Name: "type", Arity: 2, Flags: FlagReadOnly | FlagFast, Keys: oneKey, Group: "generic", Since: "1.0.0",
		Summary: "Return the type of a key.", Run: cmdType},
	{Name: "expire", Arity: -3, Flags: FlagWrite | FlagFast, Keys: oneKey, Group: "generic", Since: "1.0.0",
		Summary: "Set a key's TTL in seconds.", Run: cmdExpire},
	{Name: "pexpire", Arity: -3, Flags: FlagWrite | FlagFast, Keys: oneKey, Group: "generic", Since: "2.6.0",
		Summary: "Set a key's TTL in milliseconds.", Run: cmdExpire},
	{Name: "expireat", Arity: -3, Flags: FlagWrite | FlagFast, Keys: oneKey, Group: "generic", Since: "1.2.0",
		Summary: "Set a key's expiry as a unix time in seconds.", Run: cmdExpire},
	{Name: "pexpireat", Arity: -3, Flags: FlagWrite | FlagFast, Keys: oneKey, Group: "generic", Since: "2.6.0",
		Summary: "Set a key's expiry as a unix time in milliseconds.", Run: cmdExpire},
	{Name: "expiretime", Arity: 2, Flags: FlagReadOnly | FlagFast, Keys: oneKey, Group: "generic", Since: "7.0.0",
		Summary: "Return a key's expiry as a unix time in seconds.", Run: cmdTTL},
	{Name: "pexpiretime", Arity: 2, Flags: FlagReadOnly | FlagFast, Keys: oneKey, Group: "generic", Since: "7.0.0",
		Summary: "Return a key's expiry as a unix time in milliseconds.", Run: cmdTTL},
	{Name: "ttl", Arity: 2, Flags: FlagReadOnly | FlagFast, Keys: oneKey, Group: "generic", Since: "1.0.0",
		Summary: "Return a key's TTL in seconds.", Run: cmdTTL},
	{Name: "pttl", Arity: 2, Flags: FlagReadOnly | FlagFast, Keys: oneKey, Group: "generic", Since: "2.6.0",
		Summary: "Return a key's TTL in milliseconds.", Run: cmdTTL},
	{Name: "persist", Arity: 2, Flags: FlagWrite | FlagFast, Keys: oneKey, Group: "generic", Since: "2.2.0",
		Summary: "Remove a key's TTL.", Run: cmdPersist},
	{Name: "rename", Arity: 3, Flags: FlagWrite, Keys: twoKeys, Group: "generic", Since: "1.0.0",
		Summary: "Rename a key, replacing the destination.", Run: cmdRename},
	{Name: "renamenx", Arity: 3, Flags: FlagWrite | FlagFast, Keys: twoKeys, Group: "generic", Since: "1.0.0",
		Summary: "Rename a key only when the destination does not exist.", Run: cmdRename},
	{Name: "copy", Arity: -3, Flags: FlagWrite | FlagDenyOOM, Keys: twoKeys, Group: "generic", Since: "6.2.0",
		Summary: "Copy a key, optionally to another db.", Run: cmdCopy},
	{Name: "move", Arity: 3, Flags: FlagWrite | FlagFast, Keys: oneKey, Group: "generic", Since: "1.0.0",
		Summary: "Move a key to another db.", Run: cmdMove},
	{Name: "keys", Arity: 2, Flags: FlagReadOnly, Group: "generic", Since: "1.0.0",
		Summary: "Return every key matching a pattern.", Run: cmdKeys},
	{Name: "scan", Arity: -2, Flags: FlagReadOnly, Group: "generic", Since: "2.8.0",
		Summary: "Iterate the keys of the db with a cursor.", Run: cmdScan},
	{Name: "randomkey", Arity: 1, Flags: FlagReadOnly, Group: "generic", Since: "1.0.0",
		Summary: "Return a random key.", Run: cmdRandomKey},
	{Name: "dbsize", Arity: 1, Flags: FlagReadOnly | FlagFast, Group: "server", Since: "1.0.0",
		Summary: "Return the number of keys in the db (a kept counter, never a scan).", Run: cmdDBSize},
	{Name: "flushdb", Arity: -1, Flags: FlagWrite, Group: "server", Since: "1.0.0",
		Summary: "Delete every key of the db (range deletes).", Run: cmdFlushDB},
	{Name: "flushall", Arity: -1, Flags: FlagWrite, Group: "server", Since: "1.0.0",
		Summary: "Delete every key of every db (range deletes).", Run: cmdFlushAll},
	{Name: "swapdb", Arity: 3, Flags: FlagWrite | FlagFast, Group: "server", Since: "4.0.0",
		Summary: "Swap two dbs (O(1): their physical ids are swapped).", Run: cmdSwapDB},
	{Name: "object", Group: "generic", Since: "2.2.3", Summary: "Inspect the internals of a key.", Arity: -2, Subs: []*Command{
		{Name: "encoding", Arity: 3, Flags: FlagReadOnly, Keys: KeySpec{First: 2, Last: 2, Step: 1}, Group: "generic", Since: "2.2.3",
			Summary: "Return the encoding of a key's value.", Run: cmdObjectEncoding},
		{Name: "refcount", Arity: 3, Flags: FlagReadOnly, Keys: KeySpec{First: 2, Last: 2, Step: 1}, Group: "generic", Since: "2.2.3",
			Summary: "Return the reference count of a key's value (always 1).", Run: cmdObjectRefcount},
		{Name: "idletime", Arity: 3, Flags: FlagReadOnly, Keys: KeySpec{First: 2, Last: 2, Step: 1}, Group: "generic", Since: "2.2.3",
			Summary: "Return the idle time of a key (access time is not tracked: 0).", Run: cmdObjectRefcount},
		{Name: "freq", Arity: 3, Flags: FlagReadOnly, Keys: KeySpec{First: 2, Last: 2, Step: 1}, Group: "generic", Since: "4.0.0",
			Summary: "Return the access frequency of a key (needs an LFU maxmemory-policy).", Run: cmdObjectFreq},
		{Name: "help", Arity: 2, Flags: FlagLoading | FlagStale, Group: "generic", Since: "6.2.0",
			Summary: "Show OBJECT's subcommands.", Run: cmdObjectHelp},
	}},
}

func cmdDel(c *Call) error {
	var n int64
	for _, k := range c.Args[1:] {
		ok, err := c.Txn.Delete(c.DB, k)
		if err != nil {
			return err
		}
		if ok {
			n++
			c.Notify(config.EventGeneric, "del", k)
		}
	}
	c.Reply.Int(n)
	return nil
}

// notifyIfDeleted raises "del" when a write removed the last element of
// a collection, which deletes it, as Redis does after the command's own
// event. The check costs a metadata read, so it is made only when "del"
// would be published.
func notifyIfDeleted(c *Call, key []byte) error {
	f := c.Srv.cfg.KeyspaceEvents()
	if f&(config.EventKeyspace|config.EventKeyevent) == 0 || f&config.EventGeneric == 0 {
		return nil
	}
	_, ok, err := c.Txn.Lookup(c.DB, key)
	if err != nil {
		return err
	}
	if !ok {
		c.Notify(config.EventGeneric, "del", key)
	}
	return nil
}

func cmdExists(c *Call) error {
	var n int64
	for _, k := range c.Args[1:] {
		_, ok, err := c.Txn.Lookup(c.DB, k)
		if err != nil {
			return err
		}
		if ok {
			n++
		}
	}
	c.Reply.Int(n)
	return nil
}

func cmdType(c *Call) error {
	m, ok, err := c.Txn.Lookup(c.DB, c.Arg(1))
	if err != nil {
		return err
	}
	if !ok {
		c.Reply.Simple("none")
		return nil
	}
	c.Reply.Simple(m.Type.String())
	return nil
}

// cmdExpire serves EXPIRE, PEXPIRE, EXPIREAT and PEXPIREAT with NX/XX/GT/LT.
// The effect is always PEXPIREAT (or DEL when the time is past), as Redis
// propagates it.
func cmdExpire(c *Call) error {
	name := c.ArgLower(0)
	n, err := c.Int(2)
	if err != nil {
		return err
	}
	var nx, xx, gt, lt bool
	for i := 3; i < len(c.Args); i++ {
		switch c.ArgLower(i) {
		case "nx":
			nx = true
		case "xx":
			xx = true
		case "gt":
			gt = true
		case "lt":
			lt = true
		default:
			return errf("Unsupported option %s", c.Args[i])
		}
	}
	if nx && (xx || gt || lt) {
		return errf("NX and XX, GT or LT options at the same time are not compatible")
	}
	if gt && lt {
		return errf("GT and LT options at the same time are not compatible")
	}
	now := c.Txn.Now()
	var at int64
	switch name {
	case "expire", "expireat":
		if n > math.MaxInt64/1000 || n < math.MinInt64/1000 {
			return errInvalidExpire(name)
		}
		n *= 1000
	}
	switch name {
	case "expire", "pexpire":
		if (n > 0 && n > math.MaxInt64-now) || (n < 0 && n < math.MinInt64+now) {
			return errInvalidExpire(name)
		}
		at = now + n
	default:
		at = n
	}
	key := c.Arg(1)
	m, ok, err := c.Txn.Lookup(c.DB, key)
	if err != nil {
		return err
	}
	if !ok {
		c.Reply.Int(0)
		return nil
	}
	cur := m.ExpireAt // 0 = no TTL = infinite for GT/LT
	if (nx && cur != 0) || (xx && cur == 0) ||
		(gt && (cur == 0 || at <= cur)) || (lt && cur != 0 && at >= cur) {
		c.Reply.Int(0)
		return nil
	}
	if at <= now {
		if _, err := c.Txn.Delete(c.DB, key); err != nil {
			return err
		}
		c.PropagateAs(bytesArg("DEL"), key)
		c.Notify(config.EventGeneric, "del", key)
	} else {
		if _, err := c.Txn.SetExpireAt(c.DB, key, at); err != nil {
			return err
		}
		c.PropagateAs(bytesArg("PEXPIREAT"), key, intArg(at))
		c.Notify(config.EventGeneric, "expire", key)
	}
	c.Reply.Int(1)
	return nil
}

// cmdTTL serves TTL, PTTL, EXPIRETIME and PEXPIRETIME.
func cmdTTL(c *Call) error {
	m, ok, err := c.Txn.Lookup(c.DB, c.Arg(1))
	if err != nil {
		return err
	}
	switch {
	case !ok:
		c.Reply.Int(-2)
	case m.ExpireAt == 0:
		c.Reply.Int(-1)
	default:
		switch c.ArgLower(0) {
		case "ttl":
			c.Reply.Int((m.ExpireAt - c.Txn.Now() + 500) / 1000)
		case "pttl":
			c.Reply.Int(max(m.ExpireAt-c.Txn.Now(), 0))
		case "expiretime":
			c.Reply.Int(m.ExpireAt / 1000)
		default:
			c.Reply.Int(m.ExpireAt)
		}
	}
	return nil
}

func cmdPersist(c *Call) error {
	ok, err := c.Txn.Persist(c.DB, c.Arg(1))
	if err != nil {
		return err
	}
	if ok {
		c.Notify(config.EventGeneric, "persist", c.Arg(1))
	}
	c.Reply.Int(b2i(ok))
	return nil
}

func cmdRename(c *Call) error {
	nx := c.ArgLower(0) == "renamenx"
	existed, renamed, err := c.Txn.Rename(c.DB, c.Arg(1), c.Arg(2), nx)
	if err != nil {
		return err
	}
	if !existed {
		return errNoSuchKey
	}
	if renamed {
		c.Notify(config.EventGeneric, "rename_from", c.Arg(1))
		c.Notify(config.EventGeneric, "rename_to", c.Arg(2))
	}
	if nx {
		c.Reply.Int(b2i(renamed))
		if !renamed {
			c.NoPropagate()
		}
		return nil
	}
	c.Reply.OK()
	return nil
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func cmdCopy(c *Call) error {
	ddb := c.DB
	replace := false
	for i := 3; i < len(c.Args); i++ {
		switch c.ArgLower(i) {
		case "replace":
			replace = true
		case "db":
			if i+1 >= len(c.Args) {
				return errSyntax
			}
			n, err := c.Int(i + 1)
			if err != nil {
				return err
			}
			if n < 0 || n >= int64(c.Srv.db.Databases()) {
				return errDBIndex
			}
			ddb = int(n)
			i++
		default:
			return errSyntax
		}
	}
	if ddb == c.DB && string(c.Arg(1)) == string(c.Arg(2)) {
		return errSameObject
	}
	ok, err := c.Txn.Copy(c.DB, c.Arg(1), ddb, c.Arg(2), replace)
	if err != nil {
		return err
	}
	if ok {
		c.notes = append(c.notes, notification{config.EventGeneric, "copy_to", ddb, c.Arg(2)})
	}
	c.Reply.Int(b2i(ok))
	return nil
}

func cmdMove(c *Call) error {
	n, err := c.Int(2)
	if err != nil {
		return err
	}
	if n < 0 || n >= int64(c.Srv.db.Databases()) {
		return errDBIndex
	}
	if int(n) == c.DB {
		return errSameObject
	}
	ok, err := c.Txn.Move(c.DB, c.Arg(1), int(n))
	if err != nil {
		return err
	}
	if ok {
		c.Notify(config.EventGeneric, "move_from", c.Arg(1))
		c.notes = append(c.notes, notification{config.EventGeneric, "move_to", int(n), c.Arg(1)})
	}
	c.Reply.Int(b2i(ok))
	return nil
}

func cmdKeys(c *Call) error {
	keys, err := c.Txn.Keys(c.DB, c.Arg(1))
	if err != nil {
		return err
	}
	c.Reply.BulkStrings(keys)
	return nil
}

func cmdScan(c *Call) error {
	cursor, err := strconv.ParseUint(string(c.Arg(1)), 10, 64)
	if err != nil {
		return errf("invalid cursor")
	}
	o := engine.ScanOptions{}
	for i := 2; i < len(c.Args); i++ {
		if i+1 >= len(c.Args) {
			return errSyntax
		}
		switch c.ArgLower(i) {
		case "match":
			o.Match = c.Arg(i + 1)
			if len(o.Match) == 1 && o.Match[0] == '*' {
				o.Match = nil
			}
		case "count":
			n, err := c.Int(i + 1)
			if err != nil {
				return err
			}
			if n < 1 {
				return errSyntax
			}
			o.Count = int(min(n, 1<<20))
		case "type":
			t, ok := engine.ParseType(string(c.Arg(i + 1)))
			if !ok {
				return errf("unknown type name '%s'", c.Arg(i+1))
			}
			o.Type = t
		default:
			return errSyntax
		}
		i++
	}
	next, keys, err := c.Txn.Scan(c.DB, cursor, o)
	if err != nil {
		return err
	}
	c.Reply.Array(2)
	c.Reply.BulkString(strconv.FormatUint(next, 10))
	c.Reply.BulkStrings(keys)
	return nil
}

func cmdRandomKey(c *Call) error {
	k, ok, err := c.Txn.RandomKey(c.DB)
	if err != nil {
		return err
	}
	if !ok {
		c.Reply.Null()
		return nil
	}
	c.Reply.Bulk(k)
	return nil
}

func cmdDBSize(c *Call) error {
	c.Reply.Int(c.Srv.db.DBSize(c.DB))
	return nil
}

func parseFlushMode(c *Call) error {
	if len(c.Args) > 2 {
		return errSyntax
	}
	if len(c.Args) == 2 {
		if m := c.ArgLower(1); m != "async" && m != "sync" {
			return errSyntax
		}
	}
	return nil
}

func cmdFlushDB(c *Call) error {
	if err := parseFlushMode(c); err != nil {
		return err
	}
	if err := c.Txn.FlushDB(c.DB); err != nil {
		return err
	}
	c.Reply.OK()
	return nil
}

func cmdFlushAll(c *Call) error {
	if err := parseFlushMode(c); err != nil {
		return err
	}
	for db := range c.Srv.db.Databases() {
		if err := c.Txn.FlushDB(db); err != nil {
			return err
		}
	}
	c.Reply.OK()
	return nil
}

func cmdSwapDB(c *Call) error {
	a, err := strconv.Atoi(string(c.Arg(1)))
	if err != nil {
		return errf("invalid first DB index")
	}
	b, err := strconv.Atoi(string(c.Arg(2)))
	if err != nil {
		return errf("invalid second DB index")
	}
	n := c.Srv.db.Databases()
	if a < 0 || a >= n || b < 0 || b >= n {
		return errDBIndex
	}
	if a == b {
		c.Reply.OK() // Redis swaps nothing, and touches nothing
		return nil
	}
	if err := touchSwappedIn(c, a, b); err != nil {
		return err
	}
	c.Txn.SwapDB(a, b)
	c.Reply.OK()
	return nil
}

// touchSwappedIn marks the watchers of keys missing from one db that the
// other brings in with SWAPDB, as Redis does; the swap's whole-db touch
// covers the watched keys that existed.
func touchSwappedIn(c *Call, a, b int) error {
	var touched []engine.Touched
	for _, p := range [][2]int{{a, b}, {b, a}} {
		for _, k := range c.Srv.watches.keysIn(p[0]) {
			_, ok, err := c.Txn.Lookup(p[1], []byte(k))
			if err != nil {
				return err
			}
			if ok {
				touched = append(touched, engine.Touched{DB: p[0], Key: k})
			}
		}
	}
	c.Srv.watches.touch(touched)
	return nil
}

// cmdObjectEncoding reports a stable encoding name. cobble stores every
// collection the same way, so it answers with the names Redis 7 uses for a
// big value of each type: strings are int/embstr/raw as in Redis; hash
// "hashtable", list "quicklist", set "hashtable", zset "skiplist".
func cmdObjectEncoding(c *Call) error {
	m, ok, err := c.Txn.Lookup(c.DB, c.Arg(2))
	if err != nil {
		return err
	}
	if !ok {
		c.Reply.Null()
		return nil
	}
	c.Reply.BulkString(encodingName(&m))
	return nil
}

func encodingName(m *engine.Meta) string {
	switch m.Type {
	case engine.TypeString:
		if _, ok := parseStrictInt(m.Value); ok && len(m.Value) <= 20 {
			return "int"
		}
		if len(m.Value) <= 44 {
			return "embstr"
		}
		return "raw"
	case engine.TypeHash:
		return "hashtable"
	case engine.TypeList:
		return "quicklist"
	case engine.TypeSet:
		return "hashtable"
	case engine.TypeZSet:
		return "skiplist"
	}
	return "unknown"
}

func cmdObjectRefcount(c *Call) error {
	_, ok, err := c.Txn.Lookup(c.DB, c.Arg(2))
	if err != nil {
		return err
	}
	if !ok {
		c.Reply.Null()
		return nil
	}
	if c.ArgLower(1) == "refcount" {
		c.Reply.Int(1)
	} else {
		c.Reply.Int(0)
	}
	return nil
}

func cmdObjectFreq(c *Call) error {
	if _, ok, err := c.Txn.Lookup(c.DB, c.Arg(2)); err != nil {
		return err
	} else if !ok {
		c.Reply.Null()
		return nil
	}
	return errf("An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.")
}

func cmdObjectHelp(c *Call) error {
	lines := []string{
		"OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"ENCODING <key>",
		"    Return the kind of internal representation used in order to store the value",
		"    associated with a <key>.",
		"FREQ <key>",
		"    Return the access frequency index of the <key>. The returned integer is",
		"    proportional to the logarithm of the recent access frequency of the key.",
		"IDLETIME <key>",
		"    Return the idle time of the <key>, that is the approximated number of",
		"    seconds elapsed since the last access to the key.",
		"REFCOUNT <key>",
		"    Return the number of references of the value associated with the specified",
		"    <key>.",
		"HELP",
		"    Print this help.",
	}
	c.Reply.Array(len(lines))
	for _, l := range lines {
		c.Reply.Simple(l)
	}
	return nil
}
