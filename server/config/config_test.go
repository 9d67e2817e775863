package config

// Covers CONFIG GET (exact names, globs, aliases, hidden directives,
// several patterns), CONFIG SET (all or nothing, immutable, protected,
// unknown, duplicate, hooks and their veto, NotYet), the typed accessors
// and Unsupported.

import (
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

func TestConfig_Get(t *testing.T) {
	c := mustParse(t, "port 7000\nslave-priority 50\n")
	tests := []struct {
		patterns []string
		want     []string
	}{
		{[]string{"port"}, []string{"port", "7000"}},
		{[]string{"PORT"}, []string{"PORT", "7000"}}, // echoed as given, like Redis
		{[]string{"nosuch"}, nil},
		{[]string{"include"}, nil}, // file-only
		{[]string{"slaveof"}, []string{"slaveof", ""}},
		{[]string{"replica-priority", "slave-priority"}, []string{"replica-priority", "50", "slave-priority", "50"}},
		{[]string{"port", "hz", "port"}, []string{"port", "7000", "hz", "10"}},
		{[]string{"*max-*-entries*"}, []string{
			"hash-max-listpack-entries", "512", "hash-max-ziplist-entries", "512",
			"set-max-intset-entries", "512", "set-max-listpack-entries", "128",
			"zset-max-listpack-entries", "128", "zset-max-ziplist-entries", "128"}},
		{[]string{"SLAVE-PRI*"}, []string{"slave-priority", "50"}},
		{[]string{"use-exit-on-panic"}, []string{"use-exit-on-panic", "no"}}, // hidden: exact name only
		{[]string{"use-exit-on-*"}, nil},
		{[]string{"port", "p?rt"}, []string{"port", "7000"}},
		{[]string{"PORT", "port", "po*"}, []string{"PORT", "7000"}},
	}
	for _, tt := range tests {
		if got := c.Get(tt.patterns...); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Get(%q) = %q, want %q", tt.patterns, got, tt.want)
		}
	}

	all := c.Get("*")
	names := make(map[string]bool)
	for i := 0; i < len(all); i += 2 {
		names[all[i]] = true
	}
	for _, n := range []string{"port", "slaveof", "replicaof", "lua-time-limit", "cache-size", "aof-load-corrupt", "save", "dir"} {
		if !names[n] {
			t.Errorf("Get(*) lacks %s", n)
		}
	}
	for _, n := range []string{"include", "rename-command", "use-exit-on-panic", "sentinel"} {
		if names[n] {
			t.Errorf("Get(*) has %s", n)
		}
	}
}

// badSets are CONFIG SET arguments with Redis's error. The interop test
// checks them against a real redis-server, except those marked cobble.
var badSets = []struct {
	pairs  []string
	err    string
	cobble bool
}{
	{pairs: []string{"foo", "bar"}, err: "Unknown option or number of arguments for CONFIG SET - 'foo'"},
	{pairs: []string{"include", "x.conf"}, err: "Unknown option or number of arguments for CONFIG SET - 'include'"},
	{pairs: []string{"daemonize", "no"}, err: "CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"},
	{pairs: []string{"Daemonize", "no"}, err: "CONFIG SET failed (possibly related to argument 'Daemonize') - can't set immutable config"},
	{pairs: []string{"dir", "/tmp"}, err: "CONFIG SET failed (possibly related to argument 'dir') - can't set protected config"},
	{pairs: []string{"dbfilename", "x.rdb"}, err: "CONFIG SET failed (possibly related to argument 'dbfilename') - can't set protected config"},
	{pairs: []string{"port", "1", "port", "2"}, err: "CONFIG SET failed (possibly related to argument 'port') - duplicate parameter"},
	{pairs: []string{"port", "abc"}, err: "CONFIG SET failed (possibly related to argument 'port') - argument couldn't be parsed into an integer"},
	{pairs: []string{"SLAVE-PRIORITY", "x"}, err: "CONFIG SET failed (possibly related to argument 'slave-priority') - argument couldn't be parsed into an integer"},
	{pairs: []string{"maxmemory", "-1"}, err: "CONFIG SET failed (possibly related to argument 'maxmemory') - argument must be a memory value"},
	{pairs: []string{"loglevel", "foo"}, err: "CONFIG SET failed (possibly related to argument 'loglevel') - argument(s) must be one of the following: debug, verbose, notice, warning, nothing", cobble: true},
	{pairs: []string{"save", "900 1  300 10"}, err: "CONFIG SET failed (possibly related to argument 'save') - Invalid save parameters"},
	{pairs: []string{"oom-score-adj-values", "1 2"}, err: "CONFIG SET failed (possibly related to argument 'oom-score-adj-values') - wrong number of arguments"},
	// Names are checked before values: the immutable one is reported.
	{pairs: []string{"port", "abc", "daemonize", "no"}, err: "CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"},
	{pairs: []string{"foo", "1", "daemonize", "no"}, err: "Unknown option or number of arguments for CONFIG SET - 'foo'"},
	{pairs: []string{"daemonize", "no", "foo", "1"}, err: "CONFIG SET failed (possibly related to argument 'daemonize') - can't set immutable config"},
	{pairs: []string{"tls-port", "6380"}, err: "CONFIG SET failed (possibly related to argument 'tls-port') - cobble does not support 'tls-port 6380' yet", cobble: true},
	{pairs: []string{"port"}, err: "syntax error", cobble: true}, // the server's arity check answers first
}

