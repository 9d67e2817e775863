package server

import (
	"errors"
	"math"
	"net"
	"time"

	"github.com/cobbledb/cobble/engine"
)

// Blocking commands (BLPOP, BZPOPMIN, BLMOVE…) run in the executor like
// any write. When there is nothing to pop the handler calls Call.Block:
// the request stays parked in the executor, keyed by the keys it waits
// on, and its connection goroutine keeps waiting for it. After every
// commit the executor retries the parked requests whose keys were touched,
// oldest first, so clients are served in the order they blocked. A
// timeout, CLIENT UNBLOCK or the client going away cancels the request in
// the executor too, so a popped element is never handed to a client that
// is gone.

// blockSpec is what a handler asks for when it cannot be served yet.
type blockSpec struct {
	keys      [][]byte
	timeout   time.Duration // 0 = forever
	onTimeout func(r *Reply)
}

type blockKey struct {
	db  int
	key string
}

// blockedReq is a parked request and its bookkeeping.
type blockedReq struct {
	req      *execReq
	call     *Call
	spec     *blockSpec
	since    time.Time
	timer    *time.Timer
	released bool // executor-only: unparked already
}

// Block parks the call until one of keys changes or the timeout passes (0
// waits forever). The handler must not have written a reply or changed
// anything. Inside MULTI nothing blocks: Block returns false and the
// handler answers as on a timeout, like Redis.
func (c *Call) Block(keys [][]byte, timeout time.Duration, onTimeout func(r *Reply)) bool {
	if c.inMulti {
		return false
	}
	c.block = &blockSpec{keys: keys, timeout: timeout, onTimeout: onTimeout}
	return true
}

// retrying reports whether the call is a parked blocking call tried again
// because one of its keys changed. Such a call ignores a key that now holds
// another type and keeps waiting, as Redis serves a blocked client only
// from a key of the type it waits for.
func (c *Call) retrying() bool { return c.Conn != nil && c.Conn.blockedReq.Load() != nil }

// parseTimeout parses a blocking command's timeout in seconds (a float, as
// Redis 6+ takes it, hexadecimal included), with Redis's errors: a
// timeout whose deadline in ms would not fit in an int64 is out of range.
// A timeout beyond what a Duration holds waits forever.
func parseTimeout(b []byte) (time.Duration, error) {
	f, ok := parseFloat(b)
	if !ok && len(b) > 0 && b[0] > ' ' {
		f, ok = parseSortScore(b) // strtod's syntax: hexadecimal
	}
	if !ok {
		return 0, errTimeoutFloat
	}
	ms := math.Ceil(f * 1000)
	if ms > math.MaxInt64-float64(time.Now().UnixMilli()) {
		return 0, errTimeoutRange
	}
	if ms < 0 {
		return 0, errTimeoutNeg
	}
	if ms >= float64(math.MaxInt64/int64(time.Millisecond)) {
		return 0, nil
	}
	return time.Duration(f * float64(time.Second)), nil
}

// park registers a request whose only call asked to block.
func (e *executor) park(r *execReq, call *Call) *blockedReq {
	b := &blockedReq{req: r, call: call, spec: call.block, since: time.Now()}
	e.blockedOrder = append(e.blockedOrder, b)
	for _, k := range b.spec.keys {
		bk := blockKey{call.DB, string(k)}
		e.blocked[bk] = append(e.blocked[bk], b)
	}
	e.s.stats.blockedClients.Add(1)
	if b.spec.timeout > 0 {
		b.timer = time.AfterFunc(b.spec.timeout, func() {
			e.submit(func(*engine.Txn) { e.unpark(b, unparkTimeout) })
		})
	}
	r.conn.blockedReq.Store(b)
	return b
}

type unparkReason int

const (
	unparkServed unparkReason = iota
	unparkTimeout
	unparkError  // CLIENT UNBLOCK … ERROR
	unparkCancel // the client went away: no reply
)

