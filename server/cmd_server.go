package server

import (
	"errors"
	"github.com/cobbledb/cobble/engine"
	"math"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/cobbledb/cobble/server/config"
)

var serverCommands = []*Command{
	{Name: "info", Arity: -1, Flags: FlagLoading | FlagStale, Group: "server", Since: "1.0.0",
		Summary: "Report the server's state and statistics, by section.", Run: cmdInfo},
	{Name: "config", Arity: -2, Group: "server", Since: "2.0.0",
		Summary: "Read and change the configuration.", Subs: []*Command{
			{Name: "get", Arity: -3, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale, Group: "server", Since: "2.0.0",
				Summary: "Return the directives matching the patterns and their values.", Run: cmdConfigGet},
			{Name: "set", Arity: -4, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale, Group: "server", Since: "2.0.0",
				Summary: "Change directives, all of them or none.", Run: cmdConfigSet},
			{Name: "resetstat", Arity: 2, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale, Group: "server", Since: "2.0.0",
				Summary: "Reset the statistics INFO reports.", Run: cmdConfigResetStat},
			{Name: "rewrite", Arity: 2, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale, Group: "server", Since: "2.8.0",
				Summary: "Write the running configuration back to the configuration file.", Run: cmdConfigRewrite},
			{Name: "help", Arity: 2, Flags: FlagLoading | FlagStale, Group: "server", Since: "5.0.0",
				Summary: "Show CONFIG's subcommands.", Run: cmdConfigHelp},
		}},
	{Name: "time", Arity: 1, Flags: FlagLoading | FlagStale | FlagFast, Group: "server", Since: "2.6.0",
		Summary: "Return the server's clock: unix seconds and microseconds.", Run: cmdTime},
	{Name: "lastsave", Arity: 1, Flags: FlagLoading | FlagStale | FlagFast, Group: "server", Since: "1.0.0",
		Summary: "Return the unix time of the last save (the start, until one happens).", Run: cmdLastSave},
	{Name: "shutdown", Arity: -1, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale | FlagNoMulti, Group: "server", Since: "1.0.0",
		Summary: "Sync the log, checkpoint the keyspace and stop the server.", Run: cmdShutdown},
	{Name: "slowlog", Arity: -2, Group: "server", Since: "2.2.12",
		Summary: "Read and reset the log of slow commands.", Subs: []*Command{
			{Name: "get", Arity: -2, Flags: FlagAdmin | FlagLoading | FlagStale, Group: "server", Since: "2.2.12",
				Summary: "Return the newest slow log entries.", Run: cmdSlowlogGet},
			{Name: "len", Arity: 2, Flags: FlagAdmin | FlagLoading | FlagStale, Group: "server", Since: "2.2.12",
				Summary: "Return the number of slow log entries.", Run: cmdSlowlogLen},
			{Name: "reset", Arity: 2, Flags: FlagAdmin | FlagLoading | FlagStale, Group: "server", Since: "2.2.12",
				Summary: "Empty the slow log.", Run: cmdSlowlogReset},
			{Name: "help", Arity: 2, Flags: FlagLoading | FlagStale, Group: "server", Since: "6.2.0",
				Summary: "Show SLOWLOG's subcommands.", Run: cmdSlowlogHelp},
		}},
	{Name: "monitor", Arity: 1, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale, Group: "server", Since: "1.0.0",
		Summary: "Stream every command the server runs to this connection.", Run: cmdMonitor},
	{Name: "debug", Arity: -2, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale, Group: "server", Since: "1.0.0",
		Summary: "Testing aids (needs enable-debug-command).", Run: cmdDebug},
}

// startOnly are the mutable directives cobble reads only when it starts.
// CONFIG SET refuses to change them rather than answer OK and do nothing.
var startOnly = []string{
	"port", "bind", "dir", // the listener and the data directory are opened once
	"appendonly", "appendfsync", // the log takes its fsync policy when it opens
	"hz",       // the executor's tick is set when it starts
	"loglevel", // the logger's level is fixed when it is built
}

