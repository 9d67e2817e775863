package server

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// infoSection is one section of INFO: its name as INFO takes it, its
// title line, whether INFO without arguments (INFO default) shows it, and
// what it writes.
type infoSection struct {
	name  string
	title string
	dflt  bool
	write func(s *Server, w *infoWriter)
}

// infoSections are INFO's sections, in Redis's order. INFO all and INFO
// everything show every one (cobble has no modules); an unknown section
// shows nothing.
var infoSections = []infoSection{
	{"server", "Server", true, (*Server).infoServer},
	{"clients", "Clients", true, (*Server).infoClients},
	{"memory", "Memory", true, (*Server).infoMemory},
	{"persistence", "Persistence", true, (*Server).infoPersistence},
	{"stats", "Stats", true, (*Server).infoStats},
	{"replication", "Replication", true, (*Server).infoReplication},
	{"cpu", "CPU", true, (*Server).infoCPU},
	{"modules", "Modules", true, func(*Server, *infoWriter) {}},
	{"commandstats", "Commandstats", false, (*Server).infoCommandStats},
	{"errorstats", "Errorstats", true, (*Server).infoErrorStats},
	{"cluster", "Cluster", true, (*Server).infoCluster},
	{"keyspace", "Keyspace", true, (*Server).infoKeyspace},
}

func cmdInfo(c *Call) error {
	c.Reply.Verbatim(c.Srv.info(c.Args[1:]))
	return nil
}

// info renders the sections named (any case, duplicates ignored), in
// Redis's order: "# Title" then "field:value" lines, all ending in CRLF,
// with an empty line between sections.
func (s *Server) info(names [][]byte) string {
	want := map[string]bool{}
	if len(names) == 0 {
		names = [][]byte{[]byte("default")}
	}
	for _, n := range names {
		switch name := strings.ToLower(string(n)); name {
		case "default":
			for _, sec := range infoSections {
				want[sec.name] = want[sec.name] || sec.dflt
			}
		case "all", "everything":
			for _, sec := range infoSections {
				want[sec.name] = true
			}
		default:
			want[name] = true
		}
	}
	w := &infoWriter{}
	for _, sec := range infoSections {
		if !want[sec.name] {
			continue
		}
		if w.sections > 0 {
			w.b.WriteString("\r\n")
		}
		w.sections++
		w.b.WriteString("# " + sec.title + "\r\n")
		sec.write(s, w)
	}
	return w.b.String()
}

// infoWriter accumulates INFO's text.
type infoWriter struct {
	b        strings.Builder
	sections int
}

func (w *infoWriter) str(name, value string) {
	w.b.WriteString(name)
	w.b.WriteByte(':')
	w.b.WriteString(value)
	w.b.WriteString("\r\n")
}

func (w *infoWriter) int(name string, n int64) { w.str(name, strconv.FormatInt(n, 10)) }

func (w *infoWriter) bool(name string, b bool) {
	if b {
		w.int(name, 1)
	} else {
		w.int(name, 0)
	}
}

func (s *Server) infoServer(w *infoWriter) {
	now := time.Now()
	uptime := int64(now.Sub(s.startTime) / time.Second)
	w.str("redis_version", Version)
	w.str("cobble_version", CobbleVersion)
	w.str("redis_mode", "standalone")
	w.str("os", osName())
	w.int("arch_bits", strconv.IntSize)
	w.str("go_version", runtime.Version())
	w.int("process_id", int64(os.Getpid()))
	w.str("run_id", s.runID)
	w.int("tcp_port", s.tcpPort())
	w.int("server_time_usec", now.UnixMicro())
	w.int("uptime_in_seconds", uptime)
	w.int("uptime_in_days", uptime/86400)
	w.int("hz", s.cfg.Int("hz"))
	w.int("configured_hz", s.cfg.Int("hz"))
	exe, _ := os.Executable()
	w.str("executable", exe)
	w.str("config_file", s.cfg.File())
}

// tcpPort is the port the server listens on: the bound one once Serve
// runs (port 0 picks one), else the configured one.
func (s *Server) tcpPort() int64 {
	if a, ok := s.Addr().(*net.TCPAddr); ok {
		return int64(a.Port)
	}
	return s.cfg.Int("port")
}

