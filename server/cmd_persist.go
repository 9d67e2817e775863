package server

import (
	"context"
	"errors"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cobbledb/cobble/rdb"
	"github.com/cobbledb/cobble/server/config"
)

// RDB persistence: SAVE, BGSAVE, the save directive's schedule, SHUTDOWN's
// final save, and DUMP/RESTORE.
//
// The log is what a restart reads; an RDB file is for backups, for going
// back to Redis, and for tools. A save writes a snapshot taken in the
// executor between two groups, so the file is exactly the state the log
// reaches at the offset it records (aux repl-offset). Taking the snapshot
// costs nothing; writing it runs beside the executor, so writes keep
// flowing: BGSAVE needs no fork, and SAVE blocks only its own client.

var persistCommands = []*Command{
	{Name: "save", Arity: 1, Flags: FlagAdmin | FlagNoScript | FlagNoMulti, Group: "server", Since: "1.0.0",
		Summary: "Write the data set to dir/dbfilename, replying once it is on disk (other clients go on).", Run: cmdSave},
	{Name: "bgsave", Arity: -1, Flags: FlagAdmin | FlagNoScript, Group: "server", Since: "1.0.0",
		Summary: "Write the data set to dir/dbfilename in the background.", Run: cmdBGSave},
	{Name: "dump", Arity: 2, Flags: FlagReadOnly | FlagSnapshot, Keys: oneKey, Group: "generic", Since: "2.6.0",
		Summary: "Serialize a key's value in the DUMP format Redis reads.", Run: cmdDump},
	{Name: "restore", Arity: -4, Flags: FlagWrite | FlagDenyOOM, Keys: oneKey, Group: "generic", Since: "2.6.0",
		Summary: "Create a key from a DUMP payload (Redis's or cobble's).", Run: cmdRestore},
}

// bgsaveRetryDelay is how long the schedule waits after a failed save
// before trying again (Redis's CONFIG_BGSAVE_RETRY_DELAY).
const bgsaveRetryDelay = 5 * time.Second

// persistState is the RDB side of the server: the running save, the
// schedule, and what INFO persistence reports.
//
// At most one save (SAVE or BGSAVE) runs at a time. The scheduler
// goroutine and background saves are owned by it: started by startPersist
// and New, stopped and waited for by stopPersist (from Close).
type persistState struct {
	ctx    context.Context // done when the server closes: running saves stop
	cancel context.CancelFunc
	nudge  chan struct{} // wakes the scheduler (a BGSAVE scheduled inside EXEC)
	wg     sync.WaitGroup

	keysDone  atomic.Int64 // current_save_keys_processed
	keysTotal atomic.Int64 // current_save_keys_total
	keyHook   func()       // tests: called after each key saved (export_test.go)

	mu struct {
		sync.Mutex
		running    bool               // a save is writing
		bg         bool               // … a BGSAVE
		started    time.Time          // … since
		stop       context.CancelFunc // cancels it
		done       chan struct{}      // closed when it has ended
		scheduled  bool               // BGSAVE inside EXEC: start once the group committed
		failed     bool               // the last save failed (rdb_last_bgsave_status:err)
		lastTry    time.Time          // start of the last BGSAVE, for bgsaveRetryDelay
		lastBG     time.Duration      // duration of the last BGSAVE…
		hasLastBG  bool               // … when there was one
		saves      int64              // successful saves (rdb_saves)
		loaded     int64              // keys of the last RDB load
		loadExpire int64              // keys it dropped as expired
	}
}

// startPersist starts the save schedule; New calls it once the node is
// ready.
func (s *Server) startPersist() {
	p := &s.persist
	p.ctx, p.cancel = context.WithCancel(context.Background())
	p.nudge = make(chan struct{}, 1)
	p.wg.Add(1)
	go s.saveScheduler()
}

// stopPersist stops the schedule and any running save (its temporary file
// is removed) and waits for them.
func (s *Server) stopPersist() {
	p := &s.persist
	if p.cancel == nil {
		return
	}
	p.mu.Lock()
	p.cancel()
	p.mu.Unlock()
	p.wg.Wait()
}

// begin marks a save as running and returns its context. The caller must
// call endSave.
func (p *persistState) begin(s *Server, bg bool) (context.Context, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.mu.running {
		return nil, errBGSaveInProgress
	}
	if p.ctx.Err() != nil {
		return nil, errShuttingDownSave
	}
	ctx, stop := context.WithCancel(p.ctx)
	now := time.Now()
	p.mu.running, p.mu.bg, p.mu.started, p.mu.stop = true, bg, now, stop
	p.mu.done = make(chan struct{})
	if bg {
		p.mu.lastTry = now
	}
	var total int64
	for db := range s.db.Databases() {
		total += s.db.DBSize(db)
	}
	p.keysDone.Store(0)
	p.keysTotal.Store(total)
	p.wg.Add(1)
	return ctx, nil
}

