package server

const pubsubFlags = FlagPubSub | FlagNoScript | FlagLoading | FlagStale

var pubsubCommands = []*Command{
	{Name: "subscribe", Arity: -2, Flags: pubsubFlags, Group: "pubsub", Since: "2.0.0",
		Summary: "Listen for messages published to channels.", Run: cmdSubscribe},
	{Name: "psubscribe", Arity: -2, Flags: pubsubFlags, Group: "pubsub", Since: "2.0.0",
		Summary: "Listen for messages published to channels matching patterns.", Run: cmdSubscribe},
	{Name: "ssubscribe", Arity: -2, Flags: pubsubFlags, Keys: allKeys, Group: "pubsub", Since: "7.0.0",
		Summary: "Listen for messages published to shard channels.", Run: cmdSubscribe},
	{Name: "unsubscribe", Arity: -1, Flags: pubsubFlags, Group: "pubsub", Since: "2.0.0",
		Summary: "Stop listening to channels (all when none is given).", Run: cmdUnsubscribe},
	{Name: "punsubscribe", Arity: -1, Flags: pubsubFlags, Group: "pubsub", Since: "2.0.0",
		Summary: "Stop listening to patterns (all when none is given).", Run: cmdUnsubscribe},
	{Name: "sunsubscribe", Arity: -1, Flags: pubsubFlags, Keys: allKeys, Group: "pubsub", Since: "7.0.0",
		Summary: "Stop listening to shard channels (all when none is given).", Run: cmdUnsubscribe},
	{Name: "publish", Arity: 3, Flags: FlagPubSub | FlagLoading | FlagStale | FlagFast, Group: "pubsub", Since: "2.0.0",
		Summary: "Post a message to a channel.", Run: cmdPublish},
	{Name: "spublish", Arity: 3, Flags: FlagPubSub | FlagLoading | FlagStale | FlagFast, Keys: oneKey, Group: "pubsub", Since: "7.0.0",
		Summary: "Post a message to a shard channel.", Run: cmdPublish},
	{Name: "pubsub", Group: "pubsub", Since: "2.8.0", Arity: -2, Summary: "Inspect the pub/sub state.", Subs: []*Command{
		{Name: "channels", Arity: -2, Flags: FlagPubSub | FlagLoading | FlagStale, Group: "pubsub", Since: "2.8.0",
			Summary: "Return the active channels, optionally matching a pattern.", Run: cmdPubsubChannels},
		{Name: "shardchannels", Arity: -2, Flags: FlagPubSub | FlagLoading | FlagStale, Group: "pubsub", Since: "7.0.0",
			Summary: "Return the active shard channels, optionally matching a pattern.", Run: cmdPubsubChannels},
		{Name: "numsub", Arity: -2, Flags: FlagPubSub | FlagLoading | FlagStale, Group: "pubsub", Since: "2.8.0",
			Summary: "Return the number of subscribers of channels.", Run: cmdPubsubNumsub},
		{Name: "shardnumsub", Arity: -2, Flags: FlagPubSub | FlagLoading | FlagStale, Group: "pubsub", Since: "7.0.0",
			Summary: "Return the number of subscribers of shard channels.", Run: cmdPubsubNumsub},
		{Name: "numpat", Arity: 2, Flags: FlagPubSub | FlagLoading | FlagStale, Group: "pubsub", Since: "2.8.0",
			Summary: "Return the number of pattern subscriptions.", Run: cmdPubsubNumpat},
		{Name: "help", Arity: 2, Flags: FlagLoading | FlagStale, Group: "pubsub", Since: "6.2.0",
			Summary: "Show PUBSUB's subcommands.", Run: cmdPubsubHelp},
	}},
}

// subKind maps a (un)subscribe command to the table it works on.
func subKind(name string) string {
	switch name {
	case "psubscribe", "punsubscribe":
		return "pattern"
	case "ssubscribe", "sunsubscribe":
		return "shard"
	}
	return "channel"
}