// registerConfigHooks applies mutable directives changed by CONFIG SET.
// Directives not named here are read where they are used, on every use
// (timeout, maxclients, slowlog-*, tcp-keepalive, repl-backlog-size…);
// proto-max-bulk-len and client-query-buffer-limit are applied by CONFIG
// SET once the new values are visible (see cmdConfigSet).
func (s *Server) registerConfigHooks() {
	for _, name := range startOnly {
		s.cfg.OnSet(name, func(string) error { return errStartOnly })
	}
	s.cfg.OnSet("requirepass", func(v string) error {
		// Connections already authenticated stay so, as in Redis.
		s.requirePass.Store(&v)
		return nil
	})
}

// hit counts keyspace hits and misses for INFO stats.
func (s *Server) hit(found bool) {
	if found {
		s.stats.keyspaceHits.Add(1)
	} else {
		s.stats.keyspaceMiss.Add(1)
	}
}

// replyHelp writes a HELP reply like Redis's addReplyHelp: a title line,
// the lines given, then HELP itself, as status replies.
func replyHelp(r *Reply, cmd string, lines ...string) {
	r.Array(len(lines) + 3)
	r.Simple(cmd + " <subcommand> [<arg> [value] [opt] ...]. Subcommands are:")
	for _, l := range lines {
		r.Simple(l)
	}
	r.Simple("HELP")
	r.Simple("    Prints this help.")
}

