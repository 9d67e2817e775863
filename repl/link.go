package repl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cobbledb/cobble/aof"
)

// Applier is what a replica needs from its server. The server implements
// it; Link calls it from its own goroutine only.
type Applier interface {
	// ReplState is the replication id and offset of the local data set,
	// for PSYNC (a replica that never synced answers "?" and -1).
	ReplState() (replid string, offset int64)
	// FullSync replaces the data set with the RDB that follows FULLRESYNC
	// and moves the log to offset. Until it returns the old data set (or
	// -LOADING) is served, never a half-loaded one.
	FullSync(replid string, offset int64, rdb io.Reader) error
	// Continue records a +CONTINUE; newReplID is set when the master's id
	// changed (it was promoted): the old one becomes replid2.
	Continue(newReplID string) error
	// Apply applies stream commands and appends exactly raw (their bytes as
	// received) to the log, so offsets stay equal to the master's.
	Apply(raw []byte, cmds [][][]byte) error
}

// Config configures a Link. Zero values mean defaults.
type Config struct {
	Host, Port    string
	MasterUser    string // masteruser
	MasterAuth    string // masterauth
	ListeningPort int    // REPLCONF listening-port (replica-announce-port or port)
	AnnounceIP    string // replica-announce-ip
	Timeout       time.Duration
	RetryInterval time.Duration
	AckInterval   time.Duration
	Logger        *slog.Logger
	OnStateChange func(State)
	Dial          func(ctx context.Context, addr string) (net.Conn, error) // tests
	// Refresh, when set, is called before every connection attempt on a
	// copy of the configuration, so settings changed at runtime (CONFIG
	// SET masterauth, repl-timeout, replica-announce-ip…) apply from the
	// next connection on, as in Redis.
	Refresh func(*Config)
}

// State is the link's state, as INFO replication reports it.
type State struct {
	Status        string // "connect", "connecting", "sync", "connected"
	Up            bool   // master_link_status:up
	LastIO        time.Time
	SyncInProgess bool
	SyncBytes     int64     // RDB bytes read so far
	SyncTotal     int64     // RDB size, -1 when EOF-marked
	DownSince     time.Time // zero until the link was up once
	FullSyncs     int64
	PartialSyncs  int64
	LastError     string
}

// Link is the replica side of replication: one goroutine that keeps a
// connection to the master, resyncs and applies the stream.
type Link struct {
	cfg     Config
	applier Applier
	log     *slog.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	state   State
	conn    net.Conn
	ackMu   sync.Mutex // serialises writes to the master (ACKs)
	off     atomic.Int64
	timeout atomic.Int64 // the current connection's repl-timeout (ns)
}

// NewLink prepares a link; Start runs it.
func NewLink(cfg Config, a Applier) *Link {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	if cfg.RetryInterval <= 0 {
		cfg.RetryInterval = time.Second
	}
	if cfg.AckInterval <= 0 {
		cfg.AckInterval = time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Dial == nil {
		d := net.Dialer{Timeout: 5 * time.Second}
		cfg.Dial = func(ctx context.Context, addr string) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) }
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &Link{cfg: cfg, applier: a, log: cfg.Logger.With("component", "repl"), ctx: ctx, cancel: cancel}
	l.timeout.Store(int64(cfg.Timeout))
	l.state = State{Status: "connect", SyncTotal: -1}
	return l
}

// Start runs the link until Stop.
func (l *Link) Start() {
	l.wg.Add(1)
	go l.run()
}

// Stop closes the connection and waits for the link's goroutines.
func (l *Link) Stop() {
	l.cancel()
	l.mu.Lock()
	if l.conn != nil {
		l.conn.Close()
	}
	l.mu.Unlock()
	l.wg.Wait()
}

// State returns the current state.
func (l *Link) State() State {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.state
}

func (l *Link) setState(f func(*State)) {
	l.mu.Lock()
	f(&l.state)
	st := l.state
	l.mu.Unlock()
	if l.cfg.OnStateChange != nil {
		l.cfg.OnStateChange(st)
	}
}

func (l *Link) run() {
	defer l.wg.Done()
	for l.ctx.Err() == nil {
		err := l.session()
		if l.ctx.Err() != nil {
			return
		}
		l.log.Warn("replication link down", "master", net.JoinHostPort(l.cfg.Host, l.cfg.Port), "err", err)
		l.setState(func(s *State) {
			if s.Up {
				s.DownSince = time.Now()
			}
			s.Up, s.Status, s.SyncInProgess = false, "connect", false
			if err != nil {
				s.LastError = err.Error()
			}
		})
		select {
		case <-time.After(l.cfg.RetryInterval):
		case <-l.ctx.Done():
			return
		}
	}
}