// endSave records how a save ended. A successful one clears the changes
// counted up to its snapshot (those made while it wrote stay counted) and
// becomes LASTSAVE.
func (s *Server) endSave(res saveResult, err error) {
	p := &s.persist
	p.mu.Lock()
	defer p.wg.Done()
	defer p.mu.Unlock()
	d := time.Since(p.mu.started)
	if p.mu.bg {
		p.mu.lastBG, p.mu.hasLastBG = d, true
	}
	p.mu.stop()
	close(p.mu.done)
	p.mu.running, p.mu.stop, p.mu.done = false, nil, nil
	p.mu.failed = err != nil
	if err != nil {
		s.log.Warn("RDB save failed", "background", p.mu.bg, "err", err)
		return
	}
	p.mu.saves++
	s.stats.dirty.Add(-res.dirty)
	s.stats.lastSave.Store(time.Now().Unix())
	s.log.Info("DB saved on disk", "background", p.mu.bg, "path", s.rdbPath(), "keys", res.keys,
		"bytes", res.bytes, "offset", res.offset, "duration", d.Round(time.Millisecond))
}

// countKey is the save's progress callback.
func (p *persistState) countKey() {
	p.keysDone.Add(1)
	if p.keyHook != nil {
		p.keyHook()
	}
}

// recordLoad keeps what INFO reports about the last RDB load.
func (p *persistState) recordLoad(res loadResult) {
	p.mu.Lock()
	p.mu.loaded, p.mu.loadExpire = res.keys, res.expired
	p.mu.Unlock()
}

// save writes dir/dbfilename and returns when it is on disk.
func (s *Server) save() error {
	ctx, snap, err := s.startSave(false)
	if err != nil {
		return err
	}
	res, err := s.saveRDBFile(ctx, snap, s.persist.countKey)
	s.endSave(res, err)
	if err != nil {
		return errSaveFailed(err)
	}
	return nil
}

// bgsave takes a snapshot, as Redis forks, so the file holds every write
// acknowledged before it, and writes it in the background.
func (s *Server) bgsave() error {
	ctx, snap, err := s.startSave(true)
	if err != nil {
		return err
	}
	s.log.Info("background saving started", "path", s.rdbPath(), "offset", snap.offset)
	go func() {
		res, err := s.saveRDBFile(ctx, snap, s.persist.countKey)
		s.endSave(res, err)
	}()
	return nil
}

// startSave marks a save as running and takes its snapshot.
func (s *Server) startSave(bg bool) (context.Context, snapshotAt, error) {
	ctx, err := s.persist.begin(s, bg)
	if err != nil {
		return nil, snapshotAt{}, err
	}
	snap, ok := s.snapshot()
	if !ok {
		s.endSave(saveResult{}, errShuttingDownSave)
		return nil, snapshotAt{}, errShuttingDownSave
	}
	return ctx, snap, nil
}

// cancelBGSave stops a running BGSAVE and waits until it has ended.
func (s *Server) cancelBGSave() {
	p := &s.persist
	p.mu.Lock()
	running, bg, stop, done := p.mu.running, p.mu.bg, p.mu.stop, p.mu.done
	p.mu.Unlock()
	if !running || !bg {
		return
	}
	s.log.Warn("there is a background save running: stopping it")
	stop()
	<-done
}

// saveScheduler runs a BGSAVE when the save directive asks for one, or
// when one was scheduled inside EXEC.
func (s *Server) saveScheduler() {
	p := &s.persist
	defer p.wg.Done()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-p.ctx.Done():
			return
		case <-tick.C:
		case <-p.nudge:
		}
		s.maybeBGSave(time.Now())
	}
}

