package server

import (
	"sort"
	"strings"
	"sync"
)

// Flag describes how dispatch treats a command. The names are the ones
// COMMAND INFO reports.
type Flag uint32

const (
	FlagWrite        Flag = 1 << iota // changes data: runs in the executor, -READONLY on replicas
	FlagReadOnly                      // reads data
	FlagFast                          // O(1) or O(log n)
	FlagAdmin                         // administrative
	FlagNoScript                      // not allowed in scripts
	FlagLoading                       // allowed while loading
	FlagStale                         // allowed on a stale replica
	FlagNoMulti                       // not allowed inside MULTI (runs at once)
	FlagPubSub                        // allowed in subscribed mode (RESP2)
	FlagNoAuth                        // allowed before AUTH
	FlagBlocking                      // may block the client
	FlagDenyOOM                       // may grow memory use
	FlagSkipMonitor                   // not shown by MONITOR
	FlagSkipSlowlog                   // not logged in SLOWLOG
	FlagMayReplicate                  // may write in some forms
	FlagSnapshot                      // cobble: reads several records that must be consistent
	FlagNoPropagate                   // cobble: a write whose effect the handler always chooses
)

var flagNames = []struct {
	f    Flag
	name string
}{
	{FlagWrite, "write"}, {FlagReadOnly, "readonly"}, {FlagDenyOOM, "denyoom"},
	{FlagAdmin, "admin"}, {FlagPubSub, "pubsub"}, {FlagNoScript, "noscript"},
	{FlagBlocking, "blocking"}, {FlagLoading, "loading"}, {FlagStale, "stale"},
	{FlagSkipMonitor, "skip_monitor"}, {FlagSkipSlowlog, "skip_slowlog"},
	{FlagFast, "fast"}, {FlagNoAuth, "no_auth"}, {FlagMayReplicate, "may_replicate"},
	{FlagNoMulti, "no_multi"},
}

// KeySpec says where a command's keys are: First, Last (negative counts
// from the end, -1 = the last argument) and Step, as COMMAND reports them.
// Find, when set, extracts keys of commands whose key positions move.
type KeySpec struct {
	First, Last, Step int
	Find              func(args [][]byte) []int
}

var (
	noKeys   = KeySpec{}
	oneKey   = KeySpec{First: 1, Last: 1, Step: 1}
	allKeys  = KeySpec{First: 1, Last: -1, Step: 1}
	twoKeys  = KeySpec{First: 1, Last: 2, Step: 1}
	pairKeys = KeySpec{First: 1, Last: -1, Step: 2}
)

// Command is one row of the command table: everything dispatch, COMMAND and
// the cluster need to know about a command.
type Command struct {
	Name    string // lower case, as COMMAND reports it
	Arity   int    // Redis rule: N = exactly N args incl. the name; -N = at least N
	Flags   Flag
	Keys    KeySpec
	Group   string // as COMMAND DOCS reports it
	Summary string // our own one-line wording
	Since   string
	Run     func(*Call) error
	Subs    []*Command // container commands: CONFIG GET, CLIENT LIST…

	parent *Command
	id     int // index of the row's counters in table.stats
}

// FullName is "config|get" for a subcommand, as Redis names it.
func (c *Command) FullName() string {
	if c.parent != nil {
		return c.parent.Name + "|" + c.Name
	}
	return c.Name
}

// arityOK checks the argument count against the Arity rule.
func (c *Command) arityOK(n int) bool {
	if c.Arity >= 0 {
		return n == c.Arity
	}
	return n >= -c.Arity
}

// keyPositions returns the argument indexes that are keys.
func (c *Command) keyPositions(args [][]byte) []int {
	return c.appendKeyPositions(nil, args)
}

// appendKeyPositions is keyPositions appending to dst, so the per-command
// callers can pass a small array on their stack.
func (c *Command) appendKeyPositions(dst []int, args [][]byte) []int {
	if c.Keys.Find != nil {
		return append(dst, c.Keys.Find(args)...)
	}
	if c.Keys.First == 0 {
		return dst
	}
	last := c.Keys.Last
	if last < 0 {
		last = len(args) + last
	}
	step := max(c.Keys.Step, 1)
	for i := c.Keys.First; i <= last && i < len(args); i += step {
		dst = append(dst, i)
	}
	return dst
}

// table is the one command table.
type table struct {
	cmds map[string]*Command
	// stats are INFO commandstats' counters, one per row (by Command.id):
	// counting a call is a few atomic adds, not a lock and a map lookup by
	// name on every command. The rows are shared by every server in a
	// process; the counters belong to one server's table.
	stats []cmdStat
}

var (
	commandIDs   sync.Once
	commandCount int
)

// numberCommands gives every row of the command table its id, once.
func numberCommands() {
	commandIDs.Do(func() {
		for _, g := range allCommands(nil) {
			for _, c := range g {
				c.id = commandCount
				commandCount++
				for _, s := range c.Subs {
					s.id = commandCount
					commandCount++
				}
			}
		}
	})
}

// newTable builds the table from the per-group row lists.
func newTable(groups ...[]*Command) *table {
	numberCommands()
	t := &table{cmds: map[string]*Command{}, stats: make([]cmdStat, commandCount)}
	for _, g := range groups {
		for _, c := range g {
			if _, dup := t.cmds[c.Name]; dup {
				panic("server: duplicate command " + c.Name)
			}
			for _, s := range c.Subs {
				s.parent = c
			}
			t.cmds[c.Name] = c
		}
	}
	return t
}

// lookup finds a command by its name (any case).
func (t *table) lookup(name []byte) *Command {
	if c, ok := t.cmds[string(name)]; ok {
		return c
	}
	if len(name) <= 32 { // lower-case on the stack: no allocation per command
		var buf [32]byte
		b := buf[:len(name)]
		for i, ch := range name {
			if 'A' <= ch && ch <= 'Z' {
				ch += 'a' - 'A'
			}
			b[i] = ch
		}
		return t.cmds[string(b)]
	}
	return t.cmds[strings.ToLower(string(name))]
}

// sub finds a subcommand of a container command.
func (c *Command) sub(name []byte) *Command {
	n := strings.ToLower(string(name))
	for _, s := range c.Subs {
		if s.Name == n {
			return s
		}
	}
	return nil
}

// sorted returns the commands in name order.
func (t *table) sorted() []*Command {
	out := make([]*Command, 0, len(t.cmds))
	for _, c := range t.cmds {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// statsOf returns a command's counters in this table.
func (t *table) statsOf(c *Command) *cmdStat { return &t.stats[c.id] }

// each calls f for every command and subcommand.
func (t *table) each(f func(*Command)) {
	for _, c := range t.cmds {
		f(c)
		for _, s := range c.Subs {
			f(s)
		}
	}
}
