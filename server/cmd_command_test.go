package server_test

// COMMAND and its subcommands, generated from the command table, in
// Redis 7's shapes; and an interop test that holds every row's arity,
// flags and key positions against a real redis-server.

import (
	"fmt"
	"net"
	"os/exec"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cobbledb/cobble/server/servertest"
)

// commandEntry is one COMMAND INFO entry, as go-redis decodes RESP2.
type commandEntry struct {
	name              string
	arity             int64
	flags             []string
	first, last, step int64
	acl               []string
	tips              []string
	keySpecs          []any
	subs              []commandEntry
}

func parseCommandEntry(t *testing.T, v any) commandEntry {
	t.Helper()
	a, ok := v.([]any)
	if !ok || len(a) != 10 {
		t.Fatalf("COMMAND INFO entry is not an array of 10: %#v", v)
	}
	strs := func(x any) []string {
		var out []string
		for _, s := range x.([]any) {
			out = append(out, s.(string))
		}
		return out
	}
	e := commandEntry{name: a[0].(string), arity: a[1].(int64), flags: strs(a[2]),
		first: a[3].(int64), last: a[4].(int64), step: a[5].(int64), acl: strs(a[6]), keySpecs: a[8].([]any)}
	e.tips = strs(a[7])
	for _, s := range a[9].([]any) {
		e.subs = append(e.subs, parseCommandEntry(t, s))
	}
	return e
}

// allCommandEntries runs COMMAND and returns every entry, subcommands
// included, by full name.
func allCommandEntries(t *testing.T, c *redis.Client) map[string]commandEntry {
	t.Helper()
	v, err := c.Do(ctx, "COMMAND").Slice()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]commandEntry{}
	for _, x := range v {
		e := parseCommandEntry(t, x)
		out[e.name] = e
		for _, s := range e.subs {
			out[s.name] = s
		}
	}
	return out
}

func TestCommand_InfoAndCount(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	all := allCommandEntries(t, c)
	top := 0
	for name := range all {
		if !strings.Contains(name, "|") {
			top++
		}
	}
	if count, _ := c.Do(ctx, "COMMAND", "COUNT").Int(); count != top || count < 50 {
		t.Fatalf("COMMAND COUNT = %d, COMMAND lists %d", count, top)
	}

	v, err := c.Do(ctx, "COMMAND", "INFO", "get", "nosuch", "CONFIG|GET", "mset").Slice()
	if err != nil || len(v) != 4 || v[1] != nil {
		t.Fatalf("COMMAND INFO = %#v %v", v, err)
	}
	get := parseCommandEntry(t, v[0])
	if get.name != "get" || get.arity != 2 || !slices.Equal(get.flags, []string{"readonly", "fast"}) ||
		get.first != 1 || get.last != 1 || get.step != 1 || !slices.Equal(get.acl, []string{"@read", "@string", "@fast"}) ||
		len(get.tips) != 0 || len(get.subs) != 0 {
		t.Fatalf("COMMAND INFO get = %+v", get)
	}
	wantSpec := []any{[]any{"flags", []any{"RO"}, "begin_search", []any{"type", "index", "spec", []any{"index", int64(1)}},
		"find_keys", []any{"type", "range", "spec", []any{"lastkey", int64(0), "keystep", int64(1), "limit", int64(0)}}}}
	if fmt.Sprint(get.keySpecs) != fmt.Sprint(wantSpec) {
		t.Fatalf("get key specs = %v, want %v", get.keySpecs, wantSpec)
	}
	cg := parseCommandEntry(t, v[2])
	if cg.name != "config|get" || cg.arity != -3 || !slices.Equal(cg.acl, []string{"@admin", "@slow", "@dangerous"}) || len(cg.keySpecs) != 0 {
		t.Fatalf("COMMAND INFO config|get = %+v", cg)
	}
	mset := parseCommandEntry(t, v[3])
	if mset.first != 1 || mset.last != -1 || mset.step != 2 ||
		!strings.Contains(fmt.Sprint(mset.keySpecs), "lastkey -1 keystep 2") {
		t.Fatalf("COMMAND INFO mset = %+v", mset)
	}
	config := all["config"]
	if config.arity != -2 || len(config.flags) != 0 || !slices.Equal(config.acl, []string{"@slow"}) || len(config.subs) != 5 {
		t.Fatalf("COMMAND INFO config = %+v", config)
	}
	if all["client|list"].acl[len(all["client|list"].acl)-1] != "@connection" {
		t.Fatalf("client|list categories = %v", all["client|list"].acl)
	}
	// COMMAND INFO without names is COMMAND.
	if v, _ := c.Do(ctx, "COMMAND", "INFO").Slice(); len(v) != top {
		t.Fatalf("COMMAND INFO lists %d, want %d", len(v), top)
	}
	wantErr(t, c.Do(ctx, "COMMAND", "FOO").Err(), "ERR unknown subcommand 'FOO'. Try COMMAND HELP.")
	wantErr(t, c.Do(ctx, "COMMAND", "COUNT", "x").Err(), "ERR wrong number of arguments for 'command|count' command")
	help, err := c.Do(ctx, "COMMAND", "HELP").StringSlice()
	if err != nil || help[0] != "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:" || !slices.Contains(help, "GETKEYS <full-command>") {
		t.Fatalf("COMMAND HELP = %q %v", help, err)
	}
	// go-redis reads COMMAND for its cluster routing.
	cmds, err := c.Command(ctx).Result()
	if err != nil || cmds["get"] == nil || !cmds["get"].ReadOnly || cmds["set"].ReadOnly || cmds["get"].FirstKeyPos != 1 {
		t.Fatalf("go-redis Command() = %v %v", cmds["get"], err)
	}
}

