package server

import (
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Conn is one client connection. Its goroutine reads commands, runs reads
// itself and hands writes to the executor; other goroutines (MONITOR feeds,
// CLIENT KILL, pub/sub) reach it only through the locked fields below.
type Conn struct {
	s       *Server
	nc      net.Conn
	id      int64
	rd      *reader
	reply   Reply
	created time.Time
	addr    string
	laddr   string

	// Owned by the connection goroutine.
	authed   bool
	multi    *multiState
	quitting bool

	mu       sync.Mutex   // guards the fields CLIENT LIST/INFO read
	db       atomic.Int32 // selected db (read by every command: no lock)
	name     string
	libName  string
	libVer   string
	lastCmd  atomic.Pointer[Command]
	noEvict  bool
	noTouch  bool
	monitor  bool
	lastIO   atomic.Int64 // unix ms of the last command (Server.clock's resolution)
	killed   atomic.Bool
	wmu      sync.Mutex // serialises writes to nc (own replies, MONITOR feed)
	totalCmd atomic.Int64
	inMulti  atomic.Bool // mirrors multi != nil for other goroutines

	subs       subState     // pub/sub subscriptions (guarded by Server.pubsub.mu)
	subscribed atomic.Int32 // number of subscriptions, for dispatch
	proto      atomic.Int32 // 2 or 3, for goroutines that write pushes

	replica *replicaInfo // set by REPLCONF/PSYNC: this client is a replica

	blockedReq atomic.Pointer[blockedReq] // set by the executor while parked
	watched    []watchEntry               // WATCHed keys (connection goroutine)
	watchDirty atomic.Bool                // a WATCHed key changed (set by the executor)

	// joinMonitor is set by MONITOR; the connection joins the feed once
	// its +OK is flushed, so no fed line overtakes it. Written by the
	// handler (connection goroutine, or the executor during EXEC while the
	// connection waits), read by the connection goroutine.
	joinMonitor bool
	selfPush    []byte // messages the running command published to this connection
}

// multiState is an open MULTI: the queued calls and whether a queuing
// error doomed it.
type multiState struct {
	queued []*Call
	dirty  bool
}

func newConn(s *Server, nc net.Conn) *Conn {
	c := &Conn{s: s, nc: nc, id: s.nextID.Add(1), created: time.Now(),
		addr: nc.RemoteAddr().String(), laddr: nc.LocalAddr().String()}
	c.reply.proto = 2
	c.authed = *s.requirePass.Load() == ""
	c.rd = newReader(nc, c.beforeRead)
	c.rd.lim = *s.limits.Load()
	c.rd.lim.Unauthentic = !c.authed
	c.lastIO.Store(time.Now().UnixMilli())
	return c
}

// beforeRead runs before the reader blocks on the socket: the replies to
// everything read so far go out, and the idle timeout is armed.
func (c *Conn) beforeRead() error {
	if err := c.flush(); err != nil {
		return err
	}
	if c.joinMonitor {
		c.joinMonitor = false
		if c.isMonitor() { // not undone by a RESET since
			c.s.monitors.add(c)
		}
	}
	if t := c.s.cfg.Int("timeout"); t > 0 && !c.isMonitor() {
		c.nc.SetReadDeadline(time.Now().Add(time.Duration(t) * time.Second))
	} else {
		c.nc.SetReadDeadline(time.Time{})
	}
	return nil
}

func (c *Conn) flush() error {
	if len(c.reply.buf) == 0 {
		return nil
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	return c.flushLocked()
}

// flushLocked writes the pending replies; the caller holds wmu.
func (c *Conn) flushLocked() error {
	if len(c.reply.buf) == 0 {
		return nil
	}
	_, err := c.nc.Write(c.reply.buf)
	c.s.stats.netOutput.Add(int64(len(c.reply.buf)))
	if cap(c.reply.buf) > 1<<20 {
		c.reply.buf = nil
	} else {
		c.reply.buf = c.reply.buf[:0]
	}
	return err
}

// writeAsync writes pre-encoded bytes from another goroutine (MONITOR).
func (c *Conn) writeAsync(b []byte) {
	c.wmu.Lock()
	c.nc.SetWriteDeadline(time.Now().Add(5 * time.Second))
	_, err := c.nc.Write(b)
	c.nc.SetWriteDeadline(time.Time{})
	c.wmu.Unlock()
	if err != nil {
		c.nc.Close()
	}
}

func (c *Conn) isMonitor() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.monitor
}

// kill closes the connection from another goroutine (CLIENT KILL).
func (c *Conn) kill() {
	c.killed.Store(true)
	c.nc.Close()
}

// serve is the connection's read–dispatch loop. Consecutive writes that
// are already buffered (a pipeline) go to the executor as one request, so
// they share one log append and one fsync.
func (c *Conn) serve() {
	defer c.nc.Close()
	// However the loop ends (EOF included), the connection leaves no
	// watches or subscriptions behind.
	defer func() {
		c.unwatchAll()
		if c.subscribed.Load() > 0 {
			c.s.pubsub.dropConn(c)
		}
	}()
	var pending []*Call
	for !c.quitting && !c.killed.Load() {
		if len(pending) > 0 && !c.rd.ready() {
			c.s.exec.run(c, pending, false)
			pending = nil
		}
		args, err := c.rd.next()
		if err != nil {
			var pe *ProtocolError
			if errors.As(err, &pe) {
				if len(pending) > 0 {
					c.s.exec.run(c, pending, false)
				}
				c.reply.Error("ERR " + pe.Error())
				c.flush()
				c.s.log.Debug("protocol error", "client", c.addr, "err", pe.Msg)
			} else if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				c.s.log.Debug("client read error", "client", c.addr, "err", err)
			}
			return
		}
		c.s.stats.netInput.Add(int64(argsLen(args)))
		mark := len(c.reply.buf)
		call, queuedWrite := c.dispatch(args)
		if call == nil {
			if len(pending) > 0 && len(c.reply.buf) > mark {
				// dispatch answered at once (an error, QUEUED…): that
				// answer goes after the replies of the writes read before.
				answer := append([]byte(nil), c.reply.buf[mark:]...)
				c.reply.buf = c.reply.buf[:mark]
				c.s.exec.run(c, pending, false)
				pending = nil
				c.reply.buf = append(c.reply.buf, answer...)
			}
			continue
		}
		if queuedWrite {
			pending = append(pending, call)
			if len(pending) >= 256 {
				c.s.exec.run(c, pending, false)
				pending = nil
			}
			continue
		}
		if len(pending) > 0 {
			c.s.exec.run(c, pending, false)
			pending = nil
		}
		c.runLocal(call)
		if len(c.selfPush) > 0 { // messages it published to itself
			c.reply.buf = append(c.reply.buf, c.selfPush...)
			c.selfPush = c.selfPush[:0]
		}
		c.rd.shrink()
	}
	if len(pending) > 0 {
		c.s.exec.run(c, pending, false)
	}
	c.flush()
}

