package server_test

// INFO: section selection, Redis's text layout, and fields that follow
// what the server does (keyspace, hits and misses, errors, command stats,
// log offsets), in RESP2 and RESP3.

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cobbledb/cobble/server"
	"github.com/cobbledb/cobble/server/servertest"
)

// infoFields parses INFO text into its fields, checking Redis's layout
// on the way: CRLF line ends, "# Title" headers, "name:value" lines.
func infoFields(t *testing.T, text string) map[string]string {
	t.Helper()
	if text != "" && !strings.HasSuffix(text, "\r\n") {
		t.Fatalf("INFO does not end with CRLF: %q", text)
	}
	f := map[string]string{}
	for _, line := range strings.Split(strings.TrimSuffix(text, "\r\n"), "\r\n") {
		if strings.Contains(line, "\n") {
			t.Fatalf("bare LF in INFO line %q", line)
		}
		if line == "" || strings.HasPrefix(line, "# ") {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("INFO line without ':' %q", line)
		}
		f[k] = v
	}
	return f
}

// infoTitles returns the section titles, in order.
func infoTitles(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\r\n") {
		if title, ok := strings.CutPrefix(line, "# "); ok {
			out = append(out, title)
		}
	}
	return out
}

func TestInfo_Sections(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	dflt := []string{"Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Modules", "Errorstats", "Cluster", "Keyspace"}
	all := []string{"Server", "Clients", "Memory", "Persistence", "Stats", "Replication", "CPU", "Modules", "Commandstats", "Errorstats", "Cluster", "Keyspace"}
	for _, tc := range []struct {
		args []any
		want []string
	}{
		{nil, dflt},
		{[]any{"default"}, dflt},
		{[]any{"all"}, all},
		{[]any{"everything"}, all},
		{[]any{"SERVER"}, []string{"Server"}},
		{[]any{"keyspace", "server", "server"}, []string{"Server", "Keyspace"}},
		{[]any{"nosuch", "cpu"}, []string{"CPU"}},
		{[]any{"commandstats", "default"}, all},
		{[]any{"nosuch"}, nil},
	} {
		text, err := c.Do(ctx, append([]any{"INFO"}, tc.args...)...).Text()
		if err != nil {
			t.Fatal(err)
		}
		infoFields(t, text)
		if got := infoTitles(text); !slices.Equal(got, tc.want) {
			t.Errorf("INFO %v sections = %q, want %q", tc.args, got, tc.want)
		}
	}
	// Sections are separated by one empty line; the text starts with a
	// header and ends with the last field.
	text := c.Info(ctx, "server", "clients").Val()
	if !strings.HasPrefix(text, "# Server\r\n") || !strings.Contains(text, "\r\n\r\n# Clients\r\n") || strings.HasSuffix(text, "\r\n\r\n") {
		t.Fatalf("INFO server clients layout:\n%q", text)
	}
	if text := c.Info(ctx, "nosuch").Val(); text != "" {
		t.Fatalf("INFO nosuch = %q", text)
	}
}

func TestInfo_ServerAndClients(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	f := infoFields(t, c.Info(ctx, "server", "clients").Val())
	_, port := hostPort(n.Addr)
	want := map[string]string{
		"redis_version": server.Version, "cobble_version": server.CobbleVersion, "redis_mode": "standalone",
		"tcp_port": port, "hz": "10", "arch_bits": strconv.Itoa(strconv.IntSize), "maxclients": "10000",
		"connected_clients": "1",
	}
	for k, v := range want {
		if f[k] != v {
			t.Errorf("%s = %q, want %q", k, f[k], v)
		}
	}
	if !regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(f["run_id"]) {
		t.Errorf("run_id = %q", f["run_id"])
	}
	usec, _ := strconv.ParseInt(f["server_time_usec"], 10, 64)
	if d := time.Since(time.UnixMicro(usec)); d.Abs() > time.Minute {
		t.Errorf("server_time_usec is %v off", d)
	}
	for _, k := range []string{"os", "process_id", "uptime_in_seconds", "uptime_in_days", "executable", "config_file"} {
		if _, ok := f[k]; !ok {
			t.Errorf("INFO server lacks %s", k)
		}
	}
	c2 := n.NewClient()
	c2.Ping(ctx)
	if got := infoFields(t, c.Info(ctx, "clients").Val())["connected_clients"]; got != "2" {
		t.Errorf("connected_clients with two clients = %q", got)
	}
}

func TestInfo_Keyspace(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	if text := c.Info(ctx, "keyspace").Val(); text != "# Keyspace\r\n" {
		t.Fatalf("INFO keyspace of an empty server = %q", text)
	}
	c.Set(ctx, "a", "1", 0)
	c.Set(ctx, "b", "2", time.Hour)
	pipe := c.Pipeline()
	pipe.Select(ctx, 3)
	pipe.Set(ctx, "c", "3", 0)
	pipe.Select(ctx, 0)
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	want := "# Keyspace\r\ndb0:keys=2,expires=1,avg_ttl=0\r\ndb3:keys=1,expires=0,avg_ttl=0\r\n"
	if text := c.Info(ctx, "keyspace").Val(); text != want {
		t.Fatalf("INFO keyspace = %q, want %q", text, want)
	}
}