func TestCommand_InfoRESP3Sets(t *testing.T) {
	n := servertest.Start(t)
	nc, r := rawConn(t, n.Addr)
	rawCmd(t, nc, r, "HELLO", "3")
	got := rawCmd(t, nc, r, "COMMAND", "INFO", "get", "nosuch")
	if got.kind != '*' || len(got.elems) != 2 || got.elems[1].kind != '_' {
		t.Fatalf("COMMAND INFO in RESP3 = %+v", got)
	}
	e := got.elems[0].elems
	if e[2].kind != '~' || e[2].elems[0].kind != '+' || e[6].kind != '~' || e[7].kind != '~' || e[8].elems[0].kind != '%' {
		t.Fatalf("COMMAND INFO get in RESP3: flags %c, categories %c, tips %c, key spec %c",
			e[2].kind, e[6].kind, e[7].kind, e[8].elems[0].kind)
	}

	docs := rawCmd(t, nc, r, "COMMAND", "DOCS", "config", "nosuch")
	if docs.kind != '%' || len(docs.elems) != 2 || docs.elems[0].str != "config" || docs.elems[1].kind != '%' {
		t.Fatalf("COMMAND DOCS in RESP3 = %+v", docs)
	}
	doc := map[string]rawReply{}
	for i := 0; i < len(docs.elems[1].elems); i += 2 {
		doc[docs.elems[1].elems[i].str] = docs.elems[1].elems[i+1]
	}
	subs := doc["subcommands"]
	if doc["since"].str != "2.0.0" || doc["group"].str != "server" || doc["summary"].str == "" ||
		subs.kind != '%' || len(subs.elems) != 10 || subs.elems[0].str != "config|get" {
		t.Fatalf("COMMAND DOCS config = %+v", doc)
	}
}

func TestCommand_Docs(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	v, err := c.Do(ctx, "COMMAND", "DOCS", "get", "client|kill", "nosuch").Slice()
	if err != nil || len(v) != 4 || v[0] != "get" || v[2] != "client|kill" {
		t.Fatalf("COMMAND DOCS = %#v %v", v, err)
	}
	if got := fmt.Sprint(v[1]); got != "[summary Return the string value of a key. since 1.0.0 group string]" {
		t.Fatalf("COMMAND DOCS get = %s", got)
	}
	if v, _ := c.Do(ctx, "COMMAND", "DOCS", "nosuch").Slice(); len(v) != 0 {
		t.Fatalf("COMMAND DOCS nosuch = %v", v)
	}
	all, _ := c.Do(ctx, "COMMAND", "DOCS").Slice()
	if count, _ := c.Do(ctx, "COMMAND", "COUNT").Int(); len(all) != 2*count {
		t.Fatalf("COMMAND DOCS has %d entries, COUNT %d", len(all)/2, count)
	}
}