// protocol is the connection's RESP version, readable from any goroutine.
func (c *Conn) protocol() int {
	if p := c.proto.Load(); p != 0 {
		return int(p)
	}
	return 2
}

func argsLen(args [][]byte) int {
	n := 0
	for _, a := range args {
		n += len(a) + 8
	}
	return n
}

// selectedDB is the connection's db (read by other goroutines).
func (c *Conn) selectedDB() int { return int(c.db.Load()) }

func (c *Conn) setDB(db int) { c.db.Store(int32(db)) }

// flagsString renders CLIENT LIST's flags field.
func (c *Conn) flagsString() string {
	var sb strings.Builder
	c.mu.Lock()
	mon, noEvict, noTouch := c.monitor, c.noEvict, c.noTouch
	c.mu.Unlock()
	if mon {
		sb.WriteByte('O')
	}
	if c.subscribed.Load() > 0 {
		sb.WriteByte('P')
	}
	if c.inMulti.Load() {
		sb.WriteByte('x')
	}
	if c.blockedReq.Load() != nil {
		sb.WriteByte('b')
	}
	if noEvict {
		sb.WriteByte('e')
	}
	if noTouch {
		sb.WriteByte('T')
	}
	if sb.Len() == 0 {
		sb.WriteByte('N')
	}
	return sb.String()
}
