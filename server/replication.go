package server

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cobbledb/cobble/engine"
	"github.com/cobbledb/cobble/rdb"
	"github.com/cobbledb/cobble/repl"
)

// replState is the node's replication identity and links: its role, the
// PSYNC2 ids (persisted in the engine so partial resyncs survive
// restarts), the link to its master when it is a replica, and the replicas
// it feeds.
type replState struct {
	mu           sync.Mutex
	role         string // "master" or "slave"
	replid       string
	replid2      string
	secondOffset int64 // -1 when replid2 is unused
	masterHost   string
	masterPort   string
	link         *repl.Link
	replicas     map[*Conn]*replicaInfo
	fullSyncs    atomic.Int64
	partialOK    atomic.Int64
	partialErr   atomic.Int64
	ackCond      *sync.Cond
	lastPing     time.Time
}

// replicaInfo is one replica connection of this master.
type replicaInfo struct {
	ip      string
	port    int
	state   string // wait_bgsave, send_bulk, online
	ack     atomic.Int64
	lastAck atomic.Int64 // unix ms
	capaEOF bool
	capaPS2 bool
}

const zeroReplID = "0000000000000000000000000000000000000000"

// Internal records (engine.Txn.SetInternal) of replication. Persisted:
// don't rename.
const (
	streamDBKey        = "stream-db"        // the db the log's last SELECT selected
	fullSyncPendingKey = "fullsync-pending" // "1" while a full resync is being swapped in
)

// persistedStreamDB is the db the log had selected at the offset the
// keyspace reflects (0 for a log without SELECT).
func (s *Server) persistedStreamDB() int {
	v, ok, err := s.db.Internal(streamDBKey)
	if err != nil || !ok {
		return 0
	}
	n, err := strconv.Atoi(string(v))
	if err != nil || n < 0 || n >= s.db.Databases() {
		return 0
	}
	return n
}

// fullSyncInterrupted reports whether the node stopped in the middle of
// swapping in a full resync.
func (s *Server) fullSyncInterrupted() bool {
	v, ok, _ := s.db.Internal(fullSyncPendingKey)
	return ok && string(v) == "1"
}

