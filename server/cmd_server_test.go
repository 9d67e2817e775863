package server_test

// Server administration: CONFIG, TIME, LASTSAVE, SHUTDOWN, SLOWLOG,
// MONITOR and DEBUG, with Redis's replies and error texts. Failure cases
// covered: atomic CONFIG SET with a bad value, duplicate, unknown,
// immutable and start-only directives; CONFIG REWRITE without a file;
// SHUTDOWN with bad flags and inside MULTI; secrets kept out of SLOWLOG.

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cobbledb/cobble/server"
	"github.com/cobbledb/cobble/server/config"
	"github.com/cobbledb/cobble/server/servertest"
)

// rawReply is one reply read off a raw connection, RESP2 or RESP3: its
// type byte and its text or elements (a map's keys and values alternate).
type rawReply struct {
	kind  byte
	str   string
	elems []rawReply
}

// sendRaw writes a command as a RESP array.
func sendRaw(t *testing.T, nc net.Conn, args ...string) {
	t.Helper()
	var sb strings.Builder
	fmt.Fprintf(&sb, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&sb, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := nc.Write([]byte(sb.String())); err != nil {
		t.Fatal(err)
	}
}

// readRaw reads one complete reply.
func readRaw(t *testing.T, r *bufio.Reader) rawReply {
	t.Helper()
	line := readLine(t, r)
	if line == "" {
		t.Fatal("empty reply line")
	}
	kind, rest := line[0], line[1:]
	switch kind {
	case '+', '-', ':', '_', ',', '#':
		return rawReply{kind: kind, str: rest}
	case '$', '=':
		n, err := strconv.Atoi(rest)
		if err != nil {
			t.Fatalf("bad length in %q", line)
		}
		if n < 0 {
			return rawReply{kind: '_'}
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(r, buf); err != nil {
			t.Fatal(err)
		}
		return rawReply{kind: kind, str: string(buf[:n])}
	case '*', '%', '~', '>':
		n, err := strconv.Atoi(rest)
		if err != nil {
			t.Fatalf("bad length in %q", line)
		}
		if n < 0 {
			return rawReply{kind: '_'}
		}
		if kind == '%' {
			n *= 2
		}
		out := rawReply{kind: kind}
		for range n {
			out.elems = append(out.elems, readRaw(t, r))
		}
		return out
	}
	t.Fatalf("unknown reply type in %q", line)
	return rawReply{}
}

// rawCmd sends a command on a raw connection and reads its reply.
func rawCmd(t *testing.T, nc net.Conn, r *bufio.Reader, args ...string) rawReply {
	t.Helper()
	sendRaw(t, nc, args...)
	return readRaw(t, r)
}

// pollFor retries fn until it succeeds or the deadline passes.
func pollFor(t *testing.T, d time.Duration, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestConfig_GetSet(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client

	got, err := c.ConfigGet(ctx, "maxmemory").Result()
	if err != nil || got["maxmemory"] != "0" || len(got) != 1 {
		t.Fatalf("CONFIG GET maxmemory = %v %v", got, err)
	}
	// Several patterns at once (Redis 7), globs, names echoed once.
	v, err := c.Do(ctx, "CONFIG", "GET", "maxmemory", "slowlog-*", "maxmemory").StringSlice()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"maxmemory", "0", "slowlog-log-slower-than", "10000", "slowlog-max-len", "128"}
	if !slices.Equal(v, want) {
		t.Fatalf("CONFIG GET patterns = %q, want %q", v, want)
	}
	if v, _ := c.Do(ctx, "CONFIG", "GET", "nosuch").StringSlice(); len(v) != 0 {
		t.Fatalf("CONFIG GET nosuch = %q", v)
	}
	wantErr(t, c.Do(ctx, "CONFIG", "GET").Err(), "ERR wrong number of arguments for 'config|get' command")

	if err := c.ConfigSet(ctx, "maxmemory", "10mb").Err(); err != nil {
		t.Fatal(err)
	}
	if got := c.ConfigGet(ctx, "maxmemory").Val()["maxmemory"]; got != "10485760" {
		t.Fatalf("maxmemory after SET = %q", got)
	}
	// All or nothing: a bad second value leaves the first unchanged.
	wantErr(t, c.Do(ctx, "CONFIG", "SET", "maxmemory", "20mb", "timeout", "abc").Err(),
		"ERR CONFIG SET failed (possibly related to argument 'timeout') - argument couldn't be parsed into an integer")
	if got := c.ConfigGet(ctx, "maxmemory").Val()["maxmemory"]; got != "10485760" {
		t.Fatalf("maxmemory after failed SET = %q", got)
	}
	for _, tc := range []struct {
		args []any
		want string
	}{
		{[]any{"maxmemory", "1mb", "maxmemory", "2mb"}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - duplicate parameter"},
		{[]any{"nosuch", "1"}, "ERR Unknown option or number of arguments for CONFIG SET - 'nosuch'"},
		{[]any{"maxmemory", "1mb", "timeout"}, "ERR syntax error"},
		{[]any{"daemonize", "yes"}, "ERR CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"},
		{[]any{"maxmemory", "abc"}, "ERR CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"},
		{[]any{"port", "1"}, "ERR CONFIG SET failed (possibly related to argument 'port') - cobble applies it only at start: change the configuration file and restart"},
		{[]any{"appendfsync", "always"}, "ERR CONFIG SET failed (possibly related to argument 'appendfsync') - cobble applies it only at start: change the configuration file and restart"},
	} {
		wantErr(t, c.Do(ctx, append([]any{"CONFIG", "SET"}, tc.args...)...).Err(), tc.want)
	}
	wantErr(t, c.Do(ctx, "CONFIG", "SET", "maxmemory").Err(), "ERR wrong number of arguments for 'config|set' command")
	// Setting a start-only directive to its current value changes nothing
	// and is fine.
	if err := c.ConfigSet(ctx, "appendfsync", "everysec").Err(); err != nil {
		t.Fatalf("CONFIG SET appendfsync to its value: %v", err)
	}
	wantErr(t, c.Do(ctx, "CONFIG", "FOO").Err(), "ERR unknown subcommand 'FOO'. Try CONFIG HELP.")
	wantErr(t, c.Do(ctx, "CONFIG").Err(), "ERR wrong number of arguments for 'config' command")
	help, err := c.Do(ctx, "CONFIG", "HELP").StringSlice()
	if err != nil || len(help) != 11 || help[0] != "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:" ||
		help[len(help)-1] != "    Prints this help." {
		t.Fatalf("CONFIG HELP = %q %v", help, err)
	}
}

func TestConfig_GetRESP3IsMap(t *testing.T) {
	n := servertest.Start(t)
	nc, r := rawConn(t, n.Addr)
	rawCmd(t, nc, r, "HELLO", "3")
	got := rawCmd(t, nc, r, "CONFIG", "GET", "maxmemory", "timeout")
	if got.kind != '%' || len(got.elems) != 4 || got.elems[0].str != "maxmemory" || got.elems[1].str != "0" ||
		got.elems[2].str != "timeout" || got.elems[3].str != "0" {
		t.Fatalf("CONFIG GET in RESP3 = %+v", got)
	}
}

func TestConfig_SetAppliesLive(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client

	// requirepass: new connections must authenticate, this one stays in.
	if err := c.ConfigSet(ctx, "requirepass", "s3cret").Err(); err != nil {
		t.Fatal(err)
	}
	nc, r := rawConn(t, n.Addr)
	if got := rawCmd(t, nc, r, "PING"); got.kind != '-' || got.str != "NOAUTH Authentication required." {
		t.Fatalf("PING without AUTH = %+v", got)
	}
	if got := rawCmd(t, nc, r, "AUTH", "s3cret"); got.str != "OK" {
		t.Fatalf("AUTH = %+v", got)
	}
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("the connection that set the password: %v", err)
	}
	if err := c.ConfigSet(ctx, "requirepass", "").Err(); err != nil {
		t.Fatal(err)
	}
	nc2, r2 := rawConn(t, n.Addr)
	if got := rawCmd(t, nc2, r2, "PING"); got.str != "PONG" {
		t.Fatalf("PING after clearing requirepass = %+v", got)
	}

	// proto-max-bulk-len: a new connection gets the new limit.
	if err := c.ConfigSet(ctx, "proto-max-bulk-len", "1mb").Err(); err != nil {
		t.Fatal(err)
	}
	nc3, r3 := rawConn(t, n.Addr)
	fmt.Fprintf(nc3, "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$%d\r\n", 2<<20)
	if got := readLine(t, r3); got != "-ERR Protocol error: invalid bulk length" {
		t.Fatalf("bulk over proto-max-bulk-len = %q", got)
	}

	// slowlog-log-slower-than is read on every command.
	if err := c.ConfigSet(ctx, "slowlog-log-slower-than", "0").Err(); err != nil {
		t.Fatal(err)
	}
	c.Ping(ctx)
	if n, _ := c.Do(ctx, "SLOWLOG", "LEN").Int(); n == 0 {
		t.Fatal("slow log empty with slowlog-log-slower-than 0")
	}
}

func TestConfig_Rewrite(t *testing.T) {
	n := servertest.Start(t)
	wantErr(t, n.Client.Do(ctx, "CONFIG", "REWRITE").Err(), "ERR The server is running without a config file")

	// A node started from a file rewrites it.
	dir := t.TempDir()
	file := filepath.Join(dir, "cobble.conf")
	if err := os.WriteFile(file, []byte(fmt.Sprintf("port 0\nbind 127.0.0.1\ndir %q\n", dir)), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load([]string{file})
	if err != nil {
		t.Fatal(err)
	}
	s, err := server.New(cfg, nil, server.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	c := redis.NewClient(&redis.Options{Addr: ln.Addr().String(), Protocol: 2, DisableIdentity: true})
	t.Cleanup(func() { c.Close() })
	if err := c.ConfigSet(ctx, "maxmemory", "5mb").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, "CONFIG", "REWRITE").Err(); err != nil {
		t.Fatalf("CONFIG REWRITE: %v", err)
	}
	text, _ := os.ReadFile(file)
	if !strings.Contains(string(text), "maxmemory 5mb") {
		t.Fatalf("rewritten file lacks maxmemory:\n%s", text)
	}
	if got := infoFields(t, c.Info(ctx, "server").Val())["config_file"]; got != file {
		t.Fatalf("config_file = %q, want %q", got, file)
	}
}

func TestConfig_ResetStat(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	c.ConfigSet(ctx, "slowlog-log-slower-than", "0")
	c.Get(ctx, "missing")
	if f := infoFields(t, c.Info(ctx, "stats").Val()); f["keyspace_misses"] != "1" {
		t.Fatalf("keyspace_misses = %q", f["keyspace_misses"])
	}
	if err := c.Do(ctx, "CONFIG", "RESETSTAT").Err(); err != nil {
		t.Fatal(err)
	}
	info := c.Info(ctx, "stats", "commandstats").Val()
	f := infoFields(t, info)
	if f["keyspace_misses"] != "0" || f["total_connections_received"] != "0" {
		t.Fatalf("stats after RESETSTAT: %v", f)
	}
	// Only the INFO that read them has run since.
	for k := range f {
		if strings.HasPrefix(k, "cmdstat_") && k != "cmdstat_config|resetstat" {
			t.Fatalf("%s survived RESETSTAT", k)
		}
	}
	// Like Redis, the slow log stays.
	if n, _ := c.Do(ctx, "SLOWLOG", "LEN").Int(); n == 0 {
		t.Fatal("RESETSTAT emptied the slow log")
	}
}

func TestServer_TimeAndLastSave(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	before := time.Now()
	v, err := c.Do(ctx, "TIME").StringSlice()
	if err != nil || len(v) != 2 {
		t.Fatalf("TIME = %q %v", v, err)
	}
	sec, _ := strconv.ParseInt(v[0], 10, 64)
	usec, _ := strconv.ParseInt(v[1], 10, 64)
	got := time.Unix(sec, usec*1000)
	if got.Before(before.Add(-time.Second)) || got.After(time.Now().Add(time.Second)) || usec < 0 || usec > 999999 {
		t.Fatalf("TIME = %v, now %v", got, before)
	}
	if tm, err := c.Time(ctx).Result(); err != nil || tm.Sub(before).Abs() > 2*time.Second {
		t.Fatalf("go-redis Time = %v %v", tm, err)
	}
	wantErr(t, c.Do(ctx, "TIME", "x").Err(), "ERR wrong number of arguments for 'time' command")

	last, err := c.LastSave(ctx).Result()
	if err != nil || last > time.Now().Unix() || last < before.Unix()-60 {
		t.Fatalf("LASTSAVE = %d %v", last, err)
	}
	f := infoFields(t, c.Info(ctx, "persistence").Val())
	if f["rdb_last_save_time"] != strconv.FormatInt(last, 10) {
		t.Fatalf("rdb_last_save_time %q != LASTSAVE %d", f["rdb_last_save_time"], last)
	}
}

func TestServer_Shutdown(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	wantErr(t, c.Do(ctx, "SHUTDOWN", "ABORT").Err(), "ERR No shutdown in progress.")
	wantErr(t, c.Do(ctx, "SHUTDOWN", "SAVE", "NOSAVE").Err(), "ERR syntax error")
	wantErr(t, c.Do(ctx, "SHUTDOWN", "ABORT", "NOW").Err(), "ERR syntax error")
	wantErr(t, c.Do(ctx, "SHUTDOWN", "LATER").Err(), "ERR syntax error")
	nc, r := rawConn(t, n.Addr)
	rawCmd(t, nc, r, "MULTI")
	if got := rawCmd(t, nc, r, "SHUTDOWN"); got.str != "ERR Command not allowed inside a transaction" {
		t.Fatalf("SHUTDOWN in MULTI = %+v", got)
	}
	rawCmd(t, nc, r, "DISCARD")
	select {
	case <-n.Server.Done():
		t.Fatal("server stopped after refused SHUTDOWNs")
	default:
	}

	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	sendRaw(t, nc, "SHUTDOWN", "NOSAVE", "NOW")
	expectClosed(t, r) // no reply: the connection closes
	select {
	case <-n.Server.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("server did not stop after SHUTDOWN")
	}
	// Nothing acknowledged is lost, whatever the flags.
	n.Restart()
	if v, err := n.Client.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Fatalf("GET after SHUTDOWN and restart = %q %v", v, err)
	}
}

var slowEntryAddr = regexp.MustCompile(`^127\.0\.0\.1:\d+$`)

func TestSlowlog(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	c.ConfigSet(ctx, "slowlog-log-slower-than", "0")
	c.Do(ctx, "SLOWLOG", "RESET")
	c.Do(ctx, "CLIENT", "SETNAME", "slowpoke")
	c.Set(ctx, "k", "v", 0)
	c.Do(ctx, "AUTH", "default", "secret") // fails, and is logged without its arguments
	c.Do(ctx, "HELLO", "2", "AUTH", "default", "secret")

	entries, err := c.SlowLogGet(ctx, 10).Result()
	if err != nil {
		t.Fatal(err)
	}
	var set *redis.SlowLog
	for i := range entries {
		if len(entries[i].Args) > 0 && strings.EqualFold(entries[i].Args[0], "set") {
			set = &entries[i]
		}
		for _, a := range entries[i].Args {
			if a == "secret" {
				t.Fatalf("slow log keeps a password: %q", entries[i].Args)
			}
		}
	}
	if set == nil {
		t.Fatalf("no SET entry in %+v", entries)
	}
	if !slices.Equal(set.Args, []string{"set", "k", "v"}) || set.ClientName != "slowpoke" ||
		!slowEntryAddr.MatchString(set.ClientAddr) || time.Since(set.Time) > time.Minute || set.Duration < 0 {
		t.Fatalf("SET entry = %+v", *set)
	}
	// Newest first, ids increasing with time.
	for i := 1; i < len(entries); i++ {
		if entries[i].ID >= entries[i-1].ID {
			t.Fatalf("ids not newest first: %d then %d", entries[i-1].ID, entries[i].ID)
		}
	}
	seen := 0
	for _, e := range entries {
		switch {
		case slices.Equal(e.Args, []string{"AUTH", "(redacted)", "(redacted)"}),
			slices.Equal(e.Args, []string{"HELLO", "2", "AUTH", "(redacted)", "(redacted)"}):
			seen++
		case e.Args[0] == "AUTH" || e.Args[0] == "HELLO":
			t.Fatalf("entry not redacted: %q", e.Args)
		}
	}
	if seen != 2 {
		t.Fatalf("AUTH and HELLO entries missing: %+v", entries)
	}

	if got, _ := c.Do(ctx, "SLOWLOG", "GET", "1").Slice(); len(got) != 1 {
		t.Fatalf("SLOWLOG GET 1 returned %d entries", len(got))
	}
	all, _ := c.Do(ctx, "SLOWLOG", "GET", "-1").Slice()
	if length, _ := c.Do(ctx, "SLOWLOG", "LEN").Int(); length < len(all) || len(all) <= len(entries) {
		t.Fatalf("SLOWLOG LEN %d, GET -1 %d entries, GET 10 %d", length, len(all), len(entries))
	}
	wantErr(t, c.Do(ctx, "SLOWLOG", "GET", "-2").Err(), "ERR count should be greater than or equal to -1")
	wantErr(t, c.Do(ctx, "SLOWLOG", "GET", "abc").Err(), "ERR count should be greater than or equal to -1")
	wantErr(t, c.Do(ctx, "SLOWLOG", "GET", "1", "2").Err(), "ERR unknown subcommand or wrong number of arguments for 'GET'. Try SLOWLOG HELP.")
	wantErr(t, c.Do(ctx, "SLOWLOG", "LEN", "1").Err(), "ERR wrong number of arguments for 'slowlog|len' command")
	wantErr(t, c.Do(ctx, "SLOWLOG", "FOO").Err(), "ERR unknown subcommand 'FOO'. Try SLOWLOG HELP.")
	if help, _ := c.Do(ctx, "SLOWLOG", "HELP").StringSlice(); len(help) != 12 || help[1] != "GET [<count>]" {
		t.Fatalf("SLOWLOG HELP = %q", help)
	}

	// slowlog-max-len bounds the log; RESET empties it, ids go on.
	c.ConfigSet(ctx, "slowlog-max-len", "2")
	c.Ping(ctx)
	c.Ping(ctx)
	if length, _ := c.Do(ctx, "SLOWLOG", "LEN").Int(); length != 2 {
		t.Fatalf("SLOWLOG LEN with slowlog-max-len 2 = %d", length)
	}
	if err := c.Do(ctx, "SLOWLOG", "RESET").Err(); err != nil {
		t.Fatal(err)
	}
	// The threshold is read once a command has run: the RESET itself is
	// logged, as in Redis, the CONFIG SET that turns logging off is not.
	c.ConfigSet(ctx, "slowlog-log-slower-than", "-1")
	if length, _ := c.Do(ctx, "SLOWLOG", "LEN").Int(); length != 1 {
		t.Fatalf("SLOWLOG LEN after RESET = %d", length)
	}
	if e := c.SlowLogGet(ctx, 1).Val(); len(e) != 1 || e[0].ID <= all[0].([]any)[0].(int64) {
		t.Fatalf("entry after RESET = %+v", e)
	}
}

var monitorLine = regexp.MustCompile(`^\+\d+\.\d{6} \[0 127\.0\.0\.1:\d+\] "set" "k" "v\\n"$`)

func TestMonitor(t *testing.T) {
	n := servertest.Start(t)
	nc, r := rawConn(t, n.Addr)
	if got := rawCmd(t, nc, r, "MONITOR"); got.str != "OK" {
		t.Fatalf("MONITOR = %+v", got)
	}
	// A second MONITOR gets no reply, as in Redis: the next reply is PONG.
	sendRaw(t, nc, "MONITOR")
	if got := rawCmd(t, nc, r, "PING"); got.str != "PONG" {
		t.Fatalf("reply after a second MONITOR = %+v", got)
	}
	if err := n.Client.Do(ctx, "set", "k", "v\n").Err(); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		line := readLine(t, r)
		if monitorLine.MatchString(line) {
			break
		}
		if i == 10 {
			t.Fatalf("no SET in the feed; last line %q", line)
		}
	}
	list := n.Client.ClientList(ctx).Val()
	if !strings.Contains(list, " flags=O ") {
		t.Fatalf("no monitor in CLIENT LIST:\n%s", list)
	}
}

func TestDebug(t *testing.T) {
	n := servertest.Start(t)
	wantErr(t, n.Client.Do(ctx, "DEBUG", "SLEEP", "0").Err(),
		`ERR DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.`)

	for _, setting := range []string{"yes", "local"} {
		t.Run(setting, func(t *testing.T) {
			n := servertest.Start(t, servertest.Config("enable-debug-command "+setting))
			c := n.Client
			start := time.Now()
			if err := c.Do(ctx, "DEBUG", "SLEEP", "0.05").Err(); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d < 50*time.Millisecond {
				t.Fatalf("DEBUG SLEEP 0.05 returned after %v", d)
			}
			wantErr(t, c.Do(ctx, "DEBUG", "SLEEP", "abc").Err(), "ERR value is not a valid float")
			wantErr(t, c.Do(ctx, "DEBUG", "SLEEP").Err(), "ERR unknown subcommand or wrong number of arguments for 'SLEEP'. Try DEBUG HELP.")
			wantErr(t, c.Do(ctx, "DEBUG", "JMAP").Err(), "ERR unknown subcommand or wrong number of arguments for 'JMAP'. Try DEBUG HELP.")
			wantErr(t, c.Do(ctx, "debug", "jmap").Err(), "ERR unknown subcommand or wrong number of arguments for 'jmap'. Try DEBUG HELP.")
			if err := c.Do(ctx, "debug", "set-active-expire", "0").Err(); err != nil {
				t.Fatalf("DEBUG SET-ACTIVE-EXPIRE: %v", err)
			}
			wantErr(t, c.Do(ctx, "DEBUG").Err(), "ERR wrong number of arguments for 'debug' command")
			wantErr(t, c.Do(ctx, "DEBUG", "ERROR", "BUSY try later").Err(), "BUSY try later")
			if err := c.Do(ctx, "DEBUG", "LOG", "hello").Err(); err != nil {
				t.Fatal(err)
			}
			help, err := c.Do(ctx, "DEBUG", "HELP").StringSlice()
			if err != nil || help[0] != "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:" || !slices.Contains(help, "SLEEP <seconds>") {
				t.Fatalf("DEBUG HELP = %q %v", help, err)
			}
		})
	}
}