func TestCommand_List(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	all, err := c.Do(ctx, "COMMAND", "LIST").StringSlice()
	if err != nil || !slices.Contains(all, "get") || !slices.Contains(all, "config|get") {
		t.Fatalf("COMMAND LIST = %q %v", all, err)
	}
	if len(all) != len(allCommandEntries(t, c)) {
		t.Fatalf("COMMAND LIST has %d names, COMMAND %d entries", len(all), len(allCommandEntries(t, c)))
	}
	got, _ := c.Do(ctx, "COMMAND", "LIST", "FILTERBY", "PATTERN", "CONF*").StringSlice()
	sort.Strings(got)
	if want := []string{"config", "config|get", "config|help", "config|resetstat", "config|rewrite", "config|set"}; !slices.Equal(got, want) {
		t.Fatalf("FILTERBY PATTERN conf* = %q", got)
	}
	admin, _ := c.Do(ctx, "COMMAND", "LIST", "filterby", "aclcat", "admin").StringSlice()
	if !slices.Contains(admin, "config|set") || !slices.Contains(admin, "shutdown") || slices.Contains(admin, "get") {
		t.Fatalf("FILTERBY ACLCAT admin = %q", admin)
	}
	if got, _ := c.Do(ctx, "COMMAND", "LIST", "FILTERBY", "ACLCAT", "nosuch").StringSlice(); len(got) != 0 {
		t.Fatalf("FILTERBY ACLCAT nosuch = %q", got)
	}
	if got, _ := c.Do(ctx, "COMMAND", "LIST", "FILTERBY", "MODULE", "json").StringSlice(); len(got) != 0 {
		t.Fatalf("FILTERBY MODULE = %q", got)
	}
	for _, args := range [][]any{{"FILTERBY"}, {"x"}, {"FILTERBY", "color", "red"}, {"FILTERBY", "PATTERN", "a", "b"}} {
		wantErr(t, c.Do(ctx, append([]any{"COMMAND", "LIST"}, args...)...).Err(), "ERR syntax error")
	}
}

func TestCommand_GetKeys(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	for _, tc := range []struct {
		args []any
		want []string
	}{
		{[]any{"get", "a"}, []string{"a"}},
		{[]any{"MSET", "a", "1", "b", "2"}, []string{"a", "b"}},
		{[]any{"del", "a", "b", "c"}, []string{"a", "b", "c"}},
		{[]any{"object", "encoding", "k"}, []string{"k"}},
	} {
		got, err := c.Do(ctx, append([]any{"COMMAND", "GETKEYS"}, tc.args...)...).StringSlice()
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("COMMAND GETKEYS %v = %q %v, want %q", tc.args, got, err, tc.want)
		}
	}
	v, err := c.Do(ctx, "COMMAND", "GETKEYSANDFLAGS", "set", "k", "v").Slice()
	if err != nil || fmt.Sprint(v) != "[[k [RW]]]" {
		t.Fatalf("COMMAND GETKEYSANDFLAGS set = %v %v", v, err)
	}
	for _, tc := range []struct {
		args []any
		want string
	}{
		{[]any{"get"}, "ERR wrong number of arguments for 'command|getkeys' command"},
		{[]any{"nosuch", "a"}, "ERR Invalid command specified"},
		{[]any{"config", "nosuch"}, "ERR Invalid command specified"},
		{[]any{"echo", "a"}, "ERR The command has no key arguments"},
		{[]any{"config", "get"}, "ERR The command has no key arguments"},
		{[]any{"get", "a", "b"}, "ERR Invalid number of arguments specified for command"},
		{[]any{"mset", "a"}, "ERR Invalid number of arguments specified for command"},
	} {
		wantErr(t, c.Do(ctx, append([]any{"COMMAND", "GETKEYS"}, tc.args...)...).Err(), tc.want)
	}
}

// freePort returns a TCP port nobody listens on right now.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// startRedis runs the real redis-server on a free port for the test.
func startRedis(t *testing.T) *redis.Client {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		if isCI() {
			t.Fatal("redis-server not installed in CI")
		}
		t.Skip("redis-server not installed: apt-get install redis-server")
	}
	port := freePort(t)
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", t.TempDir(), "--logfile", "")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	c := redis.NewClient(&redis.Options{Addr: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Protocol: 2,
		DisableIdentity: true, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	pollFor(t, 10*time.Second, func() error { return c.Ping(ctx).Err() })
	return c
}

