package server_test

// CLIENT: names and library info, the CLIENT LIST/INFO line in Redis 7.2's
// format, filters, and CLIENT KILL in both forms. Failure cases covered:
// invalid names, ids, types, users and options, killing the calling
// connection, killing a connection that is gone.

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cobbledb/cobble/server/servertest"
)

// clientFields are the fields of a CLIENT LIST line, in Redis 7.2's order.
var clientFields = []string{"id", "addr", "laddr", "fd", "name", "age", "idle", "flags", "db", "sub", "psub", "ssub",
	"multi", "qbuf", "qbuf-free", "argv-mem", "multi-mem", "rbs", "rbp", "obl", "oll", "omem", "tot-mem", "events",
	"cmd", "user", "redir", "resp", "lib-name", "lib-ver"}

// parseClientLine splits a CLIENT LIST line, checking the field order.
func parseClientLine(t *testing.T, line string) map[string]string {
	t.Helper()
	parts := strings.Split(line, " ")
	if len(parts) != len(clientFields) {
		t.Fatalf("CLIENT line has %d fields, want %d: %q", len(parts), len(clientFields), line)
	}
	f := map[string]string{}
	for i, p := range parts {
		k, v, _ := strings.Cut(p, "=")
		if k != clientFields[i] {
			t.Fatalf("field %d is %q, want %q: %q", i, k, clientFields[i], line)
		}
		f[k] = v
	}
	return f
}

// clientLines parses CLIENT LIST output: one line per client, each ending
// with "\n".
func clientLines(t *testing.T, text string) []map[string]string {
	t.Helper()
	if text == "" {
		return nil
	}
	if !strings.HasSuffix(text, "\n") {
		t.Fatalf("CLIENT LIST does not end with a newline: %q", text)
	}
	var out []map[string]string
	for _, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		out = append(out, parseClientLine(t, line))
	}
	return out
}

func TestClient_NameIDAndInfo(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	if _, err := c.ClientGetName(ctx).Result(); err != redis.Nil {
		t.Fatalf("CLIENT GETNAME without a name = %v", err)
	}
	if err := c.Do(ctx, "CLIENT", "SETNAME", "worker-1").Err(); err != nil {
		t.Fatal(err)
	}
	if name, _ := c.ClientGetName(ctx).Result(); name != "worker-1" {
		t.Fatalf("CLIENT GETNAME = %q", name)
	}
	for _, bad := range []string{"a b", "a\nb", "é"} {
		wantErr(t, c.Do(ctx, "CLIENT", "SETNAME", bad).Err(), "ERR Client names cannot contain spaces, newlines or special characters.")
	}
	wantErr(t, c.Do(ctx, "CLIENT", "SETNAME").Err(), "ERR wrong number of arguments for 'client|setname' command")

	id, err := c.ClientID(ctx).Result()
	if err != nil || id <= 0 {
		t.Fatalf("CLIENT ID = %d %v", id, err)
	}
	if err := c.Do(ctx, "CLIENT", "SETINFO", "LIB-NAME", "mylib").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(ctx, "CLIENT", "SETINFO", "lib-ver", "1.2.3").Err(); err != nil {
		t.Fatal(err)
	}
	wantErr(t, c.Do(ctx, "CLIENT", "SETINFO", "lib-color", "red").Err(), "ERR Unrecognized option 'lib-color'")
	wantErr(t, c.Do(ctx, "CLIENT", "SETINFO", "lib-name", "my lib").Err(), "ERR lib-name cannot contain spaces, newlines or special characters.")
	c.Do(ctx, "SELECT", "2")

	text, err := c.Do(ctx, "CLIENT", "INFO").Text()
	if err != nil {
		t.Fatal(err)
	}
	lines := clientLines(t, text)
	if len(lines) != 1 {
		t.Fatalf("CLIENT INFO = %q", text)
	}
	f := lines[0]
	want := map[string]string{"id": strconv.FormatInt(id, 10), "name": "worker-1", "db": "2", "flags": "N",
		"cmd": "client|info", "user": "default", "resp": "2", "redir": "-1", "multi": "-1", "events": "r",
		"lib-name": "mylib", "lib-ver": "1.2.3", "laddr": n.Addr, "sub": "0", "psub": "0", "ssub": "0"}
	for k, v := range want {
		if f[k] != v {
			t.Errorf("CLIENT INFO %s = %q, want %q", k, f[k], v)
		}
	}
	if fd, err := strconv.Atoi(f["fd"]); err != nil || fd < 0 {
		t.Errorf("fd = %q", f["fd"])
	}
	if argv, _ := strconv.Atoi(f["argv-mem"]); argv != len("CLIENT")+len("INFO") {
		t.Errorf("argv-mem = %q", f["argv-mem"])
	}

	// An empty name removes it.
	if err := c.Do(ctx, "CLIENT", "SETNAME", "").Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ClientGetName(ctx).Result(); err != redis.Nil {
		t.Fatalf("CLIENT GETNAME after clearing = %v", err)
	}
	if v, _ := c.Do(ctx, "CLIENT", "GETREDIR").Int(); v != -1 {
		t.Fatalf("CLIENT GETREDIR = %d", v)
	}
}

