package server

import (
	"slices"
	"strings"

	"github.com/cobbledb/cobble/engine"
)

// commandCommands is COMMAND. Everything it answers is generated from the
// command table: the rows are the only source.
var commandCommands = []*Command{
	{Name: "command", Arity: -1, Flags: FlagLoading | FlagStale, Group: "server", Since: "2.8.13",
		Summary: "Describe every command: COMMAND INFO of all of them.", Run: cmdCommand, Subs: []*Command{
			{Name: "count", Arity: 2, Flags: FlagLoading | FlagStale, Group: "server", Since: "2.8.13",
				Summary: "Return the number of commands.", Run: cmdCommandCount},
			{Name: "info", Arity: -2, Flags: FlagLoading | FlagStale, Group: "server", Since: "2.8.13",
				Summary: "Describe commands: arity, flags, key positions, ACL categories, subcommands.", Run: cmdCommandInfo},
			{Name: "docs", Arity: -2, Flags: FlagLoading | FlagStale, Group: "server", Since: "7.0.0",
				Summary: "Return the documentation of commands.", Run: cmdCommandDocs},
			{Name: "list", Arity: -2, Flags: FlagLoading | FlagStale, Group: "server", Since: "7.0.0",
				Summary: "Return command names, optionally filtered.", Run: cmdCommandList},
			{Name: "getkeys", Arity: -4, Flags: FlagLoading | FlagStale, Group: "server", Since: "2.8.13",
				Summary: "Return the keys of a full command.", Run: cmdCommandGetKeys},
			{Name: "getkeysandflags", Arity: -4, Flags: FlagLoading | FlagStale, Group: "server", Since: "7.0.0",
				Summary: "Return the keys of a full command and how it accesses them.", Run: cmdCommandGetKeys},
			{Name: "help", Arity: 2, Flags: FlagLoading | FlagStale, Group: "server", Since: "5.0.0",
				Summary: "Show COMMAND's subcommands.", Run: cmdCommandHelp},
		}},
}

// cmdCommand is COMMAND alone: every command's COMMAND INFO entry. COMMAND
// is the one command that runs by itself and has subcommands too, so when
// it arrives with arguments it resolves the subcommand here, with the
// checks dispatch makes for containers.
func cmdCommand(c *Call) error {
	if len(c.Args) > 1 {
		sub := c.Cmd.sub(c.Arg(1))
		if sub == nil {
			return errUnknownSub(c.Args)
		}
		if !sub.arityOK(len(c.Args)) {
			return errArity(sub.FullName())
		}
		c.Cmd = sub // so stats count command|<sub>
		return sub.Run(c)
	}
	cmds := c.Srv.table.sorted()
	c.Reply.Array(len(cmds))
	for _, cmd := range cmds {
		writeCommandInfo(c.Reply, cmd)
	}
	return nil
}

func cmdCommandCount(c *Call) error {
	c.Reply.Int(int64(len(c.Srv.table.cmds)))
	return nil
}

// lookupFull finds a command by name or by "parent|sub" name, as COMMAND
// INFO and COMMAND DOCS take them.
func (t *table) lookupFull(name []byte) *Command {
	parent, sub, ok := strings.Cut(string(name), "|")
	cmd := t.lookup([]byte(parent))
	if cmd == nil || !ok {
		return cmd
	}
	return cmd.sub([]byte(sub))
}

func cmdCommandInfo(c *Call) error {
	if len(c.Args) == 2 {
		cmds := c.Srv.table.sorted()
		c.Reply.Array(len(cmds))
		for _, cmd := range cmds {
			writeCommandInfo(c.Reply, cmd)
		}
		return nil
	}
	c.Reply.Array(len(c.Args) - 2)
	for _, name := range c.Args[2:] {
		if cmd := c.Srv.table.lookupFull(name); cmd != nil {
			writeCommandInfo(c.Reply, cmd)
		} else {
			c.Reply.Null()
		}
	}
	return nil
}

// writeCommandInfo writes one COMMAND INFO entry in Redis 7's shape: name,
// arity, flags, first key, last key, step, ACL categories, tips, key
// specs, subcommands.
func writeCommandInfo(r *Reply, cmd *Command) {
	r.Array(10)
	r.BulkString(cmd.FullName())
	r.Int(int64(cmd.Arity))
	flags := commandFlags(cmd)
	r.Set(len(flags))
	for _, f := range flags {
		r.Simple(f)
	}
	r.Int(int64(cmd.Keys.First))
	r.Int(int64(cmd.Keys.Last))
	r.Int(int64(cmd.Keys.Step))
	cats := aclCategories(cmd)
	r.Set(len(cats))
	for _, cat := range cats {
		r.Simple("@" + cat)
	}
	r.Set(0) // tips
	writeKeySpecs(r, cmd)
	r.Array(len(cmd.Subs))
	for _, sub := range cmd.Subs {
		writeCommandInfo(r, sub)
	}
}