// versionLess compares dotted versions numerically.
func versionLess(a, b string) bool {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := range min(len(pa), len(pb)) {
		x, _ := strconv.Atoi(pa[i])
		y, _ := strconv.Atoi(pb[i])
		if x != y {
			return x < y
		}
	}
	return len(pa) < len(pb)
}

// redisOnlyFlags are COMMAND INFO flags of Redis machinery cobble does not
// have; the table cannot state them, so they are left out of the
// comparison, each for its reason.
var redisOnlyFlags = map[string]string{
	"allow_busy":        "cobble runs no scripts, so nothing is ever busy",
	"no_async_loading":  "cobble never serves while loading a data set in the background",
	"protected":         "DEBUG checks enable-debug-command itself",
	"no_mandatory_keys": "no cobble command has optional keys yet",
	"module":            "cobble has no modules",
}

// commandDiff is a deliberate difference between a cobble row and Redis:
// why, and from which Redis version on the two agree ("" = never).
type commandDiff struct{ reason, agreesFrom string }

// commandDiffs are the deliberate differences, by command and field
// (arity, flags, keys).
var commandDiffs = map[string]map[string]commandDiff{
	"zrank":    {"arity": {"cobble speaks Redis 7.2, whose WITHSCORE option makes the arity -3", "7.2.0"}},
	"zrevrank": {"arity": {"cobble speaks Redis 7.2, whose WITHSCORE option makes the arity -3", "7.2.0"}},
}

func TestInterop_CommandInfo(t *testing.T) {
	rc := startRedis(t)
	n := servertest.Start(t)
	redisVersion := infoFields(t, rc.Info(ctx, "server").Val())["redis_version"]
	ours := allCommandEntries(t, n.Client)
	names := make([]string, 0, len(ours))
	for name := range ours {
		names = append(names, name)
	}
	sort.Strings(names)
	since := map[string]string{}
	docs, _ := n.Client.Do(ctx, "COMMAND", "DOCS").Slice()
	for i := 0; i+1 < len(docs); i += 2 {
		d := docs[i+1].([]any)
		since[docs[i].(string)] = d[3].(string)
		if i := slices.Index(d, any("subcommands")); i >= 0 {
			subs := d[i+1].([]any)
			for j := 0; j+1 < len(subs); j += 2 {
				since[subs[j].(string)] = subs[j+1].([]any)[3].(string)
			}
		}
	}
	used := map[string]bool{}
	for _, name := range names {
		v, err := rc.Do(ctx, "COMMAND", "INFO", name).Slice()
		if err != nil {
			t.Fatal(err)
		}
		if v[0] == nil {
			if versionLess(redisVersion, since[name]) {
				t.Logf("%s: since %s, newer than redis-server %s: not compared", name, since[name], redisVersion)
				continue
			}
			t.Errorf("%s: unknown to redis-server %s", name, redisVersion)
			continue
		}
		theirs := parseCommandEntry(t, v[0])
		var flags []string
		for _, f := range theirs.flags {
			if _, skip := redisOnlyFlags[f]; !skip {
				flags = append(flags, f)
			}
		}
		our := ours[name]
		fields := []struct {
			field     string
			got, want string
		}{
			{"arity", fmt.Sprint(our.arity), fmt.Sprint(theirs.arity)},
			{"flags", strings.Join(sorted(our.flags), ","), strings.Join(sorted(flags), ",")},
			{"keys", fmt.Sprint(our.first, our.last, our.step), fmt.Sprint(theirs.first, theirs.last, theirs.step)},
		}
		for _, f := range fields {
			if f.got == f.want {
				continue
			}
			if d, ok := commandDiffs[name][f.field]; ok && (d.agreesFrom == "" || versionLess(redisVersion, d.agreesFrom)) {
				used[name+"."+f.field] = true
				t.Logf("%s %s: cobble %s, redis %s: deliberate: %s", name, f.field, f.got, f.want, d.reason)
				continue
			}
			t.Errorf("%s %s: cobble %s, redis %s", name, f.field, f.got, f.want)
		}
	}
	for name, fields := range commandDiffs {
		for field, d := range fields {
			applies := d.agreesFrom == "" || versionLess(redisVersion, d.agreesFrom)
			if applies && !used[name+"."+field] {
				t.Errorf("%s %s is listed as a deliberate difference but matches redis (or is gone): drop it", name, field)
			}
		}
	}
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
}
