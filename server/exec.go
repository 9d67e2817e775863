package server

import (
	"strconv"
	"sync"
	"time"

	"github.com/cobbledb/cobble/aof"
	"github.com/cobbledb/cobble/engine"
	"github.com/cobbledb/cobble/server/config"
)

// A checkpoint (Pebble flush) runs after this much log or this long with
// writes: a restart after a crash replays at most that much log, whatever
// the data size.
const (
	checkpointBytes = 8 << 20
	checkpointEvery = 5 * time.Second
)

// maxGroupCalls bounds one group commit so a flood of writers still gets
// replies at a steady pace.
const maxGroupCalls = 4096

// execReq is a unit of work for the executor: the calls of one client, run
// in order (atomically for MULTI/EXEC), or an internal task.
type execReq struct {
	conn  *Conn
	calls []*Call
	multi bool                  // MULTI/EXEC: logged inside MULTI … EXEC
	exec  bool                  // EXEC: check WATCH, write the array header
	task  func(txn *engine.Txn) // internal work (active expiry), instead of calls
	mark  int                   // reply length before this request (rollback)
	done  chan struct{}

	parked *blockedReq // set while a blocking call waits
	retry  bool        // a parked request being tried again

	replRaw  []byte     // a replica applying its master's stream: bytes to log verbatim
	replCmds [][][]byte // … and the commands in them
	replErr  error
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
	// streamDB is the db the log's last SELECT selected: where a replica
	// of this log (or a replay of it) runs the next command that follows
	// without a SELECT. Unlike lastDB it is never unknown, and it is
	// persisted ("stream-db") with the commit that changes it.
	streamDB, savedStreamDB int

	buf   []byte         // effects of the current group, RESP
	notes []notification // keyspace events of the current group
	done  []*execReq     // answered requests, released once blocked clients are served

	blocked      map[blockKey][]*blockedReq // parked blocking calls by key
	blockedOrder []*blockedReq              // all parked calls, oldest first
	expireOff    bool                       // DEBUG SET-ACTIVE-EXPIRE 0
}

func newExecutor(s *Server) *executor {
	e := &executor{s: s, ch: make(chan *execReq, 1024), stop: make(chan struct{}), lastDB: -1,
		blocked: map[blockKey][]*blockedReq{}}
	e.streamDB = s.persistedStreamDB()
	e.savedStreamDB = e.streamDB
	e.wg.Add(1)
	go e.loop()
	return e
}

// run submits calls and waits until they are committed and answered.
func (e *executor) run(c *Conn, calls []*Call, multi bool) {
	e.prefetch(calls)
	e.runReq(&execReq{conn: c, calls: calls, multi: multi, done: make(chan struct{})})
}

// runExec submits an EXEC: the queued calls, checked against WATCH.
func (e *executor) runExec(c *Conn, calls []*Call) {
	e.prefetch(calls)
	e.runReq(&execReq{conn: c, calls: calls, multi: true, exec: true, done: make(chan struct{})})
}

// prefetch reads the metadata of the keys the calls will write into the
// row cache, on the calling connection's goroutine, so the executor's own
// lookups hit it (see engine.DB.Prefetch).
func (e *executor) prefetch(calls []*Call) {
	for _, call := range calls {
		if call.Cmd.Flags&FlagWrite == 0 {
			continue
		}
		var pos [4]int
		for i, p := range call.Cmd.appendKeyPositions(pos[:0], call.Args) {
			if i == 16 {
				break
			}
			e.s.db.Prefetch(call.DB, call.Args[p])
		}
	}
}