// commandFlags names a row's flags in Redis's order; movablekeys marks
// key positions only a Find function knows.
func commandFlags(cmd *Command) []string {
	var out []string
	for _, fn := range flagNames {
		if cmd.Flags&fn.f != 0 {
			out = append(out, fn.name)
		}
	}
	if cmd.Keys.Find != nil {
		out = append(out, "movablekeys")
	}
	return out
}

// aclCategoryOrder is the order Redis lists ACL categories in.
var aclCategoryOrder = []string{
	"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
	"hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking",
	"dangerous", "connection", "transaction", "scripting",
}

// groupCategory is the ACL category a command group implies.
var groupCategory = map[string]string{
	"generic": "keyspace", "string": "string", "bitmap": "bitmap", "list": "list",
	"set": "set", "sorted_set": "sortedset", "hash": "hash", "hyperloglog": "hyperloglog",
	"geo": "geo", "stream": "stream", "pubsub": "pubsub", "connection": "connection",
	"transactions": "transaction", "scripting": "scripting",
}

// aclCategories derives a row's ACL categories the way Redis derives the
// implicit ones from flags (write, read, admin → admin and dangerous,
// fast, else slow, blocking) and adds the one its group implies. A
// container has only @slow, as in Redis.
func aclCategories(cmd *Command) []string {
	has := map[string]bool{}
	if len(cmd.Subs) > 0 && cmd.Run == nil {
		return []string{"slow"}
	}
	if c, ok := groupCategory[cmd.Group]; ok {
		has[c] = true
	}
	if cmd.Flags&FlagWrite != 0 {
		has["write"] = true
	}
	if cmd.Flags&FlagReadOnly != 0 {
		has["read"] = true
	}
	if cmd.Flags&FlagAdmin != 0 {
		has["admin"], has["dangerous"] = true, true
	}
	if cmd.Flags&FlagBlocking != 0 {
		has["blocking"] = true
	}
	if cmd.Flags&FlagFast != 0 {
		has["fast"] = true
	} else {
		has["slow"] = true
	}
	var out []string
	for _, c := range aclCategoryOrder {
		if has[c] {
			out = append(out, c)
		}
	}
	return out
}

// keySpecFlags is how a command accesses its keys, as far as its row
// says: read-only or read-write.
func keySpecFlags(cmd *Command) []string {
	if cmd.Flags&FlagWrite != 0 {
		return []string{"RW"}
	}
	return []string{"RO"}
}

// writeKeySpecs writes the key specs: one range from the row's KeySpec,
// or one of unknown shape for keys a Find function locates.
func writeKeySpecs(r *Reply, cmd *Command) {
	k := cmd.Keys
	if k.First == 0 && k.Find == nil {
		r.Array(0)
		return
	}
	r.Array(1)
	r.Map(3)
	r.BulkString("flags")
	flags := keySpecFlags(cmd)
	r.Set(len(flags))
	for _, f := range flags {
		r.Simple(f)
	}
	if k.Find != nil {
		for _, name := range []string{"begin_search", "find_keys"} {
			r.BulkString(name)
			r.Map(2)
			r.BulkString("type")
			r.BulkString("unknown")
			r.BulkString("spec")
			r.Map(0)
		}
		return
	}
	r.BulkString("begin_search")
	r.Map(2)
	r.BulkString("type")
	r.BulkString("index")
	r.BulkString("spec")
	r.Map(1)
	r.BulkString("index")
	r.Int(int64(k.First))
	lastKey := k.Last // relative to the first key, or counted from the end
	if lastKey >= 0 {
		lastKey -= k.First
	}
	r.BulkString("find_keys")
	r.Map(2)
	r.BulkString("type")
	r.BulkString("range")
	r.BulkString("spec")
	r.Map(3)
	r.BulkString("lastkey")
	r.Int(int64(lastKey))
	r.BulkString("keystep")
	r.Int(int64(max(k.Step, 1)))
	r.BulkString("limit")
	r.Int(0)
}