// osName is INFO's os field, like uname's "Linux 6.1.0-18-amd64 x86_64".
func osName() string {
	machine := runtime.GOARCH
	switch machine {
	case "amd64":
		machine = "x86_64"
	case "arm64":
		machine = "aarch64"
	}
	typ, err1 := os.ReadFile("/proc/sys/kernel/ostype")
	rel, err2 := os.ReadFile("/proc/sys/kernel/osrelease")
	if err1 != nil || err2 != nil {
		return runtime.GOOS + " " + machine
	}
	return strings.TrimSpace(string(typ)) + " " + strings.TrimSpace(string(rel)) + " " + machine
}

func (s *Server) infoClients(w *infoWriter) {
	conns := s.liveClients()
	var blocked int64
	for _, c := range conns {
		if c.blockedReq.Load() != nil {
			blocked++
		}
	}
	w.int("connected_clients", int64(len(conns)))
	w.int("cluster_connections", 0)
	w.int("maxclients", s.cfg.Int("maxclients"))
	w.int("blocked_clients", blocked)
	w.int("tracking_clients", 0) // no client-side caching yet
}

func (s *Server) infoMemory(w *infoWriter) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	// used_memory is what the Go runtime holds for live objects and stacks;
	// the storage engine's block cache may live outside the Go heap and is
	// reported on its own.
	used := int64(ms.HeapAlloc + ms.StackInuse)
	w.int("used_memory", used)
	w.str("used_memory_human", bytesToHuman(used))
	if rss, ok := rssBytes(); ok {
		w.int("used_memory_rss", rss)
		w.str("used_memory_rss_human", bytesToHuman(rss))
	}
	if total, ok := systemMemory(); ok {
		w.int("total_system_memory", total)
		w.str("total_system_memory_human", bytesToHuman(total))
	}
	maxmem := s.cfg.Bytes("maxmemory")
	w.int("maxmemory", maxmem)
	w.str("maxmemory_human", bytesToHuman(maxmem))
	w.str("maxmemory_policy", s.cfg.String("maxmemory-policy"))
	w.str("mem_allocator", "go")
	m := s.db.Metrics()
	w.int("cobble_block_cache_size", m.BlockCache.Size)
	rc := s.db.RowCacheStats()
	w.int("cobble_row_cache_bytes", rc.Bytes)
	w.int("cobble_row_cache_keys", rc.Entries)
	w.int("cobble_row_cache_hits", rc.Hits)
	w.int("cobble_row_cache_misses", rc.Misses)
	w.int("cobble_memtable_size", int64(m.MemTable.Size))
	w.int("cobble_disk_usage", int64(m.DiskSpaceUsage()))
}

// rssBytes reads the resident set size from /proc/self/statm.
func rssBytes() (int64, bool) {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0, false
	}
	f := strings.Fields(string(b))
	if len(f) < 2 {
		return 0, false
	}
	pages, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil {
		return 0, false
	}
	return pages * int64(os.Getpagesize()), true
}

// systemMemory reads MemTotal from /proc/meminfo.
func systemMemory() (int64, bool) {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Bytes()
		if !bytes.HasPrefix(line, []byte("MemTotal:")) {
			continue
		}
		fields := strings.Fields(string(line[len("MemTotal:"):]))
		if len(fields) == 0 {
			return 0, false
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		return kb * 1024, err == nil
	}
	return 0, false
}

// bytesToHuman is Redis's bytesToHuman: "919.15K", "1.00M", "12B".
func bytesToHuman(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + "B"
	}
	f := float64(n)
	for _, suffix := range []string{"K", "M", "G", "T", "P"} {
		f /= unit
		if f < unit || suffix == "P" {
			return fmt.Sprintf("%.2f%s", f, suffix)
		}
	}
	panic("unreachable")
}

