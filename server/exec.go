package server

import (
	"strconv"
	"sync"
	"time"

	"github.com/cobbledb/cobble/aof"
	"github.com/cobbledb/cobble/engine"
)

// maxGroupCalls bounds one group commit so a flood of writers still gets
// replies at a steady pace.
const maxGroupCalls = 4096

// execReq is a unit of work for the executor: the calls of one client, run
// in order (atomically for MULTI/EXEC), or an internal task.
type execReq struct {
	conn  *Conn
	calls []*Call
	multi bool
	task  func(txn *engine.Txn) // internal work (active expiry), instead of calls
	mark  int                   // reply length before this request (rollback)
	done  chan struct{}
}

// executor is the one goroutine that applies writes, in order. It runs a
// group of requests against one indexed batch, turns each command into its
// effect, appends the group to the log (one write, one fsync per
// appendfsync), commits the batch, then releases the waiting connections.
type executor struct {
	s      *Server
	ch     chan *execReq
	stop   chan struct{}
	wg     sync.WaitGroup
	lastDB int // db of the last SELECT written to the log; -1 = unknown

	buf []byte // effects of the current group, RESP
}

func newExecutor(s *Server) *executor {
	e := &executor{s: s, ch: make(chan *execReq, 1024), stop: make(chan struct{}), lastDB: -1}
	e.wg.Add(1)
	go e.loop()
	return e
}

// run submits calls and waits until they are committed and answered.
func (e *executor) run(c *Conn, calls []*Call, multi bool) {
	req := &execReq{conn: c, calls: calls, multi: multi, done: make(chan struct{})}
	select {
	case e.ch <- req:
	case <-e.stop:
		for range calls {
			c.reply.Error("ERR server is shutting down")
		}
		return
	}
	<-req.done
}

// do runs an internal task in the executor and waits for it.
func (e *executor) do(task func(txn *engine.Txn)) bool {
	req := &execReq{task: task, done: make(chan struct{})}
	select {
	case e.ch <- req:
	case <-e.stop:
		return false
	}
	<-req.done
	return true
}

func (e *executor) close() {
	close(e.stop)
	e.wg.Wait()
}

func (e *executor) loop() {
	defer e.wg.Done()
	hz := e.s.cfg.Int("hz")
	if hz <= 0 {
		hz = 10
	}
	tick := time.NewTicker(time.Second / time.Duration(hz))
	defer tick.Stop()
	var lastCheckpoint = time.Now()
	var checkpointFrom = e.s.aof.EndOffset()
	for {
		var first *execReq
		select {
		case first = <-e.ch:
		case <-tick.C:
			e.activeExpire()
			end := e.s.aof.EndOffset()
			if end-checkpointFrom > 16<<20 || (end > checkpointFrom && time.Since(lastCheckpoint) > 10*time.Second) {
				e.checkpoint()
				checkpointFrom, lastCheckpoint = end, time.Now()
			}
			continue
		case <-e.stop:
			// Drain requests already queued so no client waits forever.
			for {
				select {
				case r := <-e.ch:
					e.group([]*execReq{r})
				default:
					return
				}
			}
		}
		group := []*execReq{first}
		n := len(first.calls)
	drain:
		for n < maxGroupCalls {
			select {
			case r := <-e.ch:
				group = append(group, r)
				n += len(r.calls)
			default:
				break drain
			}
		}
		e.group(group)
	}
}

// group executes, logs and commits one group of requests.
func (e *executor) group(reqs []*execReq) {
	s := e.s
	txn := s.db.WriteTxn()
	e.buf = e.buf[:0]
	startDB := e.lastDB
	for _, r := range reqs {
		if r.task != nil {
			r.task(txn)
			e.appendEffects(txn.TakeEffects(), nil)
			continue
		}
		r.mark = len(r.conn.reply.buf)
		e.runReq(txn, r)
	}
	var err error
	end := s.aof.EndOffset()
	if len(e.buf) > 0 {
		end, err = s.aof.Append(e.buf)
	}
	if err == nil {
		err = txn.Commit(end)
	} else {
		txn.Close()
	}
	touched := txn.TakeTouched()
	if err != nil {
		// Nothing of the group happened: every reply becomes the error.
		s.log.Error("write failed, group rolled back", "err", err)
		e.lastDB = startDB
		for _, r := range reqs {
			if r.conn == nil {
				continue
			}
			r.conn.reply.buf = r.conn.reply.buf[:r.mark]
			for range r.calls {
				r.conn.reply.Error(errMisconf.Error() + err.Error())
			}
		}
	} else {
		s.afterCommit(touched)
	}
	for _, r := range reqs {
		close(r.done)
	}
}