// cmdSubscribe serves SUBSCRIBE, PSUBSCRIBE and SSUBSCRIBE. The
// confirmations reach the socket before any message for the new
// subscriptions: the connection's write lock is held from registering
// until they are written.
func cmdSubscribe(c *Call) error {
	if c.inMulti {
		return errf("Command not allowed inside a transaction")
	}
	name := c.ArgLower(0)
	kind := subKind(name)
	conn := c.Conn
	conn.wmu.Lock()
	defer conn.wmu.Unlock()
	counts := c.Srv.pubsub.subscribe(conn, kind, c.Args[1:])
	for i, ch := range c.Args[1:] {
		c.Reply.Push(3)
		c.Reply.BulkString(name)
		c.Reply.Bulk(ch)
		c.Reply.Int(int64(counts[i]))
	}
	conn.subscribed.Store(int32(conn.subsTotal()))
	return conn.flushLocked()
}

func cmdUnsubscribe(c *Call) error {
	name := c.ArgLower(0)
	kind := subKind(name)
	conn := c.Conn
	list, counts := c.Srv.pubsub.unsubscribe(conn, kind, c.Args[1:])
	if len(list) == 0 {
		c.Reply.Push(3)
		c.Reply.BulkString(name)
		c.Reply.Null()
		c.Reply.Int(int64(conn.subCountLocked(kind, c.Srv)))
	}
	for i, ch := range list {
		c.Reply.Push(3)
		c.Reply.BulkString(name)
		c.Reply.BulkString(ch)
		c.Reply.Int(int64(counts[i]))
	}
	conn.subscribed.Store(int32(conn.subsTotal()))
	return nil
}

func cmdPublish(c *Call) error {
	kind := "channel"
	if c.ArgLower(0) == "spublish" {
		kind = "shard"
	}
	c.Reply.Int(int64(c.Srv.pubsub.publishFrom(c.Conn, kind, c.Arg(1), c.Arg(2))))
	return nil
}

func cmdPubsubChannels(c *Call) error {
	if len(c.Args) > 3 {
		return errArity(c.Cmd.FullName())
	}
	kind := "channel"
	if c.ArgLower(1) == "shardchannels" {
		kind = "shard"
	}
	var pat []byte
	if len(c.Args) == 3 {
		pat = c.Arg(2)
	}
	names := c.Srv.pubsub.channelNames(kind, pat)
	c.Reply.Array(len(names))
	for _, n := range names {
		c.Reply.BulkString(n)
	}
	return nil
}

func cmdPubsubNumsub(c *Call) error {
	kind := "channel"
	if c.ArgLower(1) == "shardnumsub" {
		kind = "shard"
	}
	c.Reply.Map(len(c.Args) - 2)
	for _, ch := range c.Args[2:] {
		c.Reply.Bulk(ch)
		c.Reply.Int(int64(c.Srv.pubsub.numSub(kind, string(ch))))
	}
	return nil
}

func cmdPubsubNumpat(c *Call) error {
	c.Reply.Int(int64(c.Srv.pubsub.numPat()))
	return nil
}

func cmdPubsubHelp(c *Call) error {
	lines := []string{
		"PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
		"CHANNELS [<pattern>]",
		"    Return the currently active channels matching a <pattern> (default: '*').",
		"NUMPAT",
		"    Return number of subscriptions to patterns.",
		"NUMSUB [<channel> ...]",
		"    Return the number of subscribers for the specified channels, excluding",
		"    pattern subscriptions(default: no channels).",
		"SHARDCHANNELS [<pattern>]",
		"    Return the currently active shard level channels matching a <pattern> (default: '*').",
		"SHARDNUMSUB [<shardchannel> ...]",
		"    Return the number of subscribers for the specified shard level channel(s)",
		"HELP",
		"    Print this help.",
	}
	c.Reply.Array(len(lines))
	for _, l := range lines {
		c.Reply.Simple(l)
	}
	return nil
}

// subsTotal counts all of the connection's subscriptions.
func (c *Conn) subsTotal() int {
	c.s.pubsub.mu.RLock()
	defer c.s.pubsub.mu.RUnlock()
	return c.subs.count()
}

func (c *Conn) subCountLocked(kind string, s *Server) int {
	s.pubsub.mu.RLock()
	defer s.pubsub.mu.RUnlock()
	return c.subCount(kind)
}
