package server

import (
	"strings"
	"time"

	"github.com/cobbledb/cobble/engine"
)

// dispatch checks a command in the order of Redis's processCommand:
// unknown command or subcommand and arity → NOAUTH → MULTI queueing →
// MISCONF. It returns the call to run, and whether it is a write the
// connection may batch with the writes that follow it. A nil call means
// the reply (an error, or QUEUED) is already written.
func (c *Conn) dispatch(args [][]byte) (*Call, bool) {
	s := c.s
	cmd := s.table.lookup(args[0])
	if cmd == nil {
		c.rejectInMulti(errUnknownCommand(args))
		return nil, false
	}
	if len(cmd.Subs) > 0 {
		// A container (CONFIG, CLIENT…); COMMAND also runs bare.
		switch sub := (*Command)(nil); {
		case len(args) < 2 && cmd.Run == nil:
			c.rejectInMulti(errArity(cmd.Name))
			return nil, false
		case len(args) >= 2:
			if sub = cmd.sub(args[1]); sub != nil {
				cmd = sub
			} else if cmd.Run == nil {
				c.rejectInMulti(errUnknownSub(args))
				return nil, false
			}
		}
	}
	if !cmd.arityOK(len(args)) {
		c.rejectInMulti(errArity(cmd.FullName()))
		return nil, false
	}
	if !c.authed && cmd.Flags&FlagNoAuth == 0 {
		c.rejectInMulti(errNoAuth)
		return nil, false
	}
	if c.subscribed.Load() > 0 && c.reply.proto == 2 && !allowedSubscribed(cmd) {
		c.reply.Error(errf("Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context", cmd.FullName()).Error())
		return nil, false
	}
	call := &Call{Args: args, Cmd: cmd, Conn: c, Srv: s, Reply: &c.reply, DB: c.selectedDB()}
	if c.multi != nil && !isTxnControl(cmd) {
		if cmd.Flags&FlagNoMulti != 0 {
			c.rejectInMulti(errf("Command not allowed inside a transaction"))
			return nil, false
		}
		c.multi.queued = append(c.multi.queued, call)
		c.reply.Simple("QUEUED")
		return nil, false
	}
	if cmd.Flags&FlagWrite != 0 && s.replicaReadOnly() {
		c.rejectInMulti(errReadOnly)
		return nil, false
	}
	if s.isReplica() && !s.cfg.Bool("replica-serve-stale-data") && cmd.Flags&FlagStale == 0 && !s.linkState().Up {
		c.rejectInMulti(errMasterDown)
		return nil, false
	}
	if cmd.Flags&FlagWrite != 0 {
		if n := s.cfg.Int("min-replicas-to-write"); n > 0 && !s.isReplica() &&
			int64(s.goodReplicas(time.Duration(s.cfg.Int("min-replicas-max-lag"))*time.Second)) < n {
			c.rejectInMulti(errNoReplicas)
			return nil, false
		}
		if err := s.aof.LastError(); err != nil {
			c.reply.Error(errMisconf.Error() + err.Error())
			return nil, false
		}
	}
	s.monitors.feed(c, args)
	c.lastCmd.Store(cmd)
	c.lastIO.Store(s.clock.Load())
	return call, cmd.Flags&FlagWrite != 0 && cmd.Flags&(FlagNoMulti|FlagBlocking) == 0
}

// rejectInMulti writes a queuing-time error; inside MULTI it also dooms
// the transaction (EXEC then answers EXECABORT).
func (c *Conn) rejectInMulti(e *Error) {
	if c.multi != nil {
		c.multi.dirty = true
	}
	c.s.stats.rejectedCalls.Add(1)
	c.s.stats.countError(e.Prefix)
	c.reply.Error(e.Error())
}

// allowedSubscribed lists what a RESP2 client may send while subscribed.
func allowedSubscribed(cmd *Command) bool {
	switch cmd.Name {
	case "ping", "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe", "quit", "reset":
		return cmd.parent == nil
	}
	return false
}

func isTxnControl(cmd *Command) bool {
	switch cmd.Name {
	case "exec", "discard", "multi", "watch", "quit", "reset":
		return cmd.parent == nil
	}
	return false
}

// runLocal runs a non-write command on the connection goroutine.
func (c *Conn) runLocal(call *Call) {
	if call.Cmd.Flags&FlagBlocking != 0 {
		c.waitBlocking(call)
		return
	}
	if call.Cmd.Flags&FlagWrite != 0 {
		c.s.exec.run(c, []*Call{call}, false)
		return
	}
	var pos [4]int
	snapshot := call.Cmd.Flags&FlagSnapshot != 0 || len(call.Cmd.appendKeyPositions(pos[:0], call.Args)) > 1
	txn := c.s.db.ReadTxn(snapshot)
	call.Txn = txn
	c.s.runCall(call)
	txn.Close()
}

// runCall runs a handler and records stats and the slowlog. A handler
// error becomes the reply; handlers never write part of a reply first.
func (s *Server) runCall(call *Call) {
	start := monoNow()
	absent := call.absentKeys() // for "new" events (class n)
	if err := call.Cmd.Run(call); err != nil {
		e := toReply(err)
		call.Reply.Error(e.Error())
		s.stats.errorReplies.Add(1)
		s.stats.countError(e.Prefix)
		call.failed = true
	}
	call.notifyNew(absent)
	d := monoNow() - start
	if call.retrying() {
		return // a parked blocking call is counted once, when it first ran
	}
	s.stats.record(s.table.statsOf(call.Cmd), d, call.failed)
	call.Conn.totalCmd.Add(1)
	if call.Cmd.Flags&FlagSkipSlowlog == 0 {
		s.slowlog.maybeAdd(s, call, monoBase.Add(start), d)
	}
}

// monoBase anchors monoNow.
var monoBase = time.Now()

// monoNow reads only the monotonic clock (time.Now reads the wall clock
// too): runCall times every command with it.
func monoNow() time.Duration { return time.Since(monoBase) }

// Call is one command being run: its arguments, where to reply, the
// keyspace view and the effect it propagates.
type Call struct {
	Args  [][]byte
	Cmd   *Command
	Conn  *Conn
	Srv   *Server
	Txn   *engine.Txn
	Reply *Reply
	DB    int // the connection's db when the command was issued

	effects    [][][]byte // PropagateAs
	effectSet  bool
	failed     bool
	selectedTo int            // SELECT inside MULTI: the db later calls use
	notes      []notification // keyspace events, published after commit
	inMulti    bool           // running inside EXEC: blocking commands don't block
	block      *blockSpec     // set by Block: park this call
}

// Arg returns argument i (0 is the command name).
func (c *Call) Arg(i int) []byte { return c.Args[i] }

// ArgLower returns argument i in lower case (options).
func (c *Call) ArgLower(i int) string { return strings.ToLower(string(c.Args[i])) }

// PropagateAs replaces the verbatim effect with args; called several
// times it adds several effects, in order.
func (c *Call) PropagateAs(args ...[]byte) {
	c.effects = append(c.effects, args)
	c.effectSet = true
}

// NoPropagate says the command changed nothing worth logging.
func (c *Call) NoPropagate() { c.effectSet = true }