// isLocal reports whether a client connects over the loopback interface,
// which enable-protected-configs and enable-debug-command "local" trust.
func (c *Conn) isLocal() bool {
	host, _, err := net.SplitHostPort(c.addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// lastSaveUnix is LASTSAVE and rdb_last_save_time: the last save, or the
// start of the server until one happens, as in Redis.
func (s *Server) lastSaveUnix() int64 {
	if t := s.stats.lastSave.Load(); t > 0 {
		return t
	}
	return s.startTime.Unix()
}

// closing reports whether Close has begun.
func (s *Server) closing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// CONFIG

func cmdConfigGet(c *Call) error {
	patterns := make([]string, len(c.Args)-2)
	for i := range patterns {
		patterns[i] = string(c.Arg(i + 2))
	}
	pairs := c.Srv.cfg.Get(patterns...)
	c.Reply.Map(len(pairs) / 2)
	for _, p := range pairs {
		c.Reply.BulkString(p)
	}
	return nil
}

func cmdConfigSet(c *Call) error {
	pairs := make([]string, len(c.Args)-2)
	for i := range pairs {
		pairs[i] = string(c.Arg(i + 2))
	}
	set := c.Srv.cfg.Set
	if c.Conn.isLocal() {
		set = c.Srv.cfg.SetLocal
	}
	if err := set(pairs...); err != nil {
		return err
	}
	// The limits are read from the configuration, so they are applied
	// after Set made the new values visible (hooks run before). Clients
	// already connected keep the limits they started with, except this one.
	c.Srv.applyLimits()
	unauth := c.Conn.rd.lim.Unauthentic
	c.Conn.rd.lim = *c.Srv.limits.Load()
	c.Conn.rd.lim.Unauthentic = unauth
	c.Reply.OK()
	return nil
}

func cmdConfigResetStat(c *Call) error {
	// Like Redis, this leaves the slow log and the change counter alone.
	c.Srv.stats.reset(c.Srv.table)
	c.Reply.OK()
	return nil
}

func cmdConfigRewrite(c *Call) error {
	if err := c.Srv.cfg.Rewrite(); err != nil {
		if !errors.Is(err, config.ErrNoConfigFile) {
			c.Srv.log.Warn("config rewrite failed", "err", err)
		}
		return err
	}
	c.Srv.log.Info("config rewrite executed with success")
	c.Reply.OK()
	return nil
}

func cmdConfigHelp(c *Call) error {
	replyHelp(c.Reply, "CONFIG",
		"GET <pattern>",
		"    Return parameters matching the glob-like <pattern> and their values.",
		"SET <directive> <value>",
		"    Set the configuration <directive> to <value>.",
		"RESETSTAT",
		"    Reset statistics reported by the INFO command.",
		"REWRITE",
		"    Rewrite the configuration file.")
	return nil
}

// TIME, LASTSAVE, SHUTDOWN

func cmdTime(c *Call) error {
	now := time.Now()
	c.Reply.Array(2)
	c.Reply.BulkInt(now.Unix())
	c.Reply.BulkInt(int64(now.Nanosecond() / 1000))
	return nil
}

func cmdLastSave(c *Call) error {
	c.Reply.Int(c.Srv.lastSaveUnix())
	return nil
}

// cmdShutdown stops the server the way Close does: the log is synced and
// the keyspace checkpointed, so nothing acknowledged is lost with any
// flag. First, as in Redis, it saves dir/dbfilename when SAVE is given or
// save points are configured (not with NOSAVE); a failed save stops the
// shutdown unless FORCE. NOW changes nothing, as there are no replicas to
// wait for. The client gets no reply: its connection closes.
func cmdShutdown(c *Call) error {
	var save, nosave, force, abort bool
	for _, a := range c.Args[1:] {
		switch strings.ToLower(string(a)) {
		case "save":
			save = true
		case "nosave":
			nosave = true
		case "now":
		case "force":
			force = true
		case "abort":
			abort = true
		default:
			return errSyntax
		}
	}
	if save && nosave || abort && len(c.Args) > 2 {
		return errSyntax
	}
	if abort {
		return errNoShutdown // a shutdown never waits for anything
	}
	s := c.Srv
	if err := s.shutdownSave(save, nosave, force); err != nil {
		return err
	}
	s.log.Warn("user requested shutdown", "client", c.Conn.addr)
	c.Conn.quitting = true
	// Close waits for every connection goroutine, this one included, so
	// it cannot run here. Done is closed when it returns.
	go func() {
		if err := s.Close(); err != nil {
			s.log.Error("shutdown failed", "err", err)
		}
	}()
	return nil
}

// SLOWLOG

func cmdSlowlogGet(c *Call) error {
	count := int64(10)
	if len(c.Args) > 3 {
		return errSubSyntax(c.Args)
	}
	if len(c.Args) == 3 {
		n, ok := parseStrictInt(c.Arg(2))
		if !ok || n < -1 {
			return errSlowlogCount
		}
		count = n
	}
	sl := &c.Srv.slowlog
	sl.mu.Lock()
	entries := sl.entries
	if count >= 0 && int64(len(entries)) > count {
		entries = entries[:count]
	}
	entries = append([]slowEntry(nil), entries...)
	sl.mu.Unlock()
	r := c.Reply
	r.Array(len(entries))
	for _, e := range entries {
		r.Array(6)
		r.Int(e.id)
		r.Int(e.at)
		r.Int(e.usec)
		r.Array(len(e.args))
		for _, a := range e.args {
			r.BulkString(a)
		}
		r.BulkString(e.addr)
		r.BulkString(e.name)
	}
	return nil
}

func cmdSlowlogLen(c *Call) error {
	sl := &c.Srv.slowlog
	sl.mu.Lock()
	n := len(sl.entries)
	sl.mu.Unlock()
	c.Reply.Int(int64(n))
	return nil
}

func cmdSlowlogReset(c *Call) error {
	sl := &c.Srv.slowlog
	sl.mu.Lock()
	sl.entries = nil // ids keep counting, as in Redis
	sl.mu.Unlock()
	c.Reply.OK()
	return nil
}

func cmdSlowlogHelp(c *Call) error {
	replyHelp(c.Reply, "SLOWLOG",
		"GET [<count>]",
		"    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
		"    Entries are made of:",
		"    id, timestamp, time in microseconds, arguments array, client IP and port,",
		"    client name",
		"LEN",
		"    Return the length of the slowlog.",
		"RESET",
		"    Reset the slowlog.")
	return nil
}

// redactArgs returns a command's arguments with secrets replaced by
// "(redacted)", as Redis keeps them out of SLOWLOG: the arguments of AUTH,
// the AUTH pair of HELLO, and CONFIG SET values of sensitive directives.
// args itself is never changed.
func (s *Server) redactArgs(args [][]byte) [][]byte {
	var secret []int
	switch strings.ToLower(string(args[0])) {
	case "auth":
		for i := 1; i < len(args); i++ {
			secret = append(secret, i)
		}
	case "hello":
		for i := 2; i+2 < len(args); i++ {
			if strings.EqualFold(string(args[i]), "auth") {
				secret = append(secret, i+1, i+2)
				i += 2
			}
		}
	case "config":
		if len(args) > 2 && strings.EqualFold(string(args[1]), "set") {
			sensitive := map[string]bool{}
			for _, d := range s.cfg.Table() {
				if d.Sensitive {
					sensitive[d.Name] = true
					for _, a := range d.Aliases {
						sensitive[a] = true
					}
				}
			}
			for i := 2; i+1 < len(args); i += 2 {
				if sensitive[strings.ToLower(string(args[i]))] {
					secret = append(secret, i+1)
				}
			}
		}
	}
	if len(secret) == 0 {
		return args
	}
	out := append([][]byte(nil), args...)
	for _, i := range secret {
		out[i] = []byte("(redacted)")
	}
	return out
}

// MONITOR

// cmdMonitor turns the connection into a monitor: after +OK it receives
// every command the server runs. It keeps accepting commands (QUIT, RESET).
func cmdMonitor(c *Call) error {
	conn := c.Conn
	conn.mu.Lock()
	already := conn.monitor
	conn.monitor = true
	conn.mu.Unlock()
	if already {
		return nil // Redis ignores a second MONITOR without a reply
	}
	conn.joinMonitor = true // after the +OK is flushed: see Conn.beforeRead
	c.Reply.OK()
	return nil
}

// DEBUG

// cmdDebug runs the DEBUG subcommands cobble has. DEBUG is one command
// with its own subcommand parsing, as in Redis, so COMMAND shows it the
// same way.
func cmdDebug(c *Call) error {
	switch c.Srv.cfg.String("enable-debug-command") {
	case "yes":
	case "local":
		if !c.Conn.isLocal() {
			return errDebugDisabled
		}
	default:
		return errDebugDisabled
	}
	sub := strings.ToLower(string(c.Arg(1)))
	switch {
	case sub == "help" && len(c.Args) == 2:
		replyHelp(c.Reply, "DEBUG",
			"ERROR <string>",
			"    Return a Redis protocol error with <string> as message. Useful for clients",
			"    unit tests to simulate Redis errors.",
			"LOG <message>",
			"    Write <message> to the server log.",
			"SET-ACTIVE-EXPIRE <0|1>",
			"    Setting it to 0 disables expiring keys in background when they are not",
			"    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
			"    default.",
			"SLEEP <seconds>",
			"    Stop the connection for <seconds>. Decimals allowed.")
		return nil
	case sub == "set-active-expire" && len(c.Args) == 3:
		on := string(c.Arg(2))
		if on != "0" && on != "1" {
			return errSyntax
		}
		c.Srv.exec.do(func(*engine.Txn) { c.Srv.exec.expireOff = on == "0" })
		c.Reply.OK()
		return nil
	case sub == "sleep" && len(c.Args) == 3:
		secs, err := c.Float(2)
		if err != nil {
			return err
		}
		c.Srv.debugSleep(time.Duration(min(secs*float64(time.Second), math.MaxInt64)))
		c.Reply.OK()
		return nil
	case sub == "log" && len(c.Args) == 3:
		c.Srv.log.Warn("debug log", "message", string(c.Arg(2)))
		c.Reply.OK()
		return nil
	case sub == "error" && len(c.Args) == 3:
		c.Reply.Error(string(c.Arg(2)))
		return nil
	}
	return errSubSyntax(c.Args)
}

// debugSleep sleeps for d, or until the server starts closing. It holds
// only the calling connection (or the executor, inside EXEC), where Redis
// stops the whole server.
func (s *Server) debugSleep(d time.Duration) {
	deadline := time.Now().Add(d)
	for !s.closing() {
		left := time.Until(deadline)
		if left <= 0 {
			return
		}
		time.Sleep(min(left, 50*time.Millisecond))
	}
}

// sortedKeys returns a map's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// formatFixed renders f with the given decimals, as Redis's %.Nf.
func formatFixed(f float64, decimals int) string {
	return strconv.FormatFloat(f, 'f', decimals, 64)
}
