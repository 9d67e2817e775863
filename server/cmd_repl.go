package server

import (
	"strconv"
	"strings"
	"time"

	"github.com/cobbledb/cobble/engine"
)

var replCommands = []*Command{
	{Name: "replicaof", Arity: 3, Flags: FlagAdmin | FlagNoScript | FlagStale, Group: "server", Since: "5.0.0",
		Summary: "Replicate another server, or stop replicating (NO ONE).", Run: cmdReplicaOf},
	{Name: "slaveof", Arity: 3, Flags: FlagAdmin | FlagNoScript | FlagStale, Group: "server", Since: "1.0.0",
		Summary: "Old name of REPLICAOF.", Run: cmdReplicaOf},
	{Name: "replconf", Arity: -1, Flags: FlagAdmin | FlagNoScript | FlagLoading | FlagStale, Group: "server", Since: "3.0.0",
		Summary: "Replication handshake and acknowledgements (used by replicas).", Run: cmdReplConf},
	{Name: "psync", Arity: -3, Flags: FlagAdmin | FlagNoScript | FlagNoMulti, Group: "server", Since: "2.8.0",
		Summary: "Start a partial or full resync (used by replicas).", Run: cmdPSync},
	{Name: "sync", Arity: 1, Flags: FlagAdmin | FlagNoScript | FlagNoMulti, Group: "server", Since: "1.0.0",
		Summary: "Start a full resync with the old protocol (used by redis-cli --rdb).", Run: cmdPSync},
	{Name: "wait", Arity: 3, Flags: FlagNoScript, Group: "generic", Since: "3.0.0",
		Summary: "Wait until replicas acknowledge this client's writes.", Run: cmdWait},
	{Name: "role", Arity: 1, Flags: FlagNoScript | FlagLoading | FlagStale | FlagFast, Group: "server", Since: "2.8.12",
		Summary: "Return the replication role and its state.", Run: cmdRole},
}

func cmdReplicaOf(c *Call) error {
	if c.inMulti {
		// NB: EXEC runs in the executor, and changing the role waits for
		// it (the ids are written through it, the link is stopped while
		// it may be applying the stream): refused, where Redis allows it.
		return errf("Command not allowed inside a transaction")
	}
	host, port := string(c.Arg(1)), string(c.Arg(2))
	if strings.EqualFold(host, "no") && strings.EqualFold(port, "one") {
		if err := c.Srv.promote(); err != nil {
			return err
		}
		c.Reply.OK()
		return nil
	}
	if p, err := strconv.Atoi(port); err != nil || p <= 0 || p > 65535 {
		return errf("Invalid master port")
	}
	s := c.Srv
	s.repl.mu.Lock()
	same := s.repl.role == "slave" && s.repl.masterHost == host && s.repl.masterPort == port
	s.repl.mu.Unlock()
	if same {
		c.Reply.Simple("OK Already connected to specified master")
		return nil
	}
	s.startReplicaOf(host, port)
	s.log.Info("replicating", "master", host+":"+port)
	c.Reply.OK()
	return nil
}

func cmdReplConf(c *Call) error {
	if len(c.Args)%2 == 0 {
		return errSyntax
	}
	conn := c.Conn
	if conn.replica == nil {
		conn.replica = &replicaInfo{}
	}
	ip, _, _ := strings.Cut(conn.addr, ":")
	if h, _, err := splitHostPort(conn.addr); err == nil {
		ip = h
	}
	if conn.replica.ip == "" {
		conn.replica.ip = ip
	}
	for i := 1; i < len(c.Args); i += 2 {
		v := string(c.Arg(i + 1))
		switch c.ArgLower(i) {
		case "listening-port":
			p, err := strconv.Atoi(v)
			if err != nil {
				return errNotInteger
			}
			conn.replica.port = p
		case "ip-address":
			conn.replica.ip = v
		case "capa":
			switch strings.ToLower(v) {
			case "eof":
				conn.replica.capaEOF = true
			case "psync2":
				conn.replica.capaPS2 = true
			}
		case "ack", "getack":
			// ACKs arrive on the replication stream, read by the feed.
			return nil
		case "rdb-only", "rdb-filter-only":
		default:
			return errf("Unrecognized REPLCONF option: %s", c.Arg(i))
		}
	}
	c.Reply.OK()
	return nil
}

// cmdWait waits until numreplicas replicas acknowledged everything logged
// so far (including this client's writes) or the timeout passes, and
// returns how many did. A REPLCONF GETACK in the stream asks them to
// answer at once.
func cmdWait(c *Call) error {
	s := c.Srv
	if s.isReplica() {
		return errf("WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.")
	}
	n, err := c.Int(1)
	if err != nil {
		return err
	}
	ms, err := c.Int(2)
	if err != nil {
		return err
	}
	if ms < 0 {
		return errTimeoutNeg
	}
	target := s.aof.EndOffset()
	count := func() int64 {
		var k int64
		for _, r := range s.repl.replicas {
			if r.state == "online" && r.ack.Load() >= target {
				k++
			}
		}
		return k
	}
	s.repl.mu.Lock()
	got := count()
	s.repl.mu.Unlock()
	if got >= n || n <= 0 || c.inMulti {
		// Inside EXEC it cannot block: it answers at once, as in Redis.
		c.Reply.Int(got)
		return nil
	}
	s.exec.do(func(*engine.Txn) {
		s.exec.buf = append(s.exec.buf, "*3\r\n$8\r\nREPLCONF\r\n$6\r\nGETACK\r\n$1\r\n*\r\n"...)
	})
	var deadline time.Time
	if ms > 0 {
		deadline = time.Now().Add(time.Duration(ms) * time.Millisecond)
	}
	// Wake the waiter at the deadline too.
	done := make(chan struct{})
	defer close(done)
	if !deadline.IsZero() {
		go func() {
			select {
			case <-time.After(time.Until(deadline)):
				s.repl.mu.Lock()
				s.repl.ackCond.Broadcast()
				s.repl.mu.Unlock()
			case <-done:
			}
		}()
	}
	s.repl.mu.Lock()
	for {
		got = count()
		if got >= n || (!deadline.IsZero() && !time.Now().Before(deadline)) || c.Conn.killed.Load() {
			break
		}
		s.repl.ackCond.Wait()
	}
	s.repl.mu.Unlock()
	c.Reply.Int(got)
	return nil
}

func cmdRole(c *Call) error {
	s := c.Srv
	s.repl.mu.Lock()
	role, host, port := s.repl.role, s.repl.masterHost, s.repl.masterPort
	type rep struct {
		ip   string
		port int
		ack  int64
	}
	var reps []rep
	for _, r := range s.repl.replicas {
		if r.state == "online" {
			reps = append(reps, rep{r.ip, r.port, r.ack.Load()})
		}
	}
	s.repl.mu.Unlock()
	r := c.Reply
	if role == "master" {
		r.Array(3)
		r.BulkString("master")
		r.Int(s.aof.EndOffset())
		r.Array(len(reps))
		for _, x := range reps {
			r.Array(3)
			r.BulkString(x.ip)
			r.BulkString(strconv.Itoa(x.port))
			r.BulkString(strconv.FormatInt(x.ack, 10))
		}
		return nil
	}
	st := s.linkState()
	p, _ := strconv.Atoi(port)
	r.Array(5)
	r.BulkString("slave")
	r.BulkString(host)
	r.Int(int64(p))
	r.BulkString(st.Status)
	off := s.appliedOffset()
	if st.SyncInProgess {
		off = -1
	}
	r.Int(off)
	return nil
}