func newReplID() string {
	b := make([]byte, 20)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// initReplication loads the persisted ids and starts the link when the
// configuration says replicaof.
func (s *Server) initReplication() error {
	r := &s.repl
	r.role = "master"
	r.secondOffset = -1
	r.replid2 = zeroReplID
	r.replicas = map[*Conn]*replicaInfo{}
	r.ackCond = sync.NewCond(&r.mu)
	if v, ok, err := s.db.Internal("replid"); err != nil {
		return err
	} else if ok {
		r.replid = string(v)
	}
	if v, ok, _ := s.db.Internal("replid2"); ok {
		r.replid2 = string(v)
	}
	if v, ok, _ := s.db.Internal("second-offset"); ok {
		r.secondOffset, _ = strconv.ParseInt(string(v), 10, 64)
	}
	if r.replid == "" || s.fullSyncInterrupted() {
		// A new id: nobody can continue from a data set of unknown origin.
		r.replid, r.replid2, r.secondOffset = newReplID(), zeroReplID, -1
		if err := s.saveReplIDs(); err != nil {
			return err
		}
	}
	if host, port, ok := s.cfg.Replicaof(); ok {
		s.startReplicaOf(host, strconv.Itoa(port))
	}
	return nil
}

// saveReplIDs persists the ids through the executor (or directly before
// it runs) and makes them durable at once: the engine is only flushed at
// checkpoints, and a replica that restarts with its old id after a crash
// could not continue partially.
func (s *Server) saveReplIDs() error {
	write := func(txn *engine.Txn) {
		s.repl.mu.Lock()
		defer s.repl.mu.Unlock()
		s.writeReplIDsLocked(txn)
	}
	if s.exec == nil {
		txn := s.db.WriteTxn()
		write(txn)
		if err := txn.Commit(s.db.AppliedOffset()); err != nil {
			return err
		}
	} else if !s.exec.do(write) {
		return errf("server is shutting down")
	}
	_, err := s.db.Checkpoint()
	return err
}

// writeReplIDsLocked adds the ids to a write, and that no full resync is
// half done. The caller holds repl.mu.
func (s *Server) writeReplIDsLocked(txn *engine.Txn) {
	r := &s.repl
	txn.SetInternal("replid", []byte(r.replid))
	txn.SetInternal("replid2", []byte(r.replid2))
	txn.SetInternal("second-offset", []byte(strconv.FormatInt(r.secondOffset, 10)))
	txn.SetInternal(fullSyncPendingKey, []byte("0"))
}

func (s *Server) isReplica() bool {
	s.repl.mu.Lock()
	defer s.repl.mu.Unlock()
	return s.repl.role == "slave"
}

// startReplicaOf turns the node into a replica of host:port.
func (s *Server) startReplicaOf(host, port string) {
	r := &s.repl
	r.mu.Lock()
	old := r.link
	r.role, r.masterHost, r.masterPort = "slave", host, port
	r.link = nil
	r.mu.Unlock()
	if old != nil {
		old.Stop()
	}
	s.dropReplicas()
	link := repl.NewLink(repl.Config{
		Host: host, Port: port,
		Logger: s.log,
		// Read again before every connection: CONFIG SET of these applies
		// from the next one on.
		Refresh: s.linkSettings,
	}, &applier{s: s})
	r.mu.Lock()
	r.link = link
	r.mu.Unlock()
	link.Start()
}

// linkSettings fills in the link's settings from the configuration:
// masteruser/masterauth, replica-announce-ip/-port and repl-timeout.
func (s *Server) linkSettings(c *repl.Config) {
	c.MasterUser, c.MasterAuth = s.cfg.String("masteruser"), s.cfg.String("masterauth")
	c.AnnounceIP = s.cfg.String("replica-announce-ip")
	c.ListeningPort = int(s.cfg.Int("replica-announce-port"))
	if c.ListeningPort == 0 {
		if a, ok := s.Addr().(*net.TCPAddr); ok {
			c.ListeningPort = a.Port
		} else {
			c.ListeningPort = int(s.cfg.Int("port"))
		}
	}
	c.Timeout = time.Duration(s.cfg.Int("repl-timeout")) * time.Second
}

// promote makes a replica a master (REPLICAOF NO ONE): the old id becomes
// replid2 so the former master's other replicas can continue partially.
func (s *Server) promote() error {
	r := &s.repl
	r.mu.Lock()
	link := r.link
	wasReplica := r.role == "slave"
	r.link = nil
	r.role = "master"
	r.masterHost, r.masterPort = "", ""
	if wasReplica {
		r.replid2 = r.replid
		r.secondOffset = s.aof.EndOffset() + 1
		r.replid = newReplID()
	}
	r.mu.Unlock()
	if link != nil {
		link.Stop()
	}
	if !wasReplica {
		return nil
	}
	s.log.Info("promoted to master", "replid", r.replid, "replid2", r.replid2, "second_offset", r.secondOffset)
	return s.saveReplIDs()
}

// dropReplicas disconnects the replicas this node feeds (its data set is
// about to change under them); they reconnect and resync.
func (s *Server) dropReplicas() {
	s.repl.mu.Lock()
	var conns []*Conn
	for c := range s.repl.replicas {
		conns = append(conns, c)
	}
	s.repl.mu.Unlock()
	for _, c := range conns {
		c.kill()
	}
}

// applier is the replica side's hook into the server.
type applier struct{ s *Server }

func (a *applier) ReplState() (string, int64) {
	s := a.s
	s.repl.mu.Lock()
	defer s.repl.mu.Unlock()
	return s.repl.replid, s.aof.EndOffset()
}

// FullSync loads the master's RDB beside the live data set and swaps it in
// when complete; readers see the old data set until then.
//
// Crash safety: "fullsync-pending" is made durable before the swap and
// cleared, durably, with the new ids once the keyspace and the log both
// start at the master's offset. A node that stops in between forgets its
// replid and its log on restart (replay, initReplication), so it can only
// resync fully, never continue from a data set and log that don't match.
func (a *applier) FullSync(replid string, offset int64, r io.Reader) error {
	s := a.s
	s.log.Info("full resync from master", "replid", replid, "offset", offset)
	l, err := s.db.NewLoader()
	if err != nil {
		return err
	}
	h := &rdbLoader{s: s, l: l}
	if _, err := rdb.Decode(bufio.NewReaderSize(r, 256<<10), h, rdb.DecodeOptions{SkipUnsupported: true, Logger: s.log}); err != nil {
		l.Abort()
		return err
	}
	var cerr error
	ok := s.exec.do(func(txn *engine.Txn) { txn.SetInternal(fullSyncPendingKey, []byte("1")) })
	if ok {
		_, cerr = s.db.Checkpoint()
	} else {
		cerr = errf("server is shutting down")
	}
	committed := false
	swap := func(txn *engine.Txn) {
		// Under repl.mu, so a chained replica's PSYNC sees the old id with
		// the old log or the new id with the new one.
		s.repl.mu.Lock()
		defer s.repl.mu.Unlock()
		if cerr = l.Commit(offset); cerr != nil {
			return
		}
		committed = true
		if cerr = s.aof.Reset(offset); cerr != nil {
			return
		}
		s.exec.lastDB, s.exec.streamDB = -1, h.streamDB
		s.repl.replid, s.repl.replid2, s.repl.secondOffset = replid, zeroReplID, -1
		s.writeReplIDsLocked(txn)
	}
	if cerr == nil && !s.exec.do(swap) {
		cerr = errf("server is shutting down")
	}
	if cerr != nil {
		if !committed {
			l.Abort()
		}
		if ok {
			// The keyspace and the log may no longer match: a new id, so
			// the next PSYNC cannot continue from them.
			s.repl.mu.Lock()
			s.repl.replid = newReplID()
			s.repl.mu.Unlock()
		}
		return cerr
	}
	if _, err := s.db.Checkpoint(); err != nil {
		return err
	}
	s.dropReplicas()
	s.log.Info("full resync loaded", "keys", l.Keys(), "skipped_unsupported", h.skipped)
	return nil
}

// Continue records a +CONTINUE. When the master's id changed (it was
// promoted), ours becomes replid2, valid up to the offset we reached, as
// Redis does; our own replicas can then continue through it too.
func (a *applier) Continue(newID string) error {
	s := a.s
	s.repl.mu.Lock()
	changed := newID != "" && newID != s.repl.replid
	if changed {
		s.repl.replid2 = s.repl.replid
		s.repl.secondOffset = s.aof.EndOffset() + 1
		s.repl.replid = newID
	}
	s.repl.mu.Unlock()
	if changed {
		return s.saveReplIDs()
	}
	return nil
}

// Apply runs the master's commands through the executor and logs their
// bytes verbatim. A MULTI … EXEC block is applied as one request.
func (a *applier) Apply(raw []byte, cmds [][][]byte) error {
	s := a.s
	req := &execReq{replRaw: raw, replCmds: cmds, done: make(chan struct{})}
	select {
	case s.exec.ch <- req:
	case <-s.exec.stop:
		return fmt.Errorf("server: shutting down")
	}
	<-req.done
	return req.replErr
}

// applyReplicated runs in the executor: the stream's commands against the
// group's batch. Their own effects are not logged: the raw bytes are. A
// MULTI … EXEC block always comes whole in one request, so it commits
// atomically.
func (e *executor) applyReplicated(txn *engine.Txn, r *execReq) {
	s := e.s
	reply := Reply{proto: 2}
	// The log now holds bytes this executor did not encode: its next own
	// effect (after a promotion) must SELECT again.
	e.lastDB = -1
	for _, args := range r.replCmds {
		name := strings.ToLower(string(args[0]))
		switch name {
		case "select":
			if len(args) == 2 {
				if n, err := strconv.Atoi(string(args[1])); err == nil && n >= 0 && n < s.db.Databases() {
					e.streamDB = n
				}
			}
			continue
		case "ping", "replconf", "multi", "exec":
			// Keepalives and GETACK (answered by the link).
			continue
		}
		cmd := s.table.lookup(args[0])
		if cmd != nil && len(cmd.Subs) > 0 && len(args) > 1 {
			if sub := cmd.sub(args[1]); sub != nil {
				cmd = sub
			}
		}
		if cmd == nil || !cmd.arityOK(len(args)) || cmd.Run == nil {
			s.log.Warn("replicated command not supported, skipped", "cmd", name)
			continue
		}
		txn.SetNow(s.db.Now())
		call := &Call{Args: args, Cmd: cmd, Srv: s, Txn: txn, Reply: &reply, DB: e.streamDB}
		if err := cmd.Run(call); err != nil {
			s.log.Debug("replicated command failed", "cmd", name, "err", err)
		}
		e.notes = append(e.notes, call.notes...)
		txn.TakeEffects()
		reply.buf = reply.buf[:0]
	}
	e.buf = append(e.buf, r.replRaw...)
}

// appliedOffset is the replication offset whose writes are visible: the
// log is appended before the keyspace commits, so its end can be a group
// ahead. A replica reports this one (slave_repl_offset, ROLE), so a
// client that sees an offset reads every write up to it.
func (s *Server) appliedOffset() int64 { return min(s.aof.EndOffset(), s.db.AppliedOffset()) }

// replicaCanWrite is the READONLY check for client writes on a replica.
func (s *Server) replicaReadOnly() bool {
	return s.cfg.Bool("replica-read-only") && s.isReplica()
}

// --- master side -----------------------------------------------------

// cmdPSync serves PSYNC and SYNC: a partial resync from the log when the
// offset is still there, else a full one: an RDB of a snapshot taken at an
// exact log offset, then the log from that offset. The connection then
// belongs to the replica feed until it ends.
func cmdPSync(c *Call) error {
	s, conn := c.Srv, c.Conn
	if s.isReplica() {
		if st := s.linkState(); !st.Up {
			return &Error{"NOMASTERLINK", "Can't SYNC while not connected with my master"}
		}
	}
	info := conn.replica
	if info == nil {
		info = &replicaInfo{}
		conn.replica = info
	}
	if c.ArgLower(0) == "psync" {
		if off, ok := s.canContinue(string(c.Arg(1)), c.Arg(2)); ok {
			s.repl.mu.Lock()
			replid := s.repl.replid
			s.repl.mu.Unlock()
			s.repl.partialOK.Add(1)
			c.Reply.Simple("CONTINUE " + replid)
			if err := conn.flush(); err != nil {
				return err
			}
			s.log.Info("partial resync", "replica", conn.addr, "from", off)
			s.feedReplica(conn, info, off, false)
			return nil
		}
		if string(c.Arg(1)) != "?" {
			s.repl.partialErr.Add(1)
		}
	}
	return s.fullSync(c, info)
}

// canContinue applies PSYNC2's rule: the replica's id is ours (or our
// previous one, up to where it ended) and the offset is still in the log.
func (s *Server) canContinue(replid string, offArg []byte) (int64, bool) {
	psyncOff, err := strconv.ParseInt(string(offArg), 10, 64)
	if err != nil {
		return 0, false
	}
	s.repl.mu.Lock()
	defer s.repl.mu.Unlock()
	ok := replid == s.repl.replid || (replid == s.repl.replid2 && psyncOff <= s.repl.secondOffset)
	off := psyncOff - 1 // PSYNC names the next byte, 1-based
	if !ok || off < s.aof.StartOffset() || off > s.aof.EndOffset() {
		return 0, false
	}
	return off, true
}

func (s *Server) fullSync(c *Call, info *replicaInfo) error {
	conn := c.Conn
	psync := c.ArgLower(0) == "psync"
	var snap *engine.Txn
	var off int64
	var streamDB int
	// The snapshot and its offset are taken in the executor, between two
	// groups: exactly the state the log reaches at off. The RDB says which
	// db the log is in there (a chained replica's log goes on with its
	// master's bytes, which need not start with a SELECT); our own next
	// effect SELECTs anyway.
	s.exec.do(func(*engine.Txn) {
		snap = s.db.ReadTxn(true)
		off = s.aof.EndOffset()
		streamDB = s.exec.streamDB
		s.exec.lastDB = -1
	})
	if snap == nil {
		return errf("server is shutting down")
	}
	defer snap.Close()
	s.repl.mu.Lock()
	replid := s.repl.replid
	info.state = "send_bulk"
	s.repl.replicas[conn] = info
	s.repl.mu.Unlock()
	s.repl.fullSyncs.Add(1)
	if psync {
		c.Reply.Simple(fmt.Sprintf("FULLRESYNC %s %d", replid, off))
	}
	if err := conn.flush(); err != nil {
		s.forgetReplica(conn)
		return err
	}
	start := time.Now()
	var keys int64
	var err error
	out := deadlineWriter{conn.nc, time.Duration(s.cfg.Int("repl-timeout")) * time.Second}
	if info.capaEOF && psync {
		// Disk-less: EOF-marked stream, no size needed up front.
		mark := newReplID()
		bw := bufio.NewWriterSize(out, 256<<10)
		fmt.Fprintf(bw, "$EOF:%s\r\n", mark)
		if keys, err = s.writeRDBStream(bw, snap, replid, off, streamDB, nil); err == nil {
			bw.WriteString(mark)
			err = bw.Flush()
		}
	} else {
		keys, err = s.sendSizedRDB(out, snap, replid, off, streamDB)
	}
	if err != nil {
		s.forgetReplica(conn)
		s.log.Warn("full resync failed", "replica", conn.addr, "err", err)
		conn.quitting = true
		return nil
	}
	s.log.Info("full resync sent", "replica", conn.addr, "keys", keys, "offset", off, "duration", time.Since(start))
	snap.Close()
	s.feedReplica(conn, info, off, info.capaEOF && psync)
	return nil
}

// sendSizedRDB writes "$<len>\r\n" and the RDB, staged in a temporary file
// because the length comes first.
func (s *Server) sendSizedRDB(out io.Writer, snap *engine.Txn, replid string, off int64, streamDB int) (int64, error) {
	f, err := os.CreateTemp(s.dir, "temp-sync-*.rdb")
	if err != nil {
		return 0, err
	}
	defer os.Remove(f.Name())
	defer f.Close()
	bw := bufio.NewWriterSize(f, 256<<10)
	keys, err := s.writeRDBStream(bw, snap, replid, off, streamDB, nil)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		return keys, err
	}
	size, err := f.Seek(0, io.SeekCurrent)
	if err != nil {
		return keys, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return keys, err
	}
	if _, err := fmt.Fprintf(out, "$%d\r\n", size); err != nil {
		return keys, err
	}
	_, err = io.Copy(out, f)
	return keys, err
}

