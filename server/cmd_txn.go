package server

var txnCommands = []*Command{
	{Name: "multi", Arity: 1, Flags: FlagNoScript | FlagLoading | FlagStale | FlagFast, Group: "transactions", Since: "1.2.0",
		Summary: "Start a transaction.", Run: cmdMulti},
	{Name: "exec", Arity: 1, Flags: FlagNoScript | FlagLoading | FlagStale | FlagSkipSlowlog, Group: "transactions", Since: "1.2.0",
		Summary: "Run the queued commands atomically.", Run: cmdExec},
	{Name: "watch", Arity: -2, Flags: FlagNoScript | FlagLoading | FlagStale | FlagFast, Keys: allKeys, Group: "transactions", Since: "2.2.0",
		Summary: "Abort the next EXEC when any of these keys changes.", Run: cmdWatch},
	{Name: "unwatch", Arity: 1, Flags: FlagNoScript | FlagLoading | FlagStale | FlagFast, Group: "transactions", Since: "2.2.0",
		Summary: "Forget all WATCHed keys.", Run: cmdUnwatch},
	{Name: "discard", Arity: 1, Flags: FlagNoScript | FlagLoading | FlagStale | FlagFast, Group: "transactions", Since: "2.0.0",
		Summary: "Drop the queued commands.", Run: cmdDiscard},
}

func cmdMulti(c *Call) error {
	if c.Conn.multi != nil {
		return errNestedMulti
	}
	c.Conn.multi = &multiState{}
	c.Conn.inMulti.Store(true)
	c.Reply.OK()
	return nil
}

func cmdDiscard(c *Call) error {
	if c.Conn.multi == nil {
		return errDiscardNoMult
	}
	c.Conn.multi = nil
	c.Conn.inMulti.Store(false)
	c.Conn.unwatchAll()
	c.Reply.OK()
	return nil
}

// cmdExec runs the queued calls as one executor request: no other write
// interleaves, and the log sees them wrapped in MULTI/EXEC.
func cmdExec(c *Call) error {
	m := c.Conn.multi
	if m == nil {
		return errExecNoMulti
	}
	c.Conn.multi = nil
	c.Conn.inMulti.Store(false)
	if m.dirty {
		c.Conn.unwatchAll()
		return errExecAbort
	}
	// The executor checks WATCH and writes the reply header: between this
	// goroutine and the executor, another client's write may still land.
	c.Srv.exec.runExec(c.Conn, m.queued)
	return nil
}