func TestConfig_Set(t *testing.T) {
	for _, tt := range badSets {
		c := Default()
		before := c.Get("*")
		err := c.Set(tt.pairs...)
		if err == nil || err.Error() != tt.err {
			t.Errorf("Set(%q) = %v, want %s", tt.pairs, err, tt.err)
		}
		if after := c.Get("*"); !reflect.DeepEqual(before, after) {
			t.Errorf("Set(%q) failed but changed the configuration", tt.pairs)
		}
	}
}

func TestConfig_SetAtomic(t *testing.T) {
	c := Default()
	before := c.Get("*")
	err := c.Set("maxmemory", "10mb", "appendfsync", "always", "port", "abc")
	var se *SetError
	if !errors.As(err, &se) || se.Arg != "port" {
		t.Fatalf("Set = %v, want a SetError about port", err)
	}
	if after := c.Get("*"); !reflect.DeepEqual(before, after) {
		t.Error("a failed Set changed the configuration")
	}

	if err := c.Set("maxmemory", "10mb", "appendfsync", "always", "SLAVE-PRIORITY", "7", "save", "", "bind", "127.0.0.1 ::1"); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{
		"maxmemory": "10485760", "appendfsync": "always", "replica-priority": "7", "save": "", "bind": "127.0.0.1 ::1",
	} {
		if got := c.String(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
	if len(c.SavePoints()) != 0 {
		t.Errorf("SavePoints = %v, want none", c.SavePoints())
	}
	// CONFIG SET replaces save; it does not add to it.
	if err := c.Set("save", "900 1"); err != nil {
		t.Fatal(err)
	}
	if err := c.Set("save", "300 10 60 100"); err != nil {
		t.Fatal(err)
	}
	if got := c.String("save"); got != "300 10 60 100" {
		t.Errorf("save = %q", got)
	}
}

func TestConfig_SetProtected(t *testing.T) {
	tmp := t.TempDir()
	c := mustParse(t, "enable-protected-configs local\n")
	if err := c.Set("dir", tmp); err == nil {
		t.Error("Set(dir) from a remote client succeeded with enable-protected-configs local")
	}
	if err := c.SetLocal("dir", tmp); err != nil {
		t.Fatal(err)
	}
	if got := c.String("dir"); got != tmp {
		t.Errorf("dir = %q, want %q", got, tmp)
	}
	if err := c.SetLocal("dbfilename", "x.rdb"); err != nil {
		t.Fatal(err)
	}
	if got, want := c.Path("dbfilename"), filepath.Join(tmp, "x.rdb"); got != want {
		t.Errorf("Path(dbfilename) = %q, want %q", got, want)
	}
	err := c.SetLocal("dir", filepath.Join(tmp, "missing"))
	want := "CONFIG SET failed (possibly related to argument 'dir') - No such file or directory"
	if err == nil || err.Error() != want {
		t.Errorf("Set(dir missing) = %v, want %s", err, want)
	}
}

func TestConfig_OnSet(t *testing.T) {
	c := Default()
	var mu sync.Mutex
	var calls []string
	record := func(name string, fail bool) func(string) error {
		return func(v string) error {
			mu.Lock()
			defer mu.Unlock()
			calls = append(calls, name+"="+v)
			if fail && v == "bad" {
				return errors.New("Unable to do that")
			}
			return nil
		}
	}
	c.OnSet("appendfsync", record("appendfsync", false))
	c.OnSet("replica-announce-ip", record("announce", true))
	c.OnSet("slave-announce-ip", record("announce2", false)) // an alias registers on the directive

	// A hook sees the new value; the value is unchanged for readers until all agree.
	c.OnSet("maxmemory", func(v string) error {
		if got := c.String("maxmemory"); got != "0" {
			t.Errorf("inside the hook maxmemory = %s, want the old value 0", got)
		}
		return nil
	})
	if err := c.Set("maxmemory", "1mb"); err != nil {
		t.Fatal(err)
	}

	err := c.Set("appendfsync", "always", "replica-announce-ip", "bad")
	want := "CONFIG SET failed (possibly related to argument 'replica-announce-ip') - Unable to do that"
	if err == nil || err.Error() != want {
		t.Fatalf("Set = %v, want %s", err, want)
	}
	// The hooks that ran, the failing one included, go back to the old values.
	wantCalls := []string{"appendfsync=always", "announce=bad", "announce=", "appendfsync=everysec"}
	if !reflect.DeepEqual(calls, wantCalls) {
		t.Errorf("hook calls %q, want %q", calls, wantCalls)
	}
	if c.String("appendfsync") != "everysec" || c.String("replica-announce-ip") != "" {
		t.Error("a vetoed Set changed the configuration")
	}

	calls = nil
	if err := c.Set("appendfsync", "everysec", "replica-announce-ip", "10.0.0.1"); err != nil {
		t.Fatal(err)
	}
	// appendfsync did not change: its hook is not called.
	if want := []string{"announce=10.0.0.1", "announce2=10.0.0.1"}; !reflect.DeepEqual(calls, want) {
		t.Errorf("hook calls %q, want %q", calls, want)
	}
}

func TestConfig_Accessors(t *testing.T) {
	c := mustParse(t, strings.Join([]string{
		"maxmemory 2gb",
		"appendonly no",
		"bind 127.0.0.1 ::1",
		"notify-keyspace-events Ex",
		"maxmemory-clients 5%",
		"save 900 1",
	}, "\n"))
	if got := c.Bytes("maxmemory"); got != 2<<30 {
		t.Errorf("Bytes(maxmemory) = %d", got)
	}
	if got := c.Int("databases"); got != 16 {
		t.Errorf("Int(databases) = %d", got)
	}
	if got := c.Int("maxmemory-clients"); got != -5 {
		t.Errorf("Int(maxmemory-clients) = %d, want -5 (a percentage)", got)
	}
	if c.Bool("appendonly") || !c.Bool("protected-mode") {
		t.Error("Bool is wrong")
	}
	if got := c.Strings("bind"); !reflect.DeepEqual(got, []string{"127.0.0.1", "::1"}) {
		t.Errorf("Strings(bind) = %q", got)
	}
	if got := c.KeyspaceEvents(); got != EventKeyevent|EventExpired {
		t.Errorf("KeyspaceEvents = %v", got)
	}
	if got := KeyspaceEvents(EventAll | EventKeyspace | EventKeyMiss | EventNew).String(); got != "AnKm" {
		t.Errorf("String = %q, want AnKm", got)
	}
	if _, _, ok := c.Replicaof(); ok {
		t.Error("Replicaof ok on a master")
	}
	if got := c.Path("logfile"); got != "" {
		t.Errorf("Path(logfile) = %q, want empty", got)
	}

	for _, f := range []func(){
		func() { c.String("nosuch") },
		func() { c.Bool("port") },
		func() { c.Bytes("port") },
		func() { c.Int("appendonly") },
		func() { c.Strings("port") },
		func() { c.OnSet("nosuch", nil) },
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Error("no panic for a programming error")
				}
			}()
			f()
		}()
	}
}