// deadlineWriter gives every write to a replica repl-timeout to complete:
// a replica that stops reading does not hold the master's goroutine (and
// its snapshot) forever.
type deadlineWriter struct {
	c net.Conn
	d time.Duration
}

func (w deadlineWriter) Write(p []byte) (int, error) {
	w.c.SetWriteDeadline(time.Now().Add(w.d))
	return w.c.Write(p)
}

// feedReplica streams the log to the replica until the link ends; the
// connection is closed afterwards. After a disk-less RDB the stream waits
// for the replica's first ACK (see repl.FeedConfig.WaitAck).
func (s *Server) feedReplica(conn *Conn, info *replicaInfo, from int64, waitAck bool) {
	info.ack.Store(from)
	info.lastAck.Store(time.Now().UnixMilli())
	s.repl.mu.Lock()
	info.state = "online" // read under repl.mu (WAIT, INFO)
	s.repl.replicas[conn] = info
	s.repl.mu.Unlock()
	defer s.forgetReplica(conn)
	in := bufio.NewReader(io.MultiReader(bytes.NewReader(conn.rd.pending()), conn.nc))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-s.done:
		case <-ctx.Done():
		}
		cancel()
	}()
	err := repl.Feed(ctx, s.aof, from, conn.nc, in, repl.FeedConfig{
		Timeout: time.Duration(s.cfg.Int("repl-timeout")) * time.Second,
		WaitAck: waitAck,
		OnAck: func(off int64) {
			info.ack.Store(off)
			info.lastAck.Store(time.Now().UnixMilli())
			s.repl.mu.Lock()
			s.repl.ackCond.Broadcast()
			s.repl.mu.Unlock()
		},
	})
	s.log.Info("replica link closed", "replica", conn.addr, "err", err)
	conn.quitting = true
}

