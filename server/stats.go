package server

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// stats are the counters INFO stats/commandstats/errorstats report.
type stats struct {
	totalConns     atomic.Int64
	rejectedConns  atomic.Int64
	totalCommands  atomic.Int64
	netInput       atomic.Int64
	netOutput      atomic.Int64
	expiredKeys    atomic.Int64
	errorReplies   atomic.Int64
	rejectedCalls  atomic.Int64
	dirty          atomic.Int64 // changes since the last save (rdb_changes_since_last_save)
	keyspaceHits   atomic.Int64
	keyspaceMiss   atomic.Int64
	blockedClients atomic.Int64
	lastSave       atomic.Int64 // unix seconds of the last save (LASTSAVE); 0 = none since start; reset leaves it

	mu     sync.Mutex
	errors map[string]int64

	// instantaneous ops/sec: samples of totalCommands, one per 100 ms.
	opsMu      sync.Mutex
	opsSamples [16]int64
	opsTimes   [16]time.Time
	opsIdx     int
}

// cmdStat counts one command's calls (INFO commandstats).
type cmdStat struct {
	calls, usec, rejected, failed atomic.Int64
}

func (st *stats) record(cs *cmdStat, d time.Duration, failed bool) {
	st.totalCommands.Add(1)
	cs.calls.Add(1)
	cs.usec.Add(d.Microseconds())
	if failed {
		cs.failed.Add(1)
	}
}

func (st *stats) countError(prefix string) {
	st.mu.Lock()
	if st.errors == nil {
		st.errors = map[string]int64{}
	}
	st.errors[prefix]++
	st.mu.Unlock()
}

// reset zeroes the counters (CONFIG RESETSTAT); the per-command ones live
// in the command table.
func (st *stats) reset(tab *table) {
	for i := range tab.stats {
		cs := &tab.stats[i]
		cs.calls.Store(0)
		cs.usec.Store(0)
		cs.rejected.Store(0)
		cs.failed.Store(0)
	}
	st.mu.Lock()
	st.errors = nil
	st.mu.Unlock()
	st.totalConns.Store(0)
	st.rejectedConns.Store(0)
	st.totalCommands.Store(0)
	st.netInput.Store(0)
	st.netOutput.Store(0)
	st.expiredKeys.Store(0)
	st.errorReplies.Store(0)
	st.rejectedCalls.Store(0)
	st.keyspaceHits.Store(0)
	st.keyspaceMiss.Store(0)
}

// sampleOps records the command counter; called periodically.
func (st *stats) sampleOps() {
	st.opsMu.Lock()
	st.opsIdx = (st.opsIdx + 1) % len(st.opsSamples)
	st.opsSamples[st.opsIdx] = st.totalCommands.Load()
	st.opsTimes[st.opsIdx] = time.Now()
	st.opsMu.Unlock()
}

func (st *stats) opsPerSec() int64 {
	st.opsMu.Lock()
	defer st.opsMu.Unlock()
	oldest := (st.opsIdx + 1) % len(st.opsSamples)
	if st.opsTimes[oldest].IsZero() {
		oldest = 0
	}
	dt := st.opsTimes[st.opsIdx].Sub(st.opsTimes[oldest]).Seconds()
	if dt <= 0 {
		return 0
	}
	return int64(float64(st.opsSamples[st.opsIdx]-st.opsSamples[oldest]) / dt)
}

// slowlog is SLOWLOG's ring of slow commands.
type slowlog struct {
	mu      sync.Mutex
	entries []slowEntry // newest first
	nextID  int64
}

type slowEntry struct {
	id   int64
	at   int64 // unix seconds
	usec int64
	args []string
	addr string
	name string
}

func (sl *slowlog) init() {}