func (s *Server) infoPersistence(w *infoWriter) {
	st := s.aof.Stats()
	w.bool("loading", s.loading.Load())
	w.int("async_loading", 0)
	s.infoRDB(w) // cmd_persist.go
	w.bool("aof_enabled", s.cfg.Bool("appendonly"))
	w.int("aof_rewrite_in_progress", 0)
	w.int("aof_rewrite_scheduled", 0)
	w.int("aof_last_rewrite_time_sec", -1)
	w.int("aof_current_rewrite_time_sec", -1)
	w.str("aof_last_bgrewrite_status", "ok")
	w.int("aof_rewrites", 0)
	if st.LastError != nil {
		w.str("aof_last_write_status", "err")
	} else {
		w.str("aof_last_write_status", "ok")
	}
	w.int("aof_current_size", st.Size)
	w.str("cobble_aof_fsync", st.Fsync.String())
	w.int("cobble_aof_segments", int64(st.Segments))
	w.int("cobble_aof_start_offset", st.StartOffset)
	w.int("cobble_aof_end_offset", st.EndOffset)
	w.int("cobble_aof_synced_offset", st.SyncedOffset)
	w.int("cobble_aof_fsyncs", st.Fsyncs)
	w.int("cobble_applied_offset", s.db.AppliedOffset())
}

func (s *Server) infoStats(w *infoWriter) {
	st := &s.stats
	w.int("total_connections_received", st.totalConns.Load())
	w.int("total_commands_processed", st.totalCommands.Load())
	w.int("instantaneous_ops_per_sec", s.opsPerSec())
	w.int("total_net_input_bytes", st.netInput.Load())
	w.int("total_net_output_bytes", st.netOutput.Load())
	w.int("rejected_connections", st.rejectedConns.Load())
	w.int("expired_keys", st.expiredKeys.Load())
	w.int("sync_full", s.repl.fullSyncs.Load())
	w.int("sync_partial_ok", s.repl.partialOK.Load())
	w.int("sync_partial_err", s.repl.partialErr.Load())
	w.int("keyspace_hits", st.keyspaceHits.Load())
	w.int("keyspace_misses", st.keyspaceMiss.Load())
	ps := &s.pubsub
	ps.mu.RLock()
	w.int("pubsub_channels", int64(len(ps.channels)))
	w.int("pubsub_patterns", int64(len(ps.patterns)))
	w.int("pubsubshard_channels", int64(len(ps.shards)))
	ps.mu.RUnlock()
	w.int("latest_fork_usec", 0) // cobble never forks
	w.int("total_forks", 0)
	// Calls refused before they ran (unknown command, arity, NOAUTH…)
	// got an error reply too.
	w.int("total_error_replies", st.errorReplies.Load()+st.rejectedCalls.Load())
}

// opsPerSec is instantaneous_ops_per_sec. The command counter is sampled
// periodically when something calls stats.sampleOps; INFO takes a sample
// too when the last one is older than a second, so the rate is the one
// between recent INFO calls when nothing else samples.
func (s *Server) opsPerSec() int64 {
	st := &s.stats
	st.opsMu.Lock()
	stale := time.Since(st.opsTimes[st.opsIdx]) > time.Second
	st.opsMu.Unlock()
	if stale {
		st.sampleOps()
	}
	return st.opsPerSec()
}