func TestClient_InfoRESP3(t *testing.T) {
	n := servertest.Start(t)
	nc, r := rawConn(t, n.Addr)
	rawCmd(t, nc, r, "HELLO", "3")
	got := rawCmd(t, nc, r, "CLIENT", "INFO")
	if got.kind != '=' || !strings.HasPrefix(got.str, "txt:id=") {
		t.Fatalf("CLIENT INFO in RESP3 = %+v", got)
	}
	if f := parseClientLine(t, strings.TrimSuffix(strings.TrimPrefix(got.str, "txt:"), "\n")); f["resp"] != "3" {
		t.Fatalf("resp = %q", f["resp"])
	}
	// Another connection sees the protocol too.
	for _, f := range clientLines(t, n.Client.ClientList(ctx).Val()) {
		if f["cmd"] == "client|info" && f["resp"] != "3" {
			t.Fatalf("RESP3 client listed with resp=%s", f["resp"])
		}
	}
}

func TestClient_ListFiltersAndFlags(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	other := n.NewClient()
	otherID := other.ClientID(ctx).Val()
	myID := c.ClientID(ctx).Val()

	all := clientLines(t, c.ClientList(ctx).Val())
	if len(all) != 2 {
		t.Fatalf("CLIENT LIST has %d clients, want 2", len(all))
	}
	if a, b := all[0]["id"], all[1]["id"]; a != strconv.FormatInt(min(myID, otherID), 10) || b != strconv.FormatInt(max(myID, otherID), 10) {
		t.Errorf("CLIENT LIST ids %s, %s; want %d and %d in order", a, b, myID, otherID)
	}
	for _, f := range all {
		if f["id"] == strconv.FormatInt(otherID, 10) && (f["cmd"] != "client|id" || f["qbuf"] != "0") {
			t.Errorf("other client: cmd=%s qbuf=%s", f["cmd"], f["qbuf"])
		}
	}
	if got := clientLines(t, c.Do(ctx, "CLIENT", "LIST", "TYPE", "normal").Val().(string)); len(got) != 2 {
		t.Errorf("TYPE normal listed %d", len(got))
	}
	for _, typ := range []string{"pubsub", "master", "replica", "slave"} {
		if got, _ := c.Do(ctx, "CLIENT", "LIST", "TYPE", typ).Text(); got != "" {
			t.Errorf("TYPE %s listed %q", typ, got)
		}
	}
	got := clientLines(t, c.Do(ctx, "CLIENT", "LIST", "ID", strconv.FormatInt(otherID, 10), "999").Val().(string))
	if len(got) != 1 || got[0]["id"] != strconv.FormatInt(otherID, 10) {
		t.Errorf("ID filter listed %v", got)
	}
	wantErr(t, c.Do(ctx, "CLIENT", "LIST", "TYPE", "foo").Err(), "ERR Unknown client type 'foo'")
	wantErr(t, c.Do(ctx, "CLIENT", "LIST", "ID", "x").Err(), "ERR Invalid client ID")
	for _, args := range [][]any{{"foo"}, {"TYPE"}, {"ID"}, {"TYPE", "normal", "ID", "1"}} {
		wantErr(t, c.Do(ctx, append([]any{"CLIENT", "LIST"}, args...)...).Err(), "ERR syntax error")
	}

	// Flags: e (no-evict), T (no-touch), x (in MULTI), N (none).
	c.Do(ctx, "CLIENT", "NO-EVICT", "on")
	c.Do(ctx, "CLIENT", "NO-TOUCH", "on")
	if f := clientLines(t, c.Do(ctx, "CLIENT", "INFO").Val().(string))[0]; f["flags"] != "eT" {
		t.Errorf("flags with NO-EVICT and NO-TOUCH = %q", f["flags"])
	}
	c.Do(ctx, "CLIENT", "NO-EVICT", "OFF")
	c.Do(ctx, "CLIENT", "NO-TOUCH", "off")
	wantErr(t, c.Do(ctx, "CLIENT", "NO-EVICT", "maybe").Err(), "ERR syntax error")
	wantErr(t, c.Do(ctx, "CLIENT", "NO-TOUCH", "maybe").Err(), "ERR syntax error")
	nc, r := rawConn(t, n.Addr)
	rawCmd(t, nc, r, "MULTI")
	for _, f := range clientLines(t, c.ClientList(ctx).Val()) {
		switch {
		case f["id"] == strconv.FormatInt(myID, 10) && f["flags"] != "N":
			t.Errorf("own flags = %q", f["flags"])
		case f["cmd"] == "multi" && (f["flags"] != "x" || f["multi"] != "0"):
			t.Errorf("client in MULTI: flags=%s multi=%s", f["flags"], f["multi"])
		}
	}
	// A subscriber is of type pubsub, with flag P and its counts.
	sc, sr := rawConn(t, n.Addr)
	rawCmd(t, sc, sr, "SUBSCRIBE", "news")
	rawCmd(t, sc, sr, "PSUBSCRIBE", "n*", "m*")
	subs := clientLines(t, c.Do(ctx, "CLIENT", "LIST", "TYPE", "pubsub").Val().(string))
	if len(subs) != 1 || subs[0]["flags"] != "P" || subs[0]["sub"] != "1" || subs[0]["psub"] != "2" || subs[0]["ssub"] != "0" {
		t.Errorf("TYPE pubsub listed %v", subs)
	}
	if f := infoFields(t, c.Info(ctx, "stats").Val()); f["pubsub_channels"] != "1" || f["pubsub_patterns"] != "2" || f["pubsubshard_channels"] != "0" {
		t.Errorf("INFO pubsub fields: %s %s %s", f["pubsub_channels"], f["pubsub_patterns"], f["pubsubshard_channels"])
	}

	wantErr(t, c.Do(ctx, "CLIENT", "PAUSE", "100").Err(), "ERR unknown subcommand 'PAUSE'. Try CLIENT HELP.")
	help, err := c.Do(ctx, "CLIENT", "HELP").StringSlice()
	if err != nil || help[0] != "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:" || help[len(help)-2] != "HELP" {
		t.Fatalf("CLIENT HELP = %q %v", help, err)
	}
}