func (sl *slowlog) maybeAdd(s *Server, call *Call, start time.Time, d time.Duration) {
	threshold := s.cfg.Int("slowlog-log-slower-than")
	if threshold < 0 || d.Microseconds() < threshold {
		return
	}
	maxLen := int(s.cfg.Int("slowlog-max-len"))
	// Like Redis: at most 32 arguments, each cut at 128 bytes.
	var args []string
	for i, a := range s.redactArgs(call.Args) {
		if i == 31 && len(call.Args) > 32 {
			args = append(args, "... ("+strconv.Itoa(len(call.Args)-31)+" more arguments)")
			break
		}
		if len(a) > 128 {
			args = append(args, string(a[:128])+"... ("+strconv.Itoa(len(a)-128)+" more bytes)")
		} else {
			args = append(args, string(a))
		}
	}
	e := slowEntry{at: start.Unix(), usec: d.Microseconds(), args: args}
	if call.Conn != nil {
		e.addr = call.Conn.addr
		call.Conn.mu.Lock()
		e.name = call.Conn.name
		call.Conn.mu.Unlock()
	}
	sl.mu.Lock()
	e.id = sl.nextID
	sl.nextID++
	sl.entries = append([]slowEntry{e}, sl.entries...)
	if len(sl.entries) > maxLen {
		sl.entries = sl.entries[:max(maxLen, 0)]
	}
	sl.mu.Unlock()
}

// monitors are the connections in MONITOR mode.
type monitors struct {
	mu    sync.Mutex
	conns map[*Conn]bool
	n     atomic.Int32
}

func (m *monitors) add(c *Conn) {
	m.mu.Lock()
	if m.conns == nil {
		m.conns = map[*Conn]bool{}
	}
	m.conns[c] = true
	m.n.Store(int32(len(m.conns)))
	m.mu.Unlock()
}

func (m *monitors) remove(c *Conn) {
	m.mu.Lock()
	delete(m.conns, c)
	m.n.Store(int32(len(m.conns)))
	m.mu.Unlock()
}

// feed sends a command to every monitor in Redis's format:
// +1339518083.107412 [0 127.0.0.1:60866] "keys" "*"
func (m *monitors) feed(c *Conn, args [][]byte) {
	if m.n.Load() == 0 {
		return
	}
	name := strings.ToLower(string(args[0]))
	if name == "auth" || name == "hello" && len(args) > 2 {
		return // never leak credentials
	}
	now := time.Now()
	var sb strings.Builder
	sb.WriteByte('+')
	sb.WriteString(strconv.FormatInt(now.Unix(), 10))
	sb.WriteByte('.')
	us := strconv.FormatInt(int64(now.Nanosecond()/1000), 10)
	sb.WriteString(strings.Repeat("0", 6-len(us)) + us)
	sb.WriteString(" [" + strconv.Itoa(c.selectedDB()) + " " + c.addr + "]")
	for _, a := range args {
		sb.WriteByte(' ')
		sb.WriteString(quoteMonitor(a))
	}
	sb.WriteString("\r\n")
	line := []byte(sb.String())
	m.mu.Lock()
	targets := make([]*Conn, 0, len(m.conns))
	for mc := range m.conns {
		if mc != c {
			targets = append(targets, mc)
		}
	}
	m.mu.Unlock()
	for _, mc := range targets {
		mc.writeAsync(line)
	}
}

// quoteMonitor quotes an argument like Redis's sdscatrepr.
func quoteMonitor(a []byte) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, c := range a {
		switch c {
		case '\\', '"':
			sb.WriteByte('\\')
			sb.WriteByte(c)
		case '\n':
			sb.WriteString("\\n")
		case '\r':
			sb.WriteString("\\r")
		case '\t':
			sb.WriteString("\\t")
		case '\a':
			sb.WriteString("\\a")
		case '\b':
			sb.WriteString("\\b")
		default:
			if c < 32 || c > 126 {
				sb.WriteString("\\x")
				sb.WriteString(strconv.FormatInt(int64(c)>>4, 16))
				sb.WriteString(strconv.FormatInt(int64(c)&15, 16))
			} else {
				sb.WriteByte(c)
			}
		}
	}
	sb.WriteByte('"')
	return sb.String()
}