func TestConfig_Unsupported(t *testing.T) {
	tests := []struct {
		text string
		want string
	}{
		{"", ""},
		{"cluster-enabled no\nreplicaof no one\nunixsocket \"\"\n", ""},
		{"port 1\ncluster-enabled yes\n", "cobble does not support 'cluster-enabled yes' yet (test.conf:2)"},
		{"replicaof 127.0.0.1 6380\n", ""}, // replication is supported
		{"unixsocket /tmp/redis.sock\n", "cobble does not support 'unixsocket /tmp/redis.sock' yet (test.conf:1)"},
		{"rename-command FLUSHALL \"\"\nrename-command KEYS x\n", "cobble does not support 'rename-command FLUSHALL \"\"' yet (test.conf:2)"},
		{"tls-port 6380\n", "cobble does not support 'tls-port 6380' yet (test.conf:1)"},
		{"syslog-enabled yes\n", "cobble does not support 'syslog-enabled yes' yet (test.conf:1)"},
	}
	for _, tt := range tests {
		c := mustParse(t, tt.text)
		err := c.Unsupported()
		got := ""
		if err != nil {
			got = err.Error()
			var ue *UnsupportedError
			if !errors.As(err, &ue) {
				t.Errorf("%q: error %T, want *UnsupportedError", tt.text, err)
			}
		}
		if got != tt.want {
			t.Errorf("%q: Unsupported() = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestConfig_Concurrent(t *testing.T) {
	c := Default()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				if g%2 == 0 {
					if err := c.Set("hz", "20", "maxmemory", "1mb"); err != nil {
						t.Error(err)
					}
					if err := c.Set("hz", "10", "maxmemory", "0"); err != nil {
						t.Error(err)
					}
					continue
				}
				// Both values change together: a reader never sees half a Set.
				hzMem := c.Get("hz", "maxmemory")
				if (hzMem[1] == "20") != (hzMem[3] == "1048576") {
					t.Errorf("read %q: half of a Set", hzMem)
				}
				_ = c.Int("hz") + int64(i)
			}
		})
	}
	wg.Wait()
}