func (e *executor) runReq(req *execReq) {
	done := req.done
	select {
	case e.ch <- req:
	case <-e.stop:
		for range req.calls {
			req.conn.reply.Error("ERR server is shutting down")
		}
		return
	}
	<-done
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

// submit queues an internal task without waiting (timers, cancellations).
func (e *executor) submit(task func(txn *engine.Txn)) {
	req := &execReq{task: task, done: make(chan struct{})}
	select {
	case e.ch <- req:
	case <-e.stop:
	}
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
	lastCheckpoint := time.Now()
	checkpointFrom := e.s.aof.EndOffset()
	checkpointing := false
	ckptDone := make(chan int64, 1)
	for {
		var first *execReq
		select {
		case first = <-e.ch:
		case now := <-tick.C:
			e.s.clock.Store(now.UnixMilli())
			e.s.stats.sampleOps()
			if !e.expireOff && !e.s.isReplica() {
				e.activeExpire()
			}
			e.pingReplicas()
			end := e.s.aof.EndOffset()
			if !checkpointing && (end-checkpointFrom > checkpointBytes || (end > checkpointFrom && time.Since(lastCheckpoint) > checkpointEvery)) {
				// The flush runs beside the executor: writes keep flowing
				// into a new memtable while the old one is written out.
				checkpointing = true
				checkpointFrom, lastCheckpoint = end, time.Now()
				go func() { ckptDone <- e.flushCheckpoint() }()
			}
			continue
		case off := <-ckptDone:
			checkpointing = false
			if off >= 0 {
				e.retire(off)
			}
			continue
		case <-e.stop:
			if checkpointing {
				<-ckptDone
			}
			e.shutdown()
			return
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

// shutdown drains queued requests and releases parked ones, so no
// connection goroutine waits forever.
func (e *executor) shutdown() {
	for {
		select {
		case r := <-e.ch:
			e.group([]*execReq{r})
		default:
			for len(e.blockedOrder) > 0 {
				e.unpark(e.blockedOrder[0], unparkCancel)
			}
			return
		}
	}
}

// group executes, logs and commits one group of requests, then retries
// parked blocking calls whose keys the group touched, and those whose keys
// the served ones touched. As in Redis, the clients of the group get their
// replies only then: a client that pushes and then reads sees the state
// after every blocked client it woke was served.
func (e *executor) group(reqs []*execReq) {
	for len(reqs) > 0 {
		touched := e.commitGroup(reqs)
		reqs = nil
		for _, b := range e.readyBlocked(touched) {
			b.req.retry = true
			reqs = append(reqs, b.req)
		}
	}
	for _, r := range e.done {
		close(r.done)
	}
	e.done = e.done[:0]
}

// commitGroup runs one group and returns the keys it changed (nil when
// the group failed).
func (e *executor) commitGroup(reqs []*execReq) []engine.Touched {
	s := e.s
	txn := s.db.WriteTxn()
	// A replica never expires keys on its own: its master's DELs do.
	txn.NoExpire = s.isReplica()
	e.buf = e.buf[:0]
	e.notes = e.notes[:0]
	startDB, startStreamDB := e.lastDB, e.streamDB
	replica := txn.NoExpire
	for _, r := range reqs {
		if r.replCmds != nil {
			txn.NoExpire = true
			e.applyReplicated(txn, r)
			continue
		}
		if r.task != nil {
			r.task(txn)
			eng := txn.TakeEffects()
			e.noteExpired(eng)
			e.appendEffects(eng, nil)
			continue
		}
		r.mark = len(r.conn.reply.buf)
		mark, db, sdb := len(e.buf), e.lastDB, e.streamDB
		e.runReq1(txn, r)
		if replica {
			// Writes on a writable replica are local, as in Redis: not
			// logged, so the log stays the master's stream byte for byte
			// (its offsets are the master's) and chained replicas don't
			// see them.
			e.buf, e.lastDB, e.streamDB = e.buf[:mark], db, sdb
		}
	}
	if e.streamDB != e.savedStreamDB {
		txn.SetInternal(streamDBKey, []byte(strconv.Itoa(e.streamDB)))
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
	failed := err != nil
	if failed {
		// Nothing of the group happened: every reply becomes the error,
		// except parked calls being retried, which simply stay parked.
		s.log.Error("write failed, group rolled back", "err", err)
		e.lastDB, e.streamDB = startDB, startStreamDB
		touched = nil
		for _, r := range reqs {
			if r.replCmds != nil {
				r.replErr = err
			}
			if r.conn == nil {
				continue
			}
			r.conn.reply.buf = r.conn.reply.buf[:r.mark]
			if r.retry {
				continue
			}
			if r.parked != nil {
				e.forget(r.parked) // parked in this very group: undo
				r.parked = nil
			}
			for range r.calls {
				r.conn.reply.Error(errMisconf.Error() + err.Error())
			}
		}
	} else {
		e.savedStreamDB = e.streamDB
		s.afterCommit(touched)
		if len(e.notes) > 0 {
			s.publishNotifications(e.notes)
		}
	}
	for _, r := range reqs {
		switch {
		case r.parked == nil:
			e.done = append(e.done, r)
		case r.parked.released:
		case r.retry && !failed && r.parked.call.block == nil:
			e.unpark(r.parked, unparkServed) // tried again and served
		}
		r.retry = false
	}
	return touched
}

// runReq1 runs one request's calls against the group's batch and appends
// their effects to the group's log buffer.
func (e *executor) runReq1(txn *engine.Txn, r *execReq) {
	s := e.s
	if r.exec && !r.retry {
		if r.conn.watchFailed(txn) {
			r.conn.reply.NullArray()
			r.conn.unwatchAll()
			return
		}
		r.conn.unwatchAll()
		r.conn.reply.Array(len(r.calls))
	}
	var effects []engine.Effect
	db := -1
	for _, call := range r.calls {
		if db >= 0 {
			call.DB = db // a SELECT earlier in this MULTI
		}
		call.Txn = txn
		call.inMulti = r.multi
		call.block = nil
		call.effects, call.effectSet, call.failed = nil, false, false
		txn.SetNow(s.db.Now())
		before := txn.Dirty()
		call.notes = call.notes[:0]
		s.runCall(call)
		eng := txn.TakeEffects()
		e.noteExpired(eng)
		effects = append(effects, eng...)
		e.notes = append(e.notes, call.notes...)
		if call.block != nil {
			if !r.retry {
				r.parked = e.park(r, call)
			}
			continue
		}
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

// noteExpired raises "expired" events for the DELs the engine logged for
// keys it found past their TTL (lazily or in active expiry).
func (e *executor) noteExpired(effects []engine.Effect) {
	for _, ef := range effects {
		if len(ef.Args) == 2 && string(ef.Args[0]) == "DEL" {
			e.notes = append(e.notes, notification{config.EventExpired, "expired", ef.DB, ef.Args[1]})
		}
	}
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
			e.lastDB, e.streamDB = ef.DB, ef.DB
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

// flushCheckpoint flushes the keyspace (outside the executor) and returns
// the log offset the flushed state reflects, or -1 on failure.
func (e *executor) flushCheckpoint() int64 {
	off, err := e.s.db.Checkpoint()
	if err != nil {
		e.s.log.Error("checkpoint failed", "err", err)
		return -1
	}
	return off
}

// retire drops the log before a finished checkpoint at off (minus what
// repl-backlog-size keeps for partial resyncs), so a restart replays only
// the tail. It runs in the executor, in order with log resets: a
// checkpoint taken before the log was reset to an earlier offset (a
// replica's full resync) retires nothing.
func (e *executor) retire(off int64) {
	if off > e.s.db.AppliedOffset() {
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

// afterCommit runs in the executor once a group is durable and visible:
// WATCHed keys that changed doom their transactions.
func (s *Server) afterCommit(touched []engine.Touched) {
	s.watches.touch(touched)
}