func cmdCommandDocs(c *Call) error {
	var cmds []*Command
	if len(c.Args) == 2 {
		cmds = c.Srv.table.sorted()
	} else {
		for _, name := range c.Args[2:] {
			if cmd := c.Srv.table.lookupFull(name); cmd != nil {
				cmds = append(cmds, cmd) // unknown names are left out, as in Redis
			}
		}
	}
	c.Reply.Map(len(cmds))
	for _, cmd := range cmds {
		c.Reply.BulkString(cmd.FullName())
		writeCommandDocs(c.Reply, cmd)
	}
	return nil
}

// writeCommandDocs writes one COMMAND DOCS map: summary, since, group and
// the subcommands' docs.
func writeCommandDocs(r *Reply, cmd *Command) {
	n := 3
	if len(cmd.Subs) > 0 {
		n++
	}
	r.Map(n)
	r.BulkString("summary")
	r.BulkString(cmd.Summary)
	r.BulkString("since")
	r.BulkString(cmd.Since)
	r.BulkString("group")
	r.BulkString(cmd.Group)
	if len(cmd.Subs) > 0 {
		r.BulkString("subcommands")
		r.Map(len(cmd.Subs))
		for _, sub := range cmd.Subs {
			r.BulkString(sub.FullName())
			writeCommandDocs(r, sub)
		}
	}
}

// cmdCommandList answers COMMAND LIST [FILTERBY MODULE name | ACLCAT
// category | PATTERN pattern]: the names of commands and subcommands.
func cmdCommandList(c *Call) error {
	match := func(*Command) bool { return true }
	switch {
	case len(c.Args) == 2:
	case len(c.Args) == 5 && strings.EqualFold(string(c.Arg(2)), "filterby"):
		arg := c.Arg(4)
		switch strings.ToLower(string(c.Arg(3))) {
		case "module":
			match = func(*Command) bool { return false } // cobble has no modules
		case "aclcat":
			cat := strings.ToLower(string(arg))
			match = func(cmd *Command) bool { return slices.Contains(aclCategories(cmd), cat) }
		case "pattern":
			match = func(cmd *Command) bool { return engine.Match(arg, []byte(cmd.FullName()), true) }
		default:
			return errSyntax
		}
	default:
		return errSyntax
	}
	var names []string
	for _, cmd := range c.Srv.table.sorted() {
		if match(cmd) {
			names = append(names, cmd.FullName())
		}
		for _, sub := range cmd.Subs {
			if match(sub) {
				names = append(names, sub.FullName())
			}
		}
	}
	c.Reply.Array(len(names))
	for _, n := range names {
		c.Reply.BulkString(n)
	}
	return nil
}

// cmdCommandGetKeys answers COMMAND GETKEYS and GETKEYSANDFLAGS from the
// row's key positions, with Redis's checks in Redis's order.
func cmdCommandGetKeys(c *Call) error {
	args := c.Args[2:]
	cmd := c.Srv.table.lookup(args[0])
	if cmd != nil && len(cmd.Subs) > 0 && len(args) > 1 {
		cmd = cmd.sub(args[1])
	}
	switch {
	case cmd == nil:
		return errInvalidCommand
	case cmd.Keys.First == 0 && cmd.Keys.Find == nil:
		return errNoKeyArgs
	case !cmd.arityOK(len(args)):
		return errGetKeysArity
	}
	pos := cmd.keyPositions(args)
	if len(pos) == 0 {
		return errGetKeysArgs
	}
	withFlags := c.Cmd.Name == "getkeysandflags"
	flags := keySpecFlags(cmd)
	c.Reply.Array(len(pos))
	for _, p := range pos {
		if !withFlags {
			c.Reply.Bulk(args[p])
			continue
		}
		c.Reply.Array(2)
		c.Reply.Bulk(args[p])
		c.Reply.Set(len(flags))
		for _, f := range flags {
			c.Reply.Simple(f)
		}
	}
	return nil
}

func cmdCommandHelp(c *Call) error {
	replyHelp(c.Reply, "COMMAND",
		"(no subcommand)",
		"    Return details about all commands.",
		"COUNT",
		"    Return the total number of commands in this server.",
		"LIST",
		"    Return a list of all commands in this server.",
		"INFO [<command-name> ...]",
		"    Return details about multiple commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"DOCS [<command-name> ...]",
		"    Return documentation details about multiple commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"GETKEYS <full-command>",
		"    Return the keys from a full command.",
		"GETKEYSANDFLAGS <full-command>",
		"    Return the keys and the access flags from a full command.")
	return nil
}