func (s *Server) forgetReplica(conn *Conn) {
	s.repl.mu.Lock()
	delete(s.repl.replicas, conn)
	s.repl.ackCond.Broadcast()
	s.repl.mu.Unlock()
}

func (s *Server) linkState() repl.State {
	s.repl.mu.Lock()
	link := s.repl.link
	s.repl.mu.Unlock()
	if link == nil {
		return repl.State{Status: "connect"}
	}
	return link.State()
}

// goodReplicas counts replicas whose last ACK is at most maxLag old.
func (s *Server) goodReplicas(maxLag time.Duration) int {
	now := time.Now().UnixMilli()
	s.repl.mu.Lock()
	defer s.repl.mu.Unlock()
	n := 0
	for _, r := range s.repl.replicas {
		if r.state == "online" && time.Duration(now-r.lastAck.Load())*time.Millisecond <= maxLag {
			n++
		}
	}
	return n
}

// pingReplicas logs a PING every repl-ping-replica-period while replicas
// are connected, so they can tell a quiet master from a dead link.
func (e *executor) pingReplicas() {
	s := e.s
	s.repl.mu.Lock()
	n := len(s.repl.replicas)
	due := time.Since(s.repl.lastPing) >= time.Duration(s.cfg.Int("repl-ping-replica-period"))*time.Second
	isMaster := s.repl.role == "master"
	if n > 0 && due && isMaster {
		s.repl.lastPing = time.Now()
	}
	s.repl.mu.Unlock()
	if n > 0 && due && isMaster {
		e.group([]*execReq{{task: func(*engine.Txn) { e.buf = append(e.buf, "*1\r\n$4\r\nPING\r\n"...) }, done: make(chan struct{})}})
	}
}

// pending returns the input already read but not yet parsed.
func (r *reader) pending() []byte { return append([]byte(nil), r.buf[r.r:r.w]...) }

// rdbPath is where SAVE writes and a first start looks for a Redis dump.
func (s *Server) rdbPath() string { return filepath.Join(s.dir, s.cfg.String("dbfilename")) }

func splitHostPort(addr string) (string, string, error) { return net.SplitHostPort(addr) }