// runReq runs one request's calls against the group's batch and appends
// their effects to the group's log buffer.
func (e *executor) runReq(txn *engine.Txn, r *execReq) {
	s := e.s
	var effects []engine.Effect
	db := -1
	for _, call := range r.calls {
		if db >= 0 {
			call.DB = db // a SELECT earlier in this MULTI
		}
		call.Txn = txn
		txn.SetNow(s.db.Now())
		before := txn.Dirty()
		s.runCall(call)
		effects = append(effects, txn.TakeEffects()...)
		if call.selectedTo > 0 {
			db = call.selectedTo - 1
		}
		if call.Cmd.Flags&FlagWrite == 0 || call.failed && txn.Dirty() == before {
			continue
		}
		if call.effectSet {
			for _, args := range call.effects {
				effects = append(effects, engine.Effect{DB: call.DB, Args: args})
			}
		} else if txn.Dirty() > before {
			effects = append(effects, engine.Effect{DB: call.DB, Args: call.Args})
		}
		s.stats.dirty.Add(txn.Dirty() - before)
	}
	if r.multi && len(effects) > 0 {
		e.appendEffects(effects, [][]byte{[]byte("MULTI")})
		e.buf = aof.AppendCommand(e.buf, []byte("EXEC"))
		return
	}
	e.appendEffects(effects, nil)
}

// appendEffects encodes effects as RESP, with SELECT when the db changes.
func (e *executor) appendEffects(effects []engine.Effect, prefix [][]byte) {
	if len(effects) == 0 {
		return
	}
	if prefix != nil {
		e.buf = aof.AppendCommand(e.buf, prefix...)
	}
	for _, ef := range effects {
		if ef.DB != e.lastDB {
			e.buf = aof.AppendCommand(e.buf, []byte("SELECT"), []byte(strconv.Itoa(ef.DB)))
			e.lastDB = ef.DB
		}
		e.buf = aof.AppendCommand(e.buf, ef.Args...)
	}
}

// activeExpire deletes keys whose TTL passed, reading the expiry index,
// in bounded steps so writers are never held up for long.
func (e *executor) activeExpire() {
	for range 16 {
		more := false
		e.group([]*execReq{{task: func(txn *engine.Txn) {
			n, m, err := txn.ExpireCycle(200)
			if err != nil {
				e.s.log.Error("active expiry failed", "err", err)
				return
			}
			e.s.stats.expiredKeys.Add(int64(n))
			more = m
		}, done: make(chan struct{})}})
		if !more {
			return
		}
	}
}

// checkpoint flushes the keyspace so the log before it can be retired
// and a restart replays only the tail.
func (e *executor) checkpoint() {
	off, err := e.s.db.Checkpoint()
	if err != nil {
		e.s.log.Error("checkpoint failed", "err", err)
		return
	}
	keep := off
	if b := e.s.cfg.Bytes("repl-backlog-size"); e.s.aof.EndOffset()-b < keep {
		keep = e.s.aof.EndOffset() - b
	}
	if _, err := e.s.aof.TruncateBefore(keep); err != nil {
		e.s.log.Warn("log retention failed", "err", err)
	}
	if h := e.s.hooks.OnCheckpoint; h != nil {
		h(off)
	}
}

// afterCommit runs once a group is durable and visible: it is where WATCH,
// keyspace notifications and blocked clients learn about changed keys.
func (s *Server) afterCommit(touched []engine.Touched) {
	_ = touched
}