// session is one connection: handshake, sync, stream until an error.
func (l *Link) session() error {
	cfg := l.cfg
	if cfg.Refresh != nil {
		cfg.Refresh(&cfg)
		if cfg.Timeout <= 0 {
			cfg.Timeout = l.cfg.Timeout
		}
	}
	l.timeout.Store(int64(cfg.Timeout))
	addr := net.JoinHostPort(cfg.Host, cfg.Port)
	l.setState(func(s *State) { s.Status = "connecting" })
	nc, err := l.cfg.Dial(l.ctx, addr)
	if err != nil {
		return err
	}
	l.mu.Lock()
	l.conn = nc
	l.mu.Unlock()
	defer func() {
		nc.Close()
		l.mu.Lock()
		l.conn = nil
		l.mu.Unlock()
	}()
	if l.ctx.Err() != nil {
		return l.ctx.Err()
	}
	br := bufio.NewReaderSize(nc, 64<<10)
	call := func(args ...string) (string, error) {
		nc.SetDeadline(time.Now().Add(cfg.Timeout))
		if _, err := nc.Write(EncodeCommand(args...)); err != nil {
			return "", err
		}
		return readLine(br)
	}
	// PING first: a master that needs AUTH answers -NOAUTH, which is fine.
	if r, err := call("PING"); err != nil {
		return err
	} else if r != "+PONG" && !isAuthError(r) {
		return fmt.Errorf("repl: master answered PING with %q", r)
	}
	if cfg.MasterAuth != "" {
		args := []string{"AUTH", cfg.MasterAuth}
		if cfg.MasterUser != "" {
			args = []string{"AUTH", cfg.MasterUser, cfg.MasterAuth}
		}
		if r, err := call(args...); err != nil {
			return err
		} else if r != "+OK" {
			return fmt.Errorf("repl: AUTH with the master failed: %s", r)
		}
	}
	if cfg.ListeningPort > 0 {
		if r, err := call("REPLCONF", "listening-port", strconv.Itoa(cfg.ListeningPort)); err != nil {
			return err
		} else if r != "+OK" {
			l.log.Warn("master refused REPLCONF listening-port", "reply", r)
		}
	}
	if cfg.AnnounceIP != "" {
		if _, err := call("REPLCONF", "ip-address", cfg.AnnounceIP); err != nil {
			return err
		}
	}
	if r, err := call("REPLCONF", "capa", "eof", "capa", "psync2"); err != nil {
		return err
	} else if r != "+OK" {
		l.log.Warn("master refused REPLCONF capa", "reply", r)
	}
	replid, off := l.applier.ReplState()
	psyncID, psyncOff := "?", "-1"
	if replid != "" && off >= 0 {
		psyncID, psyncOff = replid, strconv.FormatInt(off+1, 10)
	}
	l.setState(func(s *State) { s.Status = "sync" })
	line, err := call("PSYNC", psyncID, psyncOff)
	if err != nil {
		return err
	}
	reply, err := ParsePSyncReply(line)
	if err != nil {
		return err
	}
	if reply.Full {
		l.setState(func(s *State) { s.SyncInProgess, s.SyncBytes = true, 0 })
		nc.SetDeadline(time.Time{})
		rdr, size, err := RDBReader(br)
		if err != nil {
			return err
		}
		l.setState(func(s *State) { s.SyncTotal = size })
		counted := &countingReader{r: rdr, conn: nc, timeout: cfg.Timeout, l: l}
		if err := l.applier.FullSync(reply.ReplID, reply.Offset, counted); err != nil {
			return fmt.Errorf("repl: full sync: %w", err)
		}
		// Drain what the loader did not read (it must read to the end).
		if _, err := io.Copy(io.Discard, counted); err != nil {
			return err
		}
		if er, ok := rdr.(*eofReader); ok {
			br = er.Rest()
		}
		l.setState(func(s *State) { s.SyncInProgess = false; s.FullSyncs++ })
		l.log.Info("full resync done", "replid", reply.ReplID, "offset", reply.Offset)
	} else {
		if err := l.applier.Continue(reply.ReplID); err != nil {
			return err
		}
		l.setState(func(s *State) { s.PartialSyncs++ })
		l.log.Info("partial resync accepted", "offset", off)
	}
	l.setState(func(s *State) { s.Up, s.Status, s.LastIO = true, "connected", time.Now() })
	return l.stream(nc, br)
}