func TestInfo_StatsFollowCommands(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	before := infoFields(t, c.Info(ctx, "persistence", "replication").Val())
	c.Set(ctx, "k", "v", 0)
	c.Set(ctx, "n", "x", 0)
	c.Get(ctx, "k")
	c.Get(ctx, "missing")
	c.Incr(ctx, "n") // fails in the handler: ERR
	c.Do(ctx, "CONFIG", "GET", "timeout")
	if f := infoFields(t, c.Info(ctx, "stats", "errorstats").Val()); f["errorstat_ERR"] != "count=1" || f["total_error_replies"] != "1" {
		t.Errorf("after one error: errorstat_ERR %q, total_error_replies %q", f["errorstat_ERR"], f["total_error_replies"])
	}
	c.Do(ctx, "GET") // refused before it runs

	f := infoFields(t, c.Info(ctx, "all").Val())
	want := map[string]string{
		"keyspace_hits": "1", "keyspace_misses": "1", "total_error_replies": "2",
		"loading":               "0",
		"aof_enabled":           "1",
		"aof_last_write_status": "ok",
		"role":                  "master",
		"connected_slaves":      "0",
		"master_replid2":        strings.Repeat("0", 40),
		"second_repl_offset":    "-1",
		"cluster_enabled":       "0",
	}
	for k, v := range want {
		if f[k] != v {
			t.Errorf("%s = %q, want %q", k, f[k], v)
		}
	}
	for name, calls := range map[string]string{"get": "2", "set": "2", "incr": "1", "config|get": "1"} {
		stat := f["cmdstat_"+name]
		if !regexp.MustCompile(`^calls=` + calls + `,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=\d+,failed_calls=\d+$`).MatchString(stat) {
			t.Errorf("cmdstat_%s = %q, want %s calls", name, stat, calls)
		}
	}
	if !strings.HasSuffix(f["cmdstat_incr"], "failed_calls=1") {
		t.Errorf("cmdstat_incr = %q, want a failed call", f["cmdstat_incr"])
	}
	if processed, _ := strconv.Atoi(f["total_commands_processed"]); processed < 6 {
		t.Errorf("total_commands_processed = %d", processed)
	}
	changes := func(m map[string]string) int64 {
		n, _ := strconv.ParseInt(m["rdb_changes_since_last_save"], 10, 64)
		return n
	}
	if changes(f)-changes(before) != 2 {
		t.Errorf("rdb_changes_since_last_save went from %d to %d after two SETs", changes(before), changes(f))
	}
	offBefore, _ := strconv.ParseInt(before["master_repl_offset"], 10, 64)
	off, _ := strconv.ParseInt(f["master_repl_offset"], 10, 64)
	first, _ := strconv.ParseInt(f["repl_backlog_first_byte_offset"], 10, 64)
	hist, _ := strconv.ParseInt(f["repl_backlog_histlen"], 10, 64)
	if off <= offBefore || first < 1 || first-1+hist != off {
		t.Errorf("replication offsets: before %d, now %d, first byte %d, histlen %d", offBefore, off, first, hist)
	}
	if f["aof_current_size"] != strconv.FormatInt(hist, 10) {
		t.Errorf("aof_current_size %q, histlen %d", f["aof_current_size"], hist)
	}
	for _, k := range []string{"used_memory", "used_memory_rss", "cobble_block_cache_size", "cobble_disk_usage",
		"cobble_row_cache_bytes", "cobble_row_cache_keys", "cobble_row_cache_hits", "cobble_row_cache_misses"} {
		if v, err := strconv.ParseInt(f[k], 10, 64); err != nil || v < 0 {
			t.Errorf("%s = %q", k, f[k])
		}
	}
	if !regexp.MustCompile(`^\d+(\.\d\d[KMGTP]|B)$`).MatchString(f["used_memory_human"]) {
		t.Errorf("used_memory_human = %q", f["used_memory_human"])
	}
	for _, k := range []string{"used_cpu_sys", "used_cpu_user"} {
		if !regexp.MustCompile(`^\d+\.\d{6}$`).MatchString(f[k]) {
			t.Errorf("%s = %q", k, f[k])
		}
	}
}

func TestInfo_RESP3IsVerbatim(t *testing.T) {
	n := servertest.Start(t)
	nc, r := rawConn(t, n.Addr)
	if got := rawCmd(t, nc, r, "INFO", "cluster"); got.kind != '$' || got.str != "# Cluster\r\ncluster_enabled:0\r\n" {
		t.Fatalf("INFO in RESP2 = %+v", got)
	}
	rawCmd(t, nc, r, "HELLO", "3")
	if got := rawCmd(t, nc, r, "INFO", "cluster"); got.kind != '=' || got.str != "txt:# Cluster\r\ncluster_enabled:0\r\n" {
		t.Fatalf("INFO in RESP3 = %+v", got)
	}
}
