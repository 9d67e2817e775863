package server

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cobbledb/cobble/aof"
	"github.com/cobbledb/cobble/engine"
	"github.com/cobbledb/cobble/server/config"
)

// Version is the Redis version cobble reports (redis_version, HELLO):
// clients gate features on it, and cobble implements Redis 7 semantics.
const Version = "7.2.0"

// CobbleVersion is cobble's own version (INFO cobble_version).
const CobbleVersion = "0.1.0"

// Hooks are optional callbacks tests and tools wait on instead of
// grepping logs.
type Hooks struct {
	OnReplayDone func(commands int64, d time.Duration)
	OnCheckpoint func(offset int64)
}

// Server is one cobble node: the keyspace, the log, the executor and the
// client connections.
type Server struct {
	cfg   *config.Config
	log   *slog.Logger
	hooks Hooks

	db    *engine.DB
	aof   *aof.Log
	exec  *executor
	table *table

	// clock is unix ms, refreshed on every executor tick (hz): for
	// bookkeeping that needs no precision, such as a client's idle time,
	// without reading the system clock on every command.
	clock atomic.Int64

	runID     string
	startTime time.Time
	dir       string

	ln       net.Listener
	mu       sync.Mutex // guards conns, ln, closed
	conns    map[int64]*Conn
	closed   bool
	done     chan struct{}
	closeErr error
	wg       sync.WaitGroup

	nextID   atomic.Int64
	stats    stats
	slowlog  slowlog
	monitors monitors
	watches  watchRegistry
	pubsub   pubsub
	repl     replState
	persist  persistState

	requirePass atomic.Pointer[string]
	limits      atomic.Pointer[Limits]
	loading     atomic.Bool
}

// New opens the keyspace and the log in the configured dir, replays the
// log tail the keyspace has not seen, and returns a node ready to Serve.
// It never serves a half-loaded data set: replay finishes first.
func New(cfg *config.Config, logger *slog.Logger, hooks Hooks) (*Server, error) {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := cfg.Unsupported(); err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, log: logger, hooks: hooks, conns: map[int64]*Conn{},
		done: make(chan struct{}), startTime: time.Now()}
	s.clock.Store(s.startTime.UnixMilli())
	s.table = newTable(allCommands(s)...)
	s.runID = newRunID()
	s.slowlog.init()
	dir := cfg.String("dir")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("server: dir %s: %w", dir, err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	s.dir = abs
	pass := cfg.String("requirepass")
	s.requirePass.Store(&pass)
	s.applyLimits()

	fsync, err := aof.ParseFsyncPolicy(cfg.String("appendfsync"))
	if err != nil {
		return nil, err
	}
	if !cfg.Bool("appendonly") {
		// The log is always written (it is the replication stream and the
		// restart path); without appendonly it is never fsynced.
		fsync = aof.FsyncNo
	}
	s.aof, err = aof.Open(aof.Options{
		Dir:           filepath.Join(abs, cfg.String("appenddirname")),
		BaseName:      cfg.String("appendfilename"),
		Fsync:         fsync,
		LoadTruncated: cfg.Bool("aof-load-truncated"),
		LoadCorrupt:   cfg.Bool("aof-load-corrupt"),
		Logger:        logger,
	})
	if err != nil {
		return nil, err
	}
	s.db, err = engine.Open(filepath.Join(abs, "keyspace"), engine.Options{
		Databases: int(cfg.Int("databases")),
		CacheSize: cfg.Bytes("cache-size"),
		RowCache:  rowCacheSize(cfg.Bytes("row-cache-size")),
		Logger:    logger,
	})
	if err != nil {
		s.aof.Close()
		return nil, err
	}
	if err := s.replay(); err != nil {
		s.db.Close()
		s.aof.Close()
		return nil, err
	}
	if err := s.loadDumpAtFirstStart(); err != nil {
		s.db.Close()
		s.aof.Close()
		return nil, err
	}
	s.exec = newExecutor(s)
	s.registerConfigHooks()
	if err := s.initReplication(); err != nil {
		s.exec.close()
		s.db.Close()
		s.aof.Close()
		return nil, err
	}
	s.startPersist()
	return s, nil
}

func newRunID() string {
	b := make([]byte, 20)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Server) applyLimits() {
	l := defaultLimits()
	l.MaxBulkLen = s.cfg.Bytes("proto-max-bulk-len")
	l.MaxQueryBuf = s.cfg.Bytes("client-query-buffer-limit")
	s.limits.Store(&l)
}

// DB exposes the keyspace (tools and tests).
func (s *Server) DB() *engine.DB { return s.db }

// Config is the live configuration.
func (s *Server) Config() *config.Config { return s.cfg }