func TestClient_Kill(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	c.Ping(ctx)

	// Old form: by address.
	nc, r := rawConn(t, n.Addr)
	rawCmd(t, nc, r, "PING")
	if err := c.Do(ctx, "CLIENT", "KILL", nc.LocalAddr().String()).Err(); err != nil {
		t.Fatal(err)
	}
	expectClosed(t, r)
	wantErr(t, c.Do(ctx, "CLIENT", "KILL", nc.LocalAddr().String()).Err(), "ERR No such client")
	wantErr(t, c.Do(ctx, "CLIENT", "KILL", "ID").Err(), "ERR No such client")

	// New form: filters, answered with a count.
	nc2, r2 := rawConn(t, n.Addr)
	id2 := rawCmd(t, nc2, r2, "CLIENT", "ID").str
	if got, _ := c.Do(ctx, "CLIENT", "KILL", "ID", "99999").Int(); got != 0 {
		t.Fatalf("KILL ID of nobody = %d", got)
	}
	if got, _ := c.Do(ctx, "CLIENT", "KILL", "ID", id2, "LADDR", n.Addr, "USER", "default", "TYPE", "normal").Int(); got != 1 {
		t.Fatalf("KILL ID = %d", got)
	}
	expectClosed(t, r2)

	for _, tc := range []struct {
		args []any
		want string
	}{
		{[]any{"ID", "0"}, "ERR client-id should be greater than 0"},
		{[]any{"ID", "x"}, "ERR client-id should be greater than 0"},
		{[]any{"TYPE", "foo"}, "ERR Unknown client type 'foo'"},
		{[]any{"USER", "bob"}, "ERR No such user 'bob'"},
		{[]any{"SKIPME", "maybe"}, "ERR syntax error"},
		{[]any{"ADDR", "1.2.3.4:5", "ID"}, "ERR syntax error"},
		{[]any{"COLOR", "red"}, "ERR syntax error"},
		{[]any{"MAXAGE", "x"}, "ERR value is not an integer or out of range"},
	} {
		wantErr(t, c.Do(ctx, append([]any{"CLIENT", "KILL"}, tc.args...)...).Err(), tc.want)
	}

	// MAXAGE spares young connections; ADDR matches nobody here.
	nc3, r3 := rawConn(t, n.Addr)
	rawCmd(t, nc3, r3, "PING")
	if got, _ := c.Do(ctx, "CLIENT", "KILL", "MAXAGE", "3600").Int(); got != 0 {
		t.Fatalf("KILL MAXAGE 3600 = %d", got)
	}
	if got, _ := c.Do(ctx, "CLIENT", "KILL", "ADDR", "1.2.3.4:5").Int(); got != 0 {
		t.Fatalf("KILL ADDR of nobody = %d", got)
	}

	// SKIPME yes (the default) spares the caller; SKIPME no closes it after
	// its reply.
	if got, _ := c.Do(ctx, "CLIENT", "KILL", "TYPE", "normal").Int(); got != 1 {
		t.Fatalf("KILL TYPE normal = %d, want the raw connection only", got)
	}
	expectClosed(t, r3)
	nc4, r4 := rawConn(t, n.Addr)
	id4 := rawCmd(t, nc4, r4, "CLIENT", "ID").str
	if got := rawCmd(t, nc4, r4, "CLIENT", "KILL", "ID", id4, "SKIPME", "no"); got.kind != ':' || got.str != "1" {
		t.Fatalf("self kill = %+v", got)
	}
	expectClosed(t, r4)
	pollFor(t, 5*time.Second, func() error {
		if lines := clientLines(t, c.ClientList(ctx).Val()); len(lines) != 1 {
			return fmt.Errorf("%d clients left, want 1", len(lines))
		}
		return nil
	})
}
