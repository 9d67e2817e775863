package server

import (
	"crypto/subtle"
	"strconv"
	"strings"
	"time"
)

var connCommands = []*Command{
	{Name: "ping", Arity: -1, Flags: FlagFast, Group: "connection", Since: "1.0.0",
		Summary: "Answer PONG, or echo the argument.", Run: cmdPing},
	{Name: "echo", Arity: 2, Flags: FlagFast | FlagStale | FlagLoading, Group: "connection", Since: "1.0.0",
		Summary: "Return the argument.", Run: cmdEcho},
	{Name: "quit", Arity: -1, Flags: FlagFast | FlagStale | FlagLoading | FlagNoAuth | FlagNoScript, Group: "connection", Since: "1.0.0",
		Summary: "Close the connection.", Run: cmdQuit},
	{Name: "select", Arity: 2, Flags: FlagFast | FlagStale | FlagLoading, Group: "connection", Since: "1.0.0",
		Summary: "Change the selected db.", Run: cmdSelect},
	{Name: "auth", Arity: -2, Flags: FlagFast | FlagStale | FlagLoading | FlagNoAuth | FlagNoScript, Group: "connection", Since: "1.0.0",
		Summary: "Authenticate the connection.", Run: cmdAuth},
	{Name: "hello", Arity: -1, Flags: FlagFast | FlagStale | FlagLoading | FlagNoAuth | FlagNoScript, Group: "connection", Since: "6.0.0",
		Summary: "Choose the protocol (RESP2/RESP3), authenticate and name the connection.", Run: cmdHello},
	{Name: "reset", Arity: 1, Flags: FlagFast | FlagStale | FlagLoading | FlagNoAuth | FlagNoScript, Group: "connection", Since: "6.2.0",
		Summary: "Reset the connection's state.", Run: cmdReset},
}

func cmdPing(c *Call) error {
	if len(c.Args) > 2 {
		return errArity("ping")
	}
	if c.Conn != nil && c.Conn.subscribed.Load() > 0 && c.Reply.proto == 2 {
		// Subscribed RESP2 clients get PING's answer as a message-like array.
		c.Reply.Array(2)
		c.Reply.BulkString("pong")
		if len(c.Args) == 2 {
			c.Reply.Bulk(c.Arg(1))
		} else {
			c.Reply.BulkString("")
		}
		return nil
	}
	if len(c.Args) == 2 {
		c.Reply.Bulk(c.Arg(1))
		return nil
	}
	c.Reply.Simple("PONG")
	return nil
}

func cmdEcho(c *Call) error {
	c.Reply.Bulk(c.Arg(1))
	return nil
}

func cmdQuit(c *Call) error {
	c.Reply.OK()
	c.Conn.quitting = true
	return nil
}

func cmdSelect(c *Call) error {
	n, err := strconv.Atoi(string(c.Arg(1)))
	if err != nil {
		return errNotInteger
	}
	if n < 0 || n >= c.Srv.db.Databases() {
		return errDBIndex
	}
	c.Conn.setDB(n)
	c.selectedTo = n + 1
	c.Reply.OK()
	return nil
}

// checkPassword compares in constant time; only the default user exists.
func (s *Server) checkPassword(user, pass string) bool {
	want := *s.requirePass.Load()
	if user != "default" {
		return false
	}
	if want == "" {
		return true // the default user is "nopass"
	}
	return subtle.ConstantTimeCompare([]byte(pass), []byte(want)) == 1
}

func (c *Conn) setAuthed() {
	c.authed = true
	c.rd.lim.Unauthentic = false
}

func cmdAuth(c *Call) error {
	if len(c.Args) > 3 {
		return errSyntax
	}
	user, pass := "default", string(c.Arg(1))
	if len(c.Args) == 3 {
		user, pass = string(c.Arg(1)), string(c.Arg(2))
	} else if *c.Srv.requirePass.Load() == "" {
		return errf("AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?")
	}
	if !c.Srv.checkPassword(user, pass) {
		return errWrongPass
	}
	c.Conn.setAuthed()
	c.Reply.OK()
	return nil
}

func cmdHello(c *Call) error {
	proto := c.Conn.reply.proto
	i := 1
	if len(c.Args) > 1 {
		v, err := strconv.Atoi(string(c.Arg(1)))
		if err != nil {
			return errf("Protocol version is not an integer or out of range")
		}
		if v < 2 || v > 3 {
			return &Error{"NOPROTO", "unsupported protocol version"}
		}
		proto = v
		i = 2
	}
	var name *string
	for ; i < len(c.Args); i++ {
		switch strings.ToLower(string(c.Arg(i))) {
		case "auth":
			if i+2 >= len(c.Args) {
				return errf("Syntax error in HELLO option '%s'", c.Arg(i))
			}
			if !c.Srv.checkPassword(string(c.Arg(i+1)), string(c.Arg(i+2))) {
				return errWrongPass
			}
			c.Conn.setAuthed()
			i += 2
		case "setname":
			if i+1 >= len(c.Args) {
				return errf("Syntax error in HELLO option '%s'", c.Arg(i))
			}
			n := string(c.Arg(i + 1))
			if err := validClientName(n); err != nil {
				return err
			}
			name = &n
			i++
		default:
			return errf("Syntax error in HELLO option '%s'", c.Arg(i))
		}
	}
	if !c.Conn.authed {
		return &Error{"NOAUTH", "HELLO must be called with the client already authenticated, otherwise the HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"}
	}
	if name != nil {
		c.Conn.mu.Lock()
		c.Conn.name = *name
		c.Conn.mu.Unlock()
	}
	c.Conn.reply.proto = proto
	c.Conn.proto.Store(int32(proto))
	r := c.Reply
	r.Map(7)
	r.BulkString("server")
	r.BulkString("redis")
	r.BulkString("version")
	r.BulkString(Version)
	r.BulkString("proto")
	r.Int(int64(proto))
	r.BulkString("id")
	r.Int(c.Conn.id)
	r.BulkString("mode")
	r.BulkString("standalone")
	r.BulkString("role")
	r.BulkString("master")
	r.BulkString("modules")
	r.Array(0)
	return nil
}

func validClientName(n string) error {
	for i := 0; i < len(n); i++ {
		if n[i] < '!' || n[i] > '~' {
			return errf("Client names cannot contain spaces, newlines or special characters.")
		}
	}
	return nil
}

func cmdReset(c *Call) error {
	conn := c.Conn
	conn.multi = nil
	conn.inMulti.Store(false)
	conn.unwatchAll()
	conn.setDB(0)
	conn.reply.proto = 2
	conn.proto.Store(2)
	if conn.subscribed.Load() > 0 {
		c.Srv.pubsub.dropConn(conn)
		conn.subscribed.Store(0)
	}
	conn.mu.Lock()
	conn.name = ""
	wasMonitor := conn.monitor
	conn.monitor = false
	conn.noEvict = false
	conn.mu.Unlock()
	if wasMonitor {
		c.Srv.monitors.remove(conn)
	}
	conn.authed = *c.Srv.requirePass.Load() == ""
	conn.rd.lim.Unauthentic = !conn.authed
	c.Reply.Simple("RESET")
	return nil
}

// idleSeconds is CLIENT LIST's idle field.
func (c *Conn) idleSeconds() int64 {
	return (time.Now().UnixMilli() - c.lastIO.Load()) / 1000
}
