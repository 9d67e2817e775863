package server

import (
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

var clientCommands = []*Command{
	{Name: "client", Arity: -2, Group: "connection", Since: "2.4.0",
		Summary: "Inspect and manage client connections.", Subs: []*Command{
			{Name: "id", Arity: 2, Flags: FlagNoScript | FlagLoading | FlagStale, Group: "connection", Since: "5.0.0",
				Summary: "Return the connection's id.", Run: cmdClientID},
			{Name: "setname", Arity: 3, Flags: FlagNoScript | FlagLoading | FlagStale, Group: "connection", Since: "2.6.9",
				Summary: "Name the connection; an empty name removes it.", Run: cmdClientSetName},
			{Name: "getname", Arity: 2, Flags: FlagNoScript | FlagLoading | FlagStale, Group: "connection", Since: "2.6.9",
				Summary: "Return the connection's name.", Run: cmdClientGetName},
			{Name: "setinfo", Arity: 4, Flags: FlagNoScript | FlagLoading | FlagStale, Group: "connection", Since: "7.2.0",
				Summary: "Record the client library's name or version.", Run: cmdClientSetInfo},
			{Name: "list", Arity: -2, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale, Group: "connection", Since: "2.4.0",
				Summary: "Describe the connections, one line each.", Run: cmdClientList},
			{Name: "info", Arity: 2, Flags: FlagNoScript | FlagLoading | FlagStale, Group: "connection", Since: "6.2.0",
				Summary: "Describe this connection, as CLIENT LIST does.", Run: cmdClientInfo},
			{Name: "kill", Arity: -3, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale, Group: "connection", Since: "2.4.0",
				Summary: "Close connections by address, id, type, user or age.", Run: cmdClientKill},
			{Name: "unblock", Arity: -3, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale, Group: "connection", Since: "5.0.0",
				Summary: "Unblock a client blocked in a blocking command, as on a timeout or with an error.", Run: cmdClientUnblock},
			{Name: "no-evict", Arity: 3, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale, Group: "connection", Since: "7.0.0",
				Summary: "Exclude the connection from client eviction.", Run: cmdClientNoEvict},
			{Name: "no-touch", Arity: 3, Flags: FlagNoScript | FlagLoading | FlagStale, Group: "connection", Since: "7.2.0",
				Summary: "Keep the connection's commands from changing keys' access time (cobble never tracks it).", Run: cmdClientNoTouch},
			{Name: "getredir", Arity: 2, Flags: FlagNoScript | FlagLoading | FlagStale, Group: "connection", Since: "6.0.0",
				Summary: "Return the id tracking redirects to: -1, as cobble has no client-side caching yet.", Run: cmdClientGetRedir},
			{Name: "help", Arity: 2, Flags: FlagLoading | FlagStale, Group: "connection", Since: "5.0.0",
				Summary: "Show CLIENT's subcommands.", Run: cmdClientHelp},
		}},
}

func cmdClientID(c *Call) error {
	c.Reply.Int(c.Conn.id)
	return nil
}

func cmdClientSetName(c *Call) error {
	name := string(c.Arg(2))
	if err := validClientName(name); err != nil {
		return err
	}
	c.Conn.mu.Lock()
	c.Conn.name = name
	c.Conn.mu.Unlock()
	c.Reply.OK()
	return nil
}

func cmdClientGetName(c *Call) error {
	c.Conn.mu.Lock()
	name := c.Conn.name
	c.Conn.mu.Unlock()
	if name == "" {
		c.Reply.Null()
		return nil
	}
	c.Reply.BulkString(name)
	return nil
}

func cmdClientSetInfo(c *Call) error {
	attr, val := c.Arg(2), string(c.Arg(3))
	lib := strings.ToLower(string(attr))
	if lib != "lib-name" && lib != "lib-ver" {
		return errUnrecognizedOption(attr)
	}
	if validClientName(val) != nil {
		return errClientAttr(attr)
	}
	c.Conn.mu.Lock()
	if lib == "lib-name" {
		c.Conn.libName = val
	} else {
		c.Conn.libVer = val
	}
	c.Conn.mu.Unlock()
	c.Reply.OK()
	return nil
}

// cmdClientUnblock serves CLIENT UNBLOCK id [TIMEOUT|ERROR]: 1 when the
// client was blocked and is now released.
func cmdClientUnblock(c *Call) error {
	if len(c.Args) > 4 {
		return errSubSyntax(c.Args)
	}
	withError := false
	if len(c.Args) == 4 {
		switch strings.ToLower(string(c.Arg(3))) {
		case "timeout":
		case "error":
			withError = true
		default:
			return errUnblockReason
		}
	}
	id, err := c.Int(2)
	if err != nil {
		return err
	}
	for _, other := range c.Srv.liveClients() {
		if other.id == id {
			c.Reply.Int(b2i(c.Srv.unblockClient(other, withError)))
			return nil
		}
	}
	c.Reply.Int(0)
	return nil
}

func cmdClientNoEvict(c *Call) error {
	on, err := onOff(c.Arg(2))
	if err != nil {
		return err
	}
	c.Conn.mu.Lock()
	c.Conn.noEvict = on
	c.Conn.mu.Unlock()
	c.Reply.OK()
	return nil
}

func cmdClientNoTouch(c *Call) error {
	on, err := onOff(c.Arg(2))
	if err != nil {
		return err
	}
	c.Conn.mu.Lock()
	c.Conn.noTouch = on
	c.Conn.mu.Unlock()
	c.Reply.OK()
	return nil
}

func onOff(b []byte) (bool, error) {
	switch strings.ToLower(string(b)) {
	case "on":
		return true, nil
	case "off":
		return false, nil
	}
	return false, errSyntax
}

func cmdClientGetRedir(c *Call) error {
	c.Reply.Int(-1)
	return nil
}

func cmdClientHelp(c *Call) error {
	replyHelp(c.Reply, "CLIENT",
		"GETREDIR",
		"    Return the client ID we are redirecting to when tracking is enabled.",
		"GETNAME",
		"    Return the name of the current connection.",
		"ID",
		"    Return the ID of the current connection.",
		"INFO",
		"    Return information about the current client connection.",
		"KILL <ip:port>",
		"    Kill connection made from <ip:port>.",
		"KILL <option> <value> [<option> <value> [...]]",
		"    Kill connections. Options are:",
		"    * ADDR (<ip:port>|<unixsocket>:0)",
		"      Kill connections made from the specified address",
		"    * LADDR (<ip:port>|<unixsocket>:0)",
		"      Kill connections made to specified local address",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Kill connections by type.",
		"    * USER <username>",
		"      Kill connections authenticated by <username>.",
		"    * SKIPME (YES|NO)",
		"      Skip killing current connection (default: yes).",
		"    * ID <client-id>",
		"      Kill connections by client id.",
		"    * MAXAGE <maxage>",
		"      Kill connections older than the specified age.",
		"LIST [options ...]",
		"    Return information about client connections. Options:",
		"    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
		"      Return clients of specified type.",
		"    * ID <client-id> [<client-id> ...]",
		"      Return clients of specified IDs only.",
		"SETNAME <name>",
		"    Assign the name <name> to the current connection.",
		"SETINFO <option> <value>",
		"    Set client meta attr. Options are:",
		"    * LIB-NAME: the client lib name.",
		"    * LIB-VER: the client lib version.",
		"NO-EVICT (ON|OFF)",
		"    Protect current client connection from eviction.",
		"NO-TOUCH (ON|OFF)",
		"    Will not touch LRU/LFU stats when this mode is on.")
	return nil
}

// clientType parses a class of CLIENT LIST/KILL TYPE.
func clientType(b []byte) (string, error) {
	switch t := strings.ToLower(string(b)); t {
	case "normal", "pubsub", "master":
		return t, nil
	case "replica", "slave":
		return "replica", nil
	}
	return "", errUnknownClientType(b)
}

// clientType is the connection's class: "pubsub" while it has
// subscriptions, else "normal" (a MONITOR connection too, as in Redis;
// replication does not exist yet).
func (c *Conn) clientType() string {
	if c.subscribed.Load() > 0 {
		return "pubsub"
	}
	return "normal"
}

func cmdClientList(c *Call) error {
	typ := ""
	var ids []int64
	switch {
	case len(c.Args) == 2:
	case len(c.Args) == 4 && strings.EqualFold(string(c.Arg(2)), "type"):
		t, err := clientType(c.Arg(3))
		if err != nil {
			return err
		}
		typ = t
	case len(c.Args) > 3 && strings.EqualFold(string(c.Arg(2)), "id"):
		for _, a := range c.Args[3:] {
			id, ok := parseStrictInt(a)
			if !ok || id <= 0 {
				return errInvalidClientID
			}
			ids = append(ids, id)
		}
	default:
		return errSyntax // one filter at a time, as in Redis
	}
	conns := c.Srv.liveClients()
	slices.SortFunc(conns, func(a, b *Conn) int { return int(a.id - b.id) })
	var sb strings.Builder
	for _, other := range conns {
		if typ != "" && other.clientType() != typ {
			continue
		}
		if ids != nil && !slices.Contains(ids, other.id) {
			continue
		}
		other.writeInfo(&sb, c)
		sb.WriteByte('\n')
	}
	c.Reply.Verbatim(sb.String())
	return nil
}

func cmdClientInfo(c *Call) error {
	var sb strings.Builder
	c.Conn.writeInfo(&sb, c)
	sb.WriteByte('\n')
	c.Reply.Verbatim(sb.String())
	return nil
}

// writeInfo writes the connection's CLIENT LIST line, in Redis 7.2's
// format. call is the command asking: the query buffer, arguments and
// reply buffer are read only for the connection running it; other
// connections show 0 there, as an idle Redis client does.
func (c *Conn) writeInfo(sb *strings.Builder, call *Call) {
	ps := &c.s.pubsub
	ps.mu.RLock()
	sub, psub, ssub := len(c.subs.channels), len(c.subs.patterns), len(c.subs.shards)
	ps.mu.RUnlock()
	c.mu.Lock()
	name, libName, libVer := c.name, c.libName, c.libVer
	c.mu.Unlock()
	db := c.selectedDB()
	lastCmd := "NULL"
	if cmd := c.lastCmd.Load(); cmd != nil {
		lastCmd = cmd.FullName()
	}
	var qbuf, qbufFree, argvMem, rbs int
	multi := -1
	if c == call.Conn {
		qbuf = c.rd.queryBufLen()
		qbufFree = len(c.rd.buf) - c.rd.w
		for _, a := range call.Args {
			argvMem += len(a)
		}
		rbs = cap(c.reply.buf)
		if c.multi != nil {
			multi = len(c.multi.queued)
		}
	} else if c.inMulti.Load() {
		multi = 0 // the queue belongs to the other connection's goroutine
	}
	now := time.Now()
	first := true
	field := func(k string, v any) {
		if !first {
			sb.WriteByte(' ')
		}
		first = false
		sb.WriteString(k)
		sb.WriteByte('=')
		switch v := v.(type) {
		case string:
			sb.WriteString(v)
		case int:
			sb.WriteString(strconv.Itoa(v))
		case int64:
			sb.WriteString(strconv.FormatInt(v, 10))
		}
	}
	field("id", c.id)
	field("addr", c.addr)
	field("laddr", c.laddr)
	field("fd", c.fd())
	field("name", name)
	field("age", int64(now.Sub(c.created)/time.Second))
	field("idle", c.idleSeconds())
	field("flags", c.flagsString())
	field("db", db)
	field("sub", sub)
	field("psub", psub)
	field("ssub", ssub)
	field("multi", multi)
	field("qbuf", qbuf)
	field("qbuf-free", qbufFree)
	field("argv-mem", argvMem)
	field("multi-mem", 0)
	field("rbs", rbs)
	field("rbp", rbs)
	field("obl", 0)
	field("oll", 0)
	field("omem", 0)
	field("tot-mem", qbuf+qbufFree+argvMem+rbs)
	field("events", "r")
	field("cmd", lastCmd)
	field("user", "default")
	field("redir", -1)
	field("resp", c.protocol())
	field("lib-name", libName)
	field("lib-ver", libVer)
}

// fd is the connection's file descriptor, or -1.
func (c *Conn) fd() int {
	sc, ok := c.nc.(syscall.Conn)
	if !ok {
		return -1
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	if raw.Control(func(f uintptr) { fd = int(f) }) != nil {
		return -1
	}
	return fd
}

// killFilter is CLIENT KILL's new form: every given condition must match.
type killFilter struct {
	id     int64
	addr   string
	laddr  string
	typ    string
	user   string
	maxAge int64 // seconds; 0 = any
	skipMe bool
}

func (f *killFilter) match(c, self *Conn, now time.Time) bool {
	switch {
	case f.skipMe && c == self,
		f.id != 0 && c.id != f.id,
		f.addr != "" && c.addr != f.addr,
		f.laddr != "" && c.laddr != f.laddr,
		f.typ != "" && c.clientType() != f.typ,
		f.user != "" && f.user != "default",
		f.maxAge > 0 && int64(now.Sub(c.created)/time.Second) < f.maxAge:
		return false
	}
	return true
}

// cmdClientKill closes connections. The old form CLIENT KILL addr:port
// answers OK or "No such client"; the new form, filters in pairs, answers
// how many it closed. A connection that kills itself gets its reply first.
func cmdClientKill(c *Call) error {
	if len(c.Args) == 3 {
		addr := string(c.Arg(2))
		for _, other := range c.Srv.liveClients() {
			if other.addr == addr {
				c.Reply.OK()
				c.Conn.killConn(other)
				return nil
			}
		}
		return errNoSuchClient
	}
	f := killFilter{skipMe: true}
	for i := 2; i < len(c.Args); i += 2 {
		if i+1 >= len(c.Args) {
			return errSyntax
		}
		opt, val := strings.ToLower(string(c.Arg(i))), c.Arg(i+1)
		switch opt {
		case "id":
			id, ok := parseStrictInt(val)
			if !ok || id <= 0 {
				return errClientIDRange
			}
			f.id = id
		case "type":
			t, err := clientType(val)
			if err != nil {
				return err
			}
			f.typ = t
		case "user":
			if string(val) != "default" {
				return errNoSuchUser(val) // only the default user exists
			}
			f.user = string(val)
		case "addr":
			f.addr = string(val)
		case "laddr":
			f.laddr = string(val)
		case "skipme":
			switch strings.ToLower(string(val)) {
			case "yes":
				f.skipMe = true
			case "no":
				f.skipMe = false
			default:
				return errSyntax
			}
		case "maxage":
			n, ok := parseStrictInt(val)
			if !ok {
				return errNotInteger
			}
			if n <= 0 {
				return errSyntax
			}
			f.maxAge = n
		default:
			return errSyntax
		}
	}
	now := time.Now()
	var victims []*Conn
	for _, other := range c.Srv.liveClients() {
		if f.match(other, c.Conn, now) {
			victims = append(victims, other)
		}
	}
	c.Reply.Int(int64(len(victims)))
	for _, v := range victims {
		c.Conn.killConn(v)
	}
	return nil
}

// liveClients are the connected clients, less those CLIENT KILL closed
// whose goroutines have not yet finished: as in Redis, a killed client is
// gone at once.
func (s *Server) liveClients() []*Conn {
	conns := s.clients()
	return slices.DeleteFunc(conns, func(c *Conn) bool { return c.killed.Load() })
}

// killConn closes other; the calling connection itself closes after its
// reply instead.
func (c *Conn) killConn(other *Conn) {
	if other == c {
		c.quitting = true
		return
	}
	other.kill()
}