// ListenAndServe listens on the configured bind addresses and port and
// serves until Close.
func (s *Server) ListenAndServe() error {
	ln, err := s.Listen()
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// Listen opens listeners for the configured bind addresses and port, as
// Redis does: "*" and "::*" mean every interface, a leading "-" marks an
// address that may be unavailable.
func (s *Server) Listen() (net.Listener, error) {
	port := strconv.FormatInt(s.cfg.Int("port"), 10)
	var addrs []string
	for _, b := range s.cfg.Strings("bind") {
		optional := strings.HasPrefix(b, "-")
		b = strings.TrimPrefix(b, "-")
		if b == "*" || b == "::*" {
			addrs = []string{":" + port}
			break
		}
		addr := net.JoinHostPort(b, port)
		if optional {
			addr = "-" + addr
		}
		addrs = append(addrs, addr)
	}
	if len(addrs) == 0 {
		addrs = []string{":" + port}
	}
	var lns []net.Listener
	for _, a := range addrs {
		optional := strings.HasPrefix(a, "-")
		ln, err := net.Listen("tcp", strings.TrimPrefix(a, "-"))
		if err != nil {
			if optional {
				continue
			}
			for _, l := range lns {
				l.Close()
			}
			return nil, fmt.Errorf("server: listen %s: %w", a, err)
		}
		lns = append(lns, ln)
	}
	if len(lns) == 0 {
		return nil, fmt.Errorf("server: no bind address could be used")
	}
	if len(lns) == 1 {
		return lns[0], nil
	}
	return newMultiListener(lns), nil
}

// protectedDenied reports whether protected mode refuses this client: no
// password, the default bind, and a client not on the loopback interface.
func (s *Server) protectedDenied(nc net.Conn) bool {
	if !s.cfg.Bool("protected-mode") || *s.requirePass.Load() != "" {
		return false
	}
	if b := s.cfg.Strings("bind"); !(len(b) == 2 && b[0] == "*" && b[1] == "-::*") {
		return false
	}
	ta, ok := nc.RemoteAddr().(*net.TCPAddr)
	return ok && !ta.IP.IsLoopback()
}

// Serve accepts connections on ln until Close.
func (s *Server) Serve(ln net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		ln.Close()
		return net.ErrClosed
	}
	s.ln = ln
	s.mu.Unlock()
	s.log.Info("ready to accept connections", "addr", ln.Addr().String(), "run_id", s.runID)
	for {
		nc, err := ln.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		s.accept(nc)
	}
}

// Addr is the listening address, once Serve has started.
func (s *Server) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// Done is closed when the server has shut down (SHUTDOWN or Close).
func (s *Server) Done() <-chan struct{} { return s.done }

func (s *Server) accept(nc net.Conn) {
	if tc, ok := nc.(*net.TCPConn); ok {
		if ka := s.cfg.Int("tcp-keepalive"); ka > 0 {
			tc.SetKeepAlive(true)
			tc.SetKeepAlivePeriod(time.Duration(ka) * time.Second)
		}
		tc.SetNoDelay(true)
	}
	if s.protectedDenied(nc) {
		nc.Write([]byte("-" + errProtected.Error() + "\r\n"))
		nc.Close()
		return
	}
	c := newConn(s, nc)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		nc.Close()
		return
	}
	maxc := s.cfg.Int("maxclients")
	if maxc > 0 && int64(len(s.conns)) >= maxc {
		s.mu.Unlock()
		s.stats.rejectedConns.Add(1)
		nc.Write([]byte("-ERR max number of clients reached\r\n"))
		nc.Close()
		return
	}
	s.conns[c.id] = c
	s.wg.Add(1)
	s.mu.Unlock()
	s.stats.totalConns.Add(1)
	go func() {
		defer s.wg.Done()
		c.serve()
		s.mu.Lock()
		delete(s.conns, c.id)
		s.mu.Unlock()
		s.monitors.remove(c)
	}()
}

// Close stops accepting, disconnects clients, stops the executor, syncs
// the log and checkpoints the keyspace so the next start replays nothing.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		<-s.done
		return s.closeErr
	}
	s.closed = true
	if s.ln != nil {
		s.ln.Close()
	}
	s.repl.mu.Lock()
	link := s.repl.link
	s.repl.mu.Unlock()
	for _, c := range s.conns {
		c.nc.Close()
	}
	s.mu.Unlock()
	if link != nil {
		link.Stop()
	}
	s.stopPersist()
	s.wg.Wait()
	s.exec.close()
	err := errors.Join(s.aof.Sync(), s.db.Close(), s.aof.Close())
	s.closeErr = err
	close(s.done)
	return err
}

// clients returns a snapshot of the connected clients.
func (s *Server) clients() []*Conn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*Conn, 0, len(s.conns))
	for _, c := range s.conns {
		out = append(out, c)
	}
	return out
}

// rowCacheSize maps the row-cache-size directive (0 = off) to the engine's
// option (0 = default, negative = off).
func rowCacheSize(n int64) int64 {
	if n <= 0 {
		return -1
	}
	return n
}