// maybeBGSave applies Redis's rule: save after <seconds> when at least
// <changes> writes happened since the last save, but wait
// bgsaveRetryDelay after a failed one.
func (s *Server) maybeBGSave(now time.Time) {
	p := &s.persist
	p.mu.Lock()
	running, scheduled := p.mu.running, p.mu.scheduled
	retryOK := !p.mu.failed || now.Sub(p.mu.lastTry) > bgsaveRetryDelay
	if !running {
		p.mu.scheduled = false
	}
	p.mu.Unlock()
	if running {
		return
	}
	if scheduled {
		if err := s.bgsave(); err != nil {
			s.log.Warn("scheduled background save not started", "err", err)
		}
		return
	}
	dirty := s.stats.dirty.Load()
	elapsed := now.Unix() - s.lastSaveUnix()
	for _, sp := range s.cfg.SavePoints() {
		if dirty >= sp.Changes && elapsed > sp.Seconds && retryOK {
			s.log.Info("saving", "changes", dirty, "rule_seconds", sp.Seconds, "rule_changes", sp.Changes)
			if err := s.bgsave(); err != nil {
				s.log.Warn("background save not started", "err", err)
			}
			return
		}
	}
}

// shutdownSave is SHUTDOWN's save, before the server closes: with SAVE, or
// when save points are configured and NOSAVE is not given, a running BGSAVE
// is stopped and the data set saved in the foreground. A failed save stops
// the shutdown unless FORCE.
func (s *Server) shutdownSave(save, nosave, force bool) error {
	if nosave || (!save && len(s.cfg.SavePoints()) == 0) {
		s.cancelBGSave()
		return nil
	}
	s.cancelBGSave()
	s.log.Info("saving the final RDB snapshot before exiting")
	if err := s.save(); err != nil {
		if force {
			s.log.Warn("error trying to save the DB, exiting anyway (FORCE)", "err", err)
			return nil
		}
		s.log.Warn("error trying to save the DB, can't exit", "err", err)
		return errShuttingDown
	}
	return nil
}

// SAVE, BGSAVE

func cmdSave(c *Call) error {
	if err := c.Srv.save(); err != nil {
		return err
	}
	c.Reply.OK()
	return nil
}

// cmdBGSave starts a background save. Like Redis, inside EXEC the save is
// scheduled to start once the transaction is done (its snapshot then holds
// the whole transaction); SCHEDULE otherwise changes nothing, as cobble
// never runs another background job a save must wait for.
func cmdBGSave(c *Call) error {
	if len(c.Args) > 2 || len(c.Args) == 2 && c.ArgLower(1) != "schedule" {
		return errSyntax
	}
	s := c.Srv
	if c.inMulti {
		p := &s.persist
		p.mu.Lock()
		running := p.mu.running
		if !running {
			p.mu.scheduled = true
		}
		p.mu.Unlock()
		if running {
			return errBGSaveInProgress
		}
		select {
		case p.nudge <- struct{}{}:
		default:
		}
		c.Reply.Simple("Background saving scheduled")
		return nil
	}
	if err := s.bgsave(); err != nil {
		return err
	}
	c.Reply.Simple("Background saving started")
	return nil
}

// DUMP, RESTORE

func cmdDump(c *Call) error {
	key := c.Arg(1)
	m, ok, err := c.Txn.Lookup(c.DB, key)
	if err != nil {
		return err
	}
	c.Srv.hit(ok)
	if !ok {
		c.Reply.Null()
		return nil
	}
	var e rdb.Entry
	if err := fillEntry(c.Txn, c.DB, key, &m, &e); err != nil {
		return err
	}
	if e.Len() == 0 {
		c.Reply.Null()
		return nil
	}
	payload, err := rdb.DumpPayload(&e)
	if err != nil {
		return err
	}
	c.Reply.Bulk(payload)
	return nil
}