// unpark removes a parked request, writes its reply (for a timeout or an
// error) and releases its connection. It is a no-op when the request was
// already released.
func (e *executor) unpark(b *blockedReq, why unparkReason) {
	if b.released {
		return
	}
	e.forget(b)
	switch why {
	case unparkTimeout:
		b.spec.onTimeout(&b.req.conn.reply)
	case unparkError:
		b.req.conn.reply.Error(errUnblocked.Error())
	}
	close(b.req.done)
}

// forget removes a parked request from the executor's tables without
// releasing its connection.
func (e *executor) forget(b *blockedReq) {
	b.released = true
	for _, k := range b.spec.keys {
		bk := blockKey{b.call.DB, string(k)}
		list := e.blocked[bk]
		for i, x := range list {
			if x == b {
				list = append(list[:i:i], list[i+1:]...)
				break
			}
		}
		if len(list) == 0 {
			delete(e.blocked, bk)
		} else {
			e.blocked[bk] = list
		}
	}
	for i, x := range e.blockedOrder {
		if x == b {
			e.blockedOrder = append(e.blockedOrder[:i:i], e.blockedOrder[i+1:]...)
			break
		}
	}
	if b.timer != nil {
		b.timer.Stop()
	}
	e.s.stats.blockedClients.Add(-1)
	b.req.conn.blockedReq.Store(nil)
}

// readyBlocked returns the parked requests waiting on any touched key,
// oldest first.
func (e *executor) readyBlocked(touched []engine.Touched) []*blockedReq {
	if len(e.blocked) == 0 {
		return nil
	}
	hit := map[*blockedReq]bool{}
	for _, t := range touched {
		if t.Key == "" { // a whole db changed (FLUSHDB, SWAPDB)
			for k, list := range e.blocked {
				if k.db == t.DB {
					for _, b := range list {
						hit[b] = true
					}
				}
			}
			continue
		}
		for _, b := range e.blocked[blockKey{t.DB, t.Key}] {
			hit[b] = true
		}
	}
	var out []*blockedReq
	for _, b := range e.blockedOrder {
		if hit[b] {
			out = append(out, b)
		}
	}
	return out
}

// waitBlocking runs a blocking command for the connection: it submits the
// request and waits, while watching the socket so a client that goes away
// is noticed and its request cancelled.
func (c *Conn) waitBlocking(call *Call) {
	e := c.s.exec
	req := &execReq{conn: c, calls: []*Call{call}, done: make(chan struct{})}
	done := req.done
	if err := c.flush(); err != nil {
		c.quitting = true
		return
	}
	select {
	case e.ch <- req:
	case <-e.stop:
		c.reply.Error("ERR server is shutting down")
		return
	}
	c.nc.SetReadDeadline(time.Time{})
	for {
		readErr := make(chan error, 1)
		go func() { readErr <- c.rd.fillRaw() }()
		select {
		case <-done:
			// Stop the background read; keep whatever it already read.
			c.nc.SetReadDeadline(time.Now())
			err := <-readErr
			c.nc.SetReadDeadline(time.Time{})
			var ne net.Error
			if err != nil && !(errors.As(err, &ne) && ne.Timeout()) {
				c.quitting = true
			}
			return
		case err := <-readErr:
			if err == nil {
				continue // more input while blocked: kept for later
			}
			// The client is gone: cancel in the executor, then leave.
			e.submit(func(*engine.Txn) {
				if b := c.blockedReq.Load(); b != nil && b.req == req {
					e.unpark(b, unparkCancel)
				}
			})
			<-done
			c.quitting = true
			return
		}
	}
}

// unblockClient serves CLIENT UNBLOCK: it reports whether the client was
// blocked.
func (s *Server) unblockClient(target *Conn, withError bool) bool {
	result := false
	s.exec.do(func(*engine.Txn) {
		b := target.blockedReq.Load()
		if b == nil || b.released {
			return
		}
		result = true
		if withError {
			s.exec.unpark(b, unparkError)
		} else {
			s.exec.unpark(b, unparkTimeout)
		}
	})
	return result
}