func (s *Server) infoReplication(w *infoWriter) {
	start, end := s.aof.StartOffset(), s.aof.EndOffset()
	r := &s.repl
	r.mu.Lock()
	role, host, port := r.role, r.masterHost, r.masterPort
	replid, replid2, second := r.replid, r.replid2, r.secondOffset
	type rep struct {
		ip        string
		port      int
		state     string
		ack, last int64
	}
	var reps []rep
	for _, x := range r.replicas {
		reps = append(reps, rep{x.ip, x.port, x.state, x.ack.Load(), x.lastAck.Load()})
	}
	r.mu.Unlock()
	w.str("role", role)
	if role == "slave" {
		st := s.linkState()
		w.str("master_host", host)
		w.str("master_port", port)
		if st.Up {
			w.str("master_link_status", "up")
		} else {
			w.str("master_link_status", "down")
		}
		lastIO := int64(-1)
		if !st.LastIO.IsZero() {
			lastIO = int64(time.Since(st.LastIO).Seconds())
		}
		w.int("master_last_io_seconds_ago", lastIO)
		w.int("master_sync_in_progress", b2i(st.SyncInProgess))
		w.int("slave_read_repl_offset", end)
		w.int("slave_repl_offset", s.appliedOffset())
		if st.SyncInProgess {
			w.int("master_sync_total_bytes", st.SyncTotal)
			w.int("master_sync_read_bytes", st.SyncBytes)
			w.int("master_sync_left_bytes", max(st.SyncTotal-st.SyncBytes, -1))
		}
		if !st.Up {
			down := int64(-1) // never connected
			if !st.DownSince.IsZero() {
				down = int64(time.Since(st.DownSince).Seconds())
			}
			w.int("master_link_down_since_seconds", down)
		}
		w.int("slave_priority", s.cfg.Int("replica-priority"))
		w.int("slave_read_only", b2i(s.cfg.Bool("replica-read-only")))
		w.int("replica_announced", 1)
	}
	sort.Slice(reps, func(i, j int) bool { return reps[i].port < reps[j].port })
	w.int("connected_slaves", int64(len(reps)))
	if n, lag := s.cfg.Int("min-replicas-to-write"), s.cfg.Int("min-replicas-max-lag"); n > 0 && lag > 0 {
		w.int("min_slaves_good_slaves", int64(s.goodReplicas(time.Duration(lag)*time.Second)))
	}
	now := time.Now().UnixMilli()
	for i, x := range reps {
		w.str("slave"+strconv.Itoa(i), fmt.Sprintf("ip=%s,port=%d,state=%s,offset=%d,lag=%d", x.ip, x.port, x.state, x.ack, (now-x.last)/1000))
	}
	w.str("master_failover_state", "no-failover")
	w.str("master_replid", replid)
	w.str("master_replid2", replid2)
	if role == "slave" {
		w.int("master_repl_offset", s.appliedOffset())
	} else {
		w.int("master_repl_offset", end)
	}
	w.int("second_repl_offset", second)
	// The log on disk is the backlog, so it is always there.
	w.int("repl_backlog_active", 1)
	w.int("repl_backlog_size", s.cfg.Bytes("repl-backlog-size"))
	w.int("repl_backlog_first_byte_offset", start+1)
	w.int("repl_backlog_histlen", end-start)
}

func (s *Server) infoCPU(w *infoWriter) {
	var self, children syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &children)
	w.str("used_cpu_sys", formatTimeval(self.Stime))
	w.str("used_cpu_user", formatTimeval(self.Utime))
	w.str("used_cpu_sys_children", formatTimeval(children.Stime))
	w.str("used_cpu_user_children", formatTimeval(children.Utime))
}

func formatTimeval(tv syscall.Timeval) string {
	return formatFixed(float64(tv.Sec)+float64(tv.Usec)/1e6, 6)
}

// infoCommandStats writes cmdstat_<name> lines, sorted by name; a
// subcommand is named like config|get.
func (s *Server) infoCommandStats(w *infoWriter) {
	cmds := map[string]*cmdStat{}
	s.table.each(func(c *Command) {
		if cs := s.table.statsOf(c); cs.calls.Load() > 0 || cs.rejected.Load() > 0 || cs.failed.Load() > 0 {
			cmds[c.FullName()] = cs
		}
	})
	for _, name := range sortedKeys(cmds) {
		cs := cmds[name]
		calls, usec := cs.calls.Load(), cs.usec.Load()
		perCall := 0.0
		if calls > 0 {
			perCall = float64(usec) / float64(calls)
		}
		w.str("cmdstat_"+name, fmt.Sprintf("calls=%d,usec=%d,usec_per_call=%s,rejected_calls=%d,failed_calls=%d",
			calls, usec, formatFixed(perCall, 2), cs.rejected.Load(), cs.failed.Load()))
	}
}

// infoErrorStats writes errorstat_<PREFIX>:count=N lines, sorted.
func (s *Server) infoErrorStats(w *infoWriter) {
	st := &s.stats
	st.mu.Lock()
	errs := make(map[string]int64, len(st.errors))
	for prefix, n := range st.errors {
		errs[prefix] = n
	}
	st.mu.Unlock()
	for _, prefix := range sortedKeys(errs) {
		w.str("errorstat_"+prefix, "count="+strconv.FormatInt(errs[prefix], 10))
	}
}

func (s *Server) infoCluster(w *infoWriter) {
	w.int("cluster_enabled", 0)
}

// infoKeyspace writes a line per db that has keys. avg_ttl is not
// tracked: 0, as Redis reports before it has sampled any.
func (s *Server) infoKeyspace(w *infoWriter) {
	for i := range s.db.Databases() {
		keys := s.db.DBSize(i)
		if keys == 0 {
			continue
		}
		w.str("db"+strconv.Itoa(i), fmt.Sprintf("keys=%d,expires=%d,avg_ttl=0", keys, s.db.Expires(i)))
	}
}