// cmdRestore creates a key from a DUMP payload, checking in Redis's order:
// options, BUSYKEY, the TTL, then the payload. Its effect is deterministic
// whenever the log is replayed: a relative TTL becomes an absolute one
// (RESTORE key <unix ms> payload ABSTTL [REPLACE]), and a TTL already past
// creates nothing (a DEL when REPLACE removed a key). IDLETIME and FREQ
// are checked and then ignored: cobble tracks neither.
func cmdRestore(c *Call) error {
	key := c.Arg(1)
	var replace, absTTL bool
	idle, freq := int64(-1), int64(-1)
	for i := 4; i < len(c.Args); i++ {
		more := len(c.Args) - i - 1
		switch opt := c.ArgLower(i); {
		case opt == "replace":
			replace = true
		case opt == "absttl":
			absTTL = true
		case opt == "idletime" && more >= 1 && freq == -1:
			n, err := c.Int(i + 1)
			if err != nil {
				return err
			}
			if n < 0 {
				return errIdleTimeValue
			}
			idle = n
			i++
		case opt == "freq" && more >= 1 && idle == -1:
			n, err := c.Int(i + 1)
			if err != nil {
				return err
			}
			if n < 0 || n > 255 {
				return errFreqValue
			}
			freq = n
			i++
		default:
			return errSyntax
		}
	}
	_, exists, err := c.Txn.Lookup(c.DB, key)
	if err != nil {
		return err
	}
	if exists && !replace {
		return errBusyKey
	}
	ttl, err := c.Int(2)
	if err != nil {
		return err
	}
	if ttl < 0 {
		return errInvalidTTL
	}
	payload := c.Arg(3)
	e, err := parsePayload(payload)
	if err != nil {
		return err
	}
	now := c.Txn.Now()
	if ttl > 0 && !absTTL {
		if ttl > math.MaxInt64-now {
			return errInvalidExpire("restore")
		}
		ttl += now
	}
	if ttl > 0 && ttl <= now && !c.Txn.NoExpire {
		// Already expired: nothing is created. Replaying the log or a
		// master's stream (NoExpire) creates it anyway; the DEL follows.
		if exists {
			if _, err := c.Txn.Delete(c.DB, key); err != nil {
				return err
			}
			c.PropagateAs(bytesArg("DEL"), key)
			c.Notify(config.EventGeneric, "del", key)
		} else {
			c.NoPropagate()
		}
		c.Reply.OK()
		return nil
	}
	e.DB, e.Key, e.ExpireAtMs = c.DB, key, ttl
	before := c.Txn.Dirty()
	if err := putEntry(c.Txn, e); err != nil {
		return err
	}
	c.Txn.AddDirty(1 - (c.Txn.Dirty() - before)) // one change, as Redis counts it
	effect := [][]byte{bytesArg("RESTORE"), key, intArg(ttl), payload}
	if ttl > 0 {
		effect = append(effect, bytesArg("ABSTTL"))
	}
	if replace {
		effect = append(effect, bytesArg("REPLACE"))
	}
	c.PropagateAs(effect...)
	c.Notify(config.EventGeneric, "restore", key)
	c.Reply.OK()
	return nil
}

// parsePayload decodes a RESTORE payload into an Entry, with Redis's
// errors: a short payload, an unknown version or a bad checksum is
// "version or checksum", anything else wrong is "Bad data format".
func parsePayload(b []byte) (*rdb.Entry, error) {
	if len(b) < 10 {
		return nil, errDumpPayload
	}
	e, err := rdb.ParseDumpPayload(b)
	switch {
	case err == nil && e.HashExpireAtMs != nil:
		return nil, errRestoreUnsupported
	case err == nil:
		return e, nil
	case errors.Is(err, rdb.ErrVersion), errors.Is(err, rdb.ErrChecksum):
		return nil, errDumpPayload
	case errors.Is(err, rdb.ErrUnsupported):
		return nil, errRestoreUnsupported
	default:
		return nil, errBadDataFormat
	}
}

// INFO persistence's RDB fields.
func (s *Server) infoRDB(w *infoWriter) {
	p := &s.persist
	p.mu.Lock()
	running, bg, started := p.mu.running, p.mu.bg, p.mu.started
	failed, hasLast, last := p.mu.failed, p.mu.hasLastBG, p.mu.lastBG
	saves, loaded, loadExpired := p.mu.saves, p.mu.loaded, p.mu.loadExpire
	p.mu.Unlock()
	if running {
		w.int("current_save_keys_processed", p.keysDone.Load())
		w.int("current_save_keys_total", p.keysTotal.Load())
	} else {
		w.int("current_save_keys_processed", 0)
		w.int("current_save_keys_total", 0)
	}
	w.int("rdb_changes_since_last_save", max(s.stats.dirty.Load(), 0))
	w.bool("rdb_bgsave_in_progress", running && bg)
	w.int("rdb_last_save_time", s.lastSaveUnix())
	if failed {
		w.str("rdb_last_bgsave_status", "err")
	} else {
		w.str("rdb_last_bgsave_status", "ok")
	}
	if hasLast {
		w.int("rdb_last_bgsave_time_sec", int64(last/time.Second))
	} else {
		w.int("rdb_last_bgsave_time_sec", -1)
	}
	if running && bg {
		w.int("rdb_current_bgsave_time_sec", int64(time.Since(started)/time.Second))
	} else {
		w.int("rdb_current_bgsave_time_sec", -1)
	}
	w.int("rdb_saves", saves)
	w.int("rdb_last_load_keys_expired", loadExpired)
	w.int("rdb_last_load_keys_loaded", loaded)
}