func isAuthError(r string) bool {
	return len(r) > 0 && r[0] == '-' && (len(r) >= 7 && (r[1:7] == "NOAUTH" || r[1:5] == "NOPE"))
}

// stream applies the master's commands until the connection fails. ACKs
// go out every AckInterval and in answer to REPLCONF GETACK.
//
// Every whole command already received goes to the applier in one batch
// (one executor round trip, one log append), never a MULTI without its
// EXEC, so a transaction commits atomically on the replica too.
func (l *Link) stream(nc net.Conn, br *bufio.Reader) error {
	_, off := l.applier.ReplState()
	l.off.Store(off)
	ackDone := make(chan struct{})
	defer close(ackDone)
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		t := time.NewTicker(l.cfg.AckInterval)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				l.sendAck(nc)
			case <-ackDone:
				return
			case <-l.ctx.Done():
				return
			}
		}
	}()
	l.sendAck(nc)
	var buf []byte // received bytes not applied yet: at most a partial command or MULTI block
	for {
		if cap(buf)-len(buf) < streamReadSize {
			// A new buffer for every batch: the applier's commands alias
			// the old one.
			nb := make([]byte, len(buf), len(buf)+max(streamBufSize, 2*len(buf)))
			copy(nb, buf)
			buf = nb
		}
		nc.SetReadDeadline(time.Now().Add(time.Duration(l.timeout.Load())))
		n, rerr := br.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		b, err := splitStream(buf)
		if err != nil {
			return err
		}
		if len(b.cmds) > 0 {
			if err := l.applier.Apply(buf[:b.n:b.n], b.cmds); err != nil {
				return fmt.Errorf("repl: applying the stream: %w", err)
			}
			l.off.Add(int64(b.n))
			buf = buf[b.n:]
			l.setState(func(s *State) { s.LastIO = time.Now() })
			if b.getack {
				l.sendAck(nc)
			}
		}
		if rerr != nil {
			return rerr
		}
	}
}

const (
	streamBufSize  = 256 << 10 // a batch's buffer
	streamReadSize = 16 << 10  // less room than this left: a new buffer
)

// batch is the whole commands at the start of a stream buffer.
type batch struct {
	n      int        // bytes they take
	cmds   [][][]byte // their arguments (aliasing the buffer)
	getack bool       // one is REPLCONF GETACK
}

// splitStream parses the whole commands at the start of b, stopping before
// a MULTI whose EXEC has not arrived. Every command must be a canonical
// RESP array of bulk strings (as masters send them): anything else would
// make the log's offsets differ from the master's.
func splitStream(b []byte) (batch, error) {
	var out batch
	multiStart := -1 // index in out.cmds of an open MULTI
	multiN := 0
	for pos := 0; pos < len(b); {
		args, n, err := aof.ParseCommand(b[pos:])
		if errors.Is(err, aof.ErrIncomplete) {
			break
		}
		if err != nil {
			return batch{}, fmt.Errorf("%w: stream command is not canonical RESP: %v", ErrProtocol, err)
		}
		pos += n
		switch {
		case equalFold(args[0], "multi"):
			multiStart, multiN = len(out.cmds), out.n
		case equalFold(args[0], "exec"):
			multiStart = -1
		case len(args) >= 2 && equalFold(args[0], "replconf") && equalFold(args[1], "getack"):
			out.getack = true
		}
		out.cmds = append(out.cmds, args)
		out.n = pos
	}
	if multiStart >= 0 {
		out.cmds, out.n = out.cmds[:multiStart], multiN
	}
	return out, nil
}

func (l *Link) sendAck(nc net.Conn) {
	l.ackMu.Lock()
	defer l.ackMu.Unlock()
	nc.SetWriteDeadline(time.Now().Add(time.Duration(l.timeout.Load())))
	nc.Write(EncodeCommand("REPLCONF", "ACK", strconv.FormatInt(l.off.Load(), 10)))
}

// Offset is the replication offset applied so far.
func (l *Link) Offset() int64 { return l.off.Load() }

func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		c := b[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// countingReader tracks RDB transfer progress and keeps the read deadline
// moving while data flows.
type countingReader struct {
	r       io.Reader
	conn    net.Conn
	timeout time.Duration
	l       *Link
	n       int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	c.conn.SetReadDeadline(time.Now().Add(c.timeout))
	n, err := c.r.Read(p)
	c.n += int64(n)
	if n > 0 {
		total := c.n
		c.l.setState(func(s *State) { s.SyncBytes = total; s.LastIO = time.Now() })
	}
	return n, err
}

// ErrStopped is returned by operations on a stopped link.
var ErrStopped = errors.New("repl: link stopped")
