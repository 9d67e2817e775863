package config

// Covers reading redis.conf and the command line: every kind of directive
// with good and bad values (Redis's error texts), quoting, comments,
// unknown directives and their line numbers, include (relative, after dir,
// globs, missing, loops), the command line (override, multi-argument
// options, stdin, Redis's --save quirks), Sentinel mode and Debian's
// default redis.conf.

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// parseText parses a configuration file's text.
func parseText(t *testing.T, text string) (*Config, error) {
	t.Helper()
	return Parse(strings.NewReader(text), "test.conf")
}

// mustParse parses a configuration file's text that must be valid.
func mustParse(t *testing.T, text string) *Config {
	t.Helper()
	c, err := parseText(t, text)
	if err != nil {
		t.Fatalf("Parse(%q): %v", text, err)
	}
	return c
}

// errText returns what is wrong according to a FileError, without the
// location.
func errText(err error) string {
	var fe *FileError
	if errors.As(err, &fe) {
		return fe.Err.Error()
	}
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestParse_Values(t *testing.T) {
	tests := []struct {
		line string
		name string // directive to check; the line's first word by default
		want string // CONFIG GET value
	}{
		// Bool.
		{line: "appendonly no", want: "no"},
		{line: "appendonly YES", want: "yes"},
		{line: "SLAVE-READ-ONLY No", name: "replica-read-only", want: "no"},
		// Int.
		{line: "port 7000", want: "7000"},
		{line: "port 0", want: "0"},
		{line: "slowlog-log-slower-than -1", want: "-1"},
		{line: "list-max-ziplist-size -5", name: "list-max-listpack-size", want: "-5"},
		{line: "hz 1000", want: "500"}, // capped like Redis
		{line: "hz 0", want: "1"},
		{line: "maxclients 4294967295", want: "4294967295"},
		// Memory.
		{line: "maxmemory 1gb", want: "1073741824"},
		{line: "maxmemory 1GB", want: "1073741824"},
		{line: "maxmemory 1g", want: "1000000000"},
		{line: "maxmemory 2Mb", want: "2097152"},
		{line: "maxmemory 2m", want: "2000000"},
		{line: "maxmemory 3kb", want: "3072"},
		{line: "maxmemory 3k", want: "3000"},
		{line: "maxmemory 100b", want: "100"},
		{line: "maxmemory 100", want: "100"},
		{line: "maxmemory kb", want: "0"}, // Redis's memtoull reads no digits as 0
		{line: "cache-size 1gb", want: "1073741824"},
		// Enum.
		{line: "appendfsync ALWAYS", want: "always"},
		{line: "loglevel nothing", want: "nothing"},
		{line: "maxmemory-policy allkeys-LRU", want: "allkeys-lru"},
		// String.
		{line: `requirepass "p a s s"`, want: "p a s s"},
		{line: `requirepass 'it\'s'`, want: "it's"},
		{line: `logfile ""`, want: ""},
		{line: `masterauth "\x00\xff"`, want: "\x00\xff"},
		// Strings.
		{line: "bind 127.0.0.1 -::1", want: "127.0.0.1 -::1"},
		{line: `bind ""`, want: ""},
		{line: `bind "10.0.0.1 10.0.0.2"`, want: "10.0.0.1 10.0.0.2"},
		// Special.
		{line: "save 900 1 300 10", want: "900 1 300 10"},
		{line: `save ""`, want: ""},
		{line: `save "900 1"`, want: "900 1"},
		{line: "notify-keyspace-events KEA", want: "AKE"},
		{line: "notify-keyspace-events Elgm", want: "glEm"},
		{line: `notify-keyspace-events ""`, want: ""},
		{line: "replicaof 10.0.0.1 6380", want: "10.0.0.1 6380"},
		{line: "slaveof 10.0.0.1 6380", name: "replicaof", want: "10.0.0.1 6380"},
		{line: "replicaof no one", want: ""},
		{line: "client-output-buffer-limit replica 512mb 128mb 120", want: "normal 0 0 0 slave 536870912 134217728 120 pubsub 33554432 8388608 60"},
		{line: "client-output-buffer-limit normal 1 2 3 pubsub 4 5 6", want: "normal 1 2 3 slave 268435456 67108864 60 pubsub 4 5 6"},
		{line: "oom-score-adj-values 0 -100 2000", want: "0 -100 2000"},
		{line: "latency-tracking-info-percentiles 50.0 99.90 100", want: "50 99.9 100"},
		{line: `latency-tracking-info-percentiles ""`, want: ""},
		{line: "shutdown-on-sigint now save", want: "save now"},
		{line: "shutdown-on-sigterm default", want: "default"},
		{line: "maxmemory-clients 10%", want: "10%"},
		{line: "maxmemory-clients 1mb", want: "1048576"},
		{line: "unixsocketperm 700", want: "700"},
		{line: "proc-title-template \"{title} {{port}} {port}\"", want: "{title} {{port}} {port}"},
	}
	for _, tt := range tests {
		c, err := parseText(t, tt.line+"\n")
		if err != nil {
			t.Errorf("%s: %v", tt.line, err)
			continue
		}
		name := tt.name
		if name == "" {
			name = strings.ToLower(strings.Fields(tt.line)[0])
		}
		if got := c.String(name); got != tt.want {
			t.Errorf("%s: %s = %q, want %q", tt.line, name, got, tt.want)
		}
	}
}

// badLines are configuration lines with what is wrong with them, in Redis's
// words. The interop test checks them against a real redis-server, except
// those marked cobble: there cobble differs on purpose.
var badLines = []struct {
	line   string
	want   string
	cobble bool
}{
	{line: "foo bar", want: "Bad directive or wrong number of arguments"},
	{line: "include", want: "Bad directive or wrong number of arguments"},
	{line: "include a b", want: "Bad directive or wrong number of arguments"},
	{line: "rename-command flushall", want: "Bad directive or wrong number of arguments"},
	{line: "list-max-ziplist-entries", want: "Bad directive or wrong number of arguments"},
	{line: "port", want: "wrong number of arguments"},
	{line: "port 1 2", want: "wrong number of arguments"},
	{line: "port 6379 # a comment is only a comment at the start of a line", want: "wrong number of arguments"},
	{line: `port "6379`, want: "Unbalanced quotes in configuration line"},
	{line: `port 'a'b`, want: "Unbalanced quotes in configuration line"},
	{line: "appendonly maybe", want: "argument must be 'yes' or 'no'"},
	{line: "port abc", want: "argument couldn't be parsed into an integer"},
	{line: "port 07000", want: "argument couldn't be parsed into an integer"},
	{line: "port +7000", want: "argument couldn't be parsed into an integer"},
	{line: "port 70000", want: "argument must be between 0 and 65535 inclusive"},
	{line: "hz -1", want: "argument must be between 0 and 2147483647 inclusive"},
	{line: "maxclients 0", want: "argument must be between 1 and 4294967295 inclusive"},
	{line: "maxmemory 1x", want: "argument must be a memory value"},
	{line: "maxmemory -1", want: "argument must be a memory value"},
	{line: "maxmemory 1.5mb", want: "argument must be a memory value"},
	{line: "maxmemory 9999999999999gb", want: "argument must be a memory value", cobble: true}, // Redis wraps it
	{line: "repl-backlog-size 0", want: "argument must be between 1 and 9223372036854775807 inclusive"},
	{line: "proto-max-bulk-len 1kb", want: "argument must be between 1048576 and 9223372036854775807 inclusive"},
	{line: "loglevel loud", want: "argument(s) must be one of the following: debug, verbose, notice, warning, nothing", cobble: true}, // Redis 7.2's nothing
	{line: "appendfsync sometimes", want: "argument(s) must be one of the following: everysec, always, no"},
	{line: "dbfilename a/dump.rdb", want: "dbfilename can't be a path, just a filename"},
	{line: `appendfilename ""`, want: "appendfilename can't be empty"},
	{line: `appenddirname a\b`, want: "appenddirname can't be a path, just a dirname"},
	{line: "save 10", want: "Invalid save parameters"},
	{line: "save 0 1", want: "Invalid save parameters"},
	{line: "save 10 -1", want: "Invalid save parameters"},
	{line: "save 10 x", want: "Invalid save parameters"},
	{line: "bind 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17", want: "Too many bind addresses specified."},
	{line: "notify-keyspace-events Kq", want: "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."},
	{line: "replicaof host", want: "wrong number of arguments"},
	{line: "replicaof host 70000", want: "Invalid master port"},
	{line: "replicaof host port", want: "Invalid master port"},
	{line: "client-output-buffer-limit normal 1 2", want: "Wrong number of arguments in buffer limit configuration."},
	{line: "client-output-buffer-limit master 1 2 3", want: "Invalid client class specified in buffer limit configuration."},
	{line: "client-output-buffer-limit pubsub 1x 2 3", want: "Error in hard, soft or soft_seconds setting in buffer limit configuration."},
	{line: "client-output-buffer-limit pubsub 1 2 -3", want: "Error in hard, soft or soft_seconds setting in buffer limit configuration."},
	{line: "oom-score-adj-values 1 2", want: "wrong number of arguments"},
	{line: "oom-score-adj-values 1 2 3000", want: "Invalid oom-score-adj-values, elements must be between -2000 and 2000."},
	{line: "latency-tracking-info-percentiles 50 x", want: "Invalid latency-tracking-info-percentiles parameters"},
	{line: "latency-tracking-info-percentiles 101", want: "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"},
	{line: "shutdown-on-sigint soon", want: "argument(s) must be one of the following: default, save, nosave, now, force"},
	{line: "shutdown-on-sigint save nosave", want: "shutdown options SAVE and NOSAVE can't be used simultaneously"},
	{line: "maxmemory-clients 10x", want: "argument must be a memory or percent value"},
	{line: "maxmemory-clients 101%", want: "percentage argument must be less or equal to 100"},
	{line: "unixsocketperm 800", want: "argument couldn't be parsed as an octal number"},
	{line: "unixsocketperm 1000", want: "argument must be between 0 and 777 inclusive"},
	{line: "cluster-announce-hostname a_b", want: "Hostnames may only contain alphanumeric characters, hyphens or dots"},
	{line: "proc-title-template {nope}", want: "template format is invalid or contains unknown variables"},
	{line: "dir /nonexistent-cobble-dir", want: "No such file or directory"},
	{line: "sentinel monitor m 127.0.0.1 6379 2", want: "sentinel directive while not in sentinel mode"},
}

func TestParse_Errors(t *testing.T) {
	for _, tt := range badLines {
		_, err := parseText(t, tt.line+"\n")
		if got := errText(err); got != tt.want {
			t.Errorf("%s: error %q, want %q", tt.line, got, tt.want)
		}
	}
}

func TestParse_ErrorNamesFileAndLine(t *testing.T) {
	_, err := parseText(t, "# a comment\n\n   port 7000\r\n  foo   bar  \nport 1\n")
	var fe *FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T), want *FileError", err, err)
	}
	if fe.File != "test.conf" || fe.Line != 4 || fe.Text != "foo   bar" {
		t.Errorf("FileError = %+v, want test.conf line 4 'foo   bar'", fe)
	}
	want := "Reading the configuration file test.conf, at line 4\n>>> 'foo   bar'\nBad directive or wrong number of arguments"
	if err.Error() != want {
		t.Errorf("error text\n%s\nwant\n%s", err, want)
	}
	if !errors.Is(err, errBadDirective) {
		t.Error("errors.Is(err, errBadDirective) = false")
	}
}

func TestParse_Syntax(t *testing.T) {
	c := mustParse(t, strings.Join([]string{
		"# comment",
		"   # indented comment",
		"",
		"\t",
		"PORT 7000",
		"  Requirepass   \"with \\\"quotes\\\" and \\x41\"  ",
		"masterauth 'single \\' quote'",
		"port 7001", // the last line wins
		"bind 10.0.0.1",
		"bind 10.0.0.2 10.0.0.3", // bind replaces
		"list-max-ziplist-entries 512",
		"lua-replicate-commands yes",
	}, "\n"))
	for name, want := range map[string]string{
		"port":        "7001",
		"requirepass": `with "quotes" and A`,
		"masterauth":  "single ' quote",
		"bind":        "10.0.0.2 10.0.0.3",
	} {
		if got := c.String(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

func TestParse_SaveAddsUp(t *testing.T) {
	tests := []struct {
		text string
		want string
	}{
		{"", "3600 1 300 100 60 10000"},
		{"save 900 1\nsave 300 10\n", "900 1 300 10"},
		{"save 900 1\nsave \"\"\nsave 60 5\n", "60 5"},
		{"save 900 1\nsave \"\"\n", ""},
		{"save\n", ""}, // no arguments: Redis empties the schedule too
	}
	for _, tt := range tests {
		c := mustParse(t, tt.text)
		if got := c.String("save"); got != tt.want {
			t.Errorf("%q: save = %q, want %q", tt.text, got, tt.want)
		}
	}
	c := mustParse(t, "save 900 1\nsave 300 10\n")
	want := []SavePoint{{900, 1}, {300, 10}}
	if got := c.SavePoints(); !reflect.DeepEqual(got, want) {
		t.Errorf("SavePoints = %v, want %v", got, want)
	}
}

func TestParse_Include(t *testing.T) {
	tmp := t.TempDir()
	t.Chdir(tmp)
	write := func(name, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(name, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("inc.conf", "maxmemory 7mb\n")
	write("d1/inc.conf", "maxmemory 5mb\n")
	write("conf.d/a.conf", "port 7001\nhz 20\n")
	write("conf.d/b.conf", "port 7002\n")
	write("bad.conf", "port 1\nnope\n")
	write("loop.conf", "include loop.conf\n")

	t.Run("relative to the working directory", func(t *testing.T) {
		c := mustParse(t, "maxmemory 1mb\ninclude inc.conf\n")
		if got := c.Bytes("maxmemory"); got != 7<<20 {
			t.Errorf("maxmemory = %d, want 7mb", got)
		}
	})
	t.Run("later lines override it", func(t *testing.T) {
		c := mustParse(t, "include inc.conf\nmaxmemory 1mb\n")
		if got := c.Bytes("maxmemory"); got != 1<<20 {
			t.Errorf("maxmemory = %d, want 1mb", got)
		}
	})
	t.Run("relative to dir once dir is set", func(t *testing.T) {
		c := mustParse(t, "dir d1\ninclude inc.conf\n")
		if got := c.Bytes("maxmemory"); got != 5<<20 {
			t.Errorf("maxmemory = %d, want 5mb (d1/inc.conf)", got)
		}
		if got, want := c.String("dir"), filepath.Join(tmp, "d1"); got != want {
			t.Errorf("dir = %q, want %q", got, want)
		}
	})
	t.Run("glob", func(t *testing.T) {
		c := mustParse(t, "include conf.d/*.conf\ninclude none.d/*.conf\n")
		if c.Int("port") != 7002 || c.Int("hz") != 20 {
			t.Errorf("port %d hz %d, want 7002 and 20", c.Int("port"), c.Int("hz"))
		}
	})
	t.Run("missing file", func(t *testing.T) {
		_, err := parseText(t, "port 1\ninclude missing.conf\n")
		want := "Reading the configuration file test.conf, at line 2\n>>> 'include missing.conf'\n" +
			"Fatal error, can't open config file '" + filepath.Join(tmp, "missing.conf") + "': No such file or directory"
		if err == nil || err.Error() != want {
			t.Errorf("error\n%v\nwant\n%s", err, want)
		}
		if !errors.Is(err, fs.ErrNotExist) {
			t.Error("errors.Is(err, fs.ErrNotExist) = false")
		}
	})
	t.Run("error in the included file names it", func(t *testing.T) {
		_, err := parseText(t, "include bad.conf\n")
		var fe *FileError
		if !errors.As(err, &fe) || fe.File != filepath.Join(tmp, "bad.conf") || fe.Line != 2 {
			t.Errorf("error %v, want bad.conf line 2", err)
		}
	})
	t.Run("loop", func(t *testing.T) {
		_, err := parseText(t, "include loop.conf\n")
		if err == nil || !strings.Contains(err.Error(), "include nesting deeper than") {
			t.Errorf("error %v, want include nesting error", err)
		}
	})
}

// loadWith runs Load's logic with stdin as standard input.
func loadWith(t *testing.T, args []string, stdin string) (*Config, error) {
	t.Helper()
	return newLoader(Default()).load(args, strings.NewReader(stdin))
}

func TestLoad_CommandLine(t *testing.T) {
	tmp := t.TempDir()
	file := filepath.Join(tmp, "redis.conf")
	if err := os.WriteFile(file, []byte("port 6000\nsave 60 1\nmaxmemory 1mb\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		stdin string
		want  map[string]string
	}{
		{name: "no arguments", args: nil,
			want: map[string]string{"port": "6379", "save": "3600 1 300 100 60 10000"}},
		{name: "options override the file", args: []string{file, "--port", "7000", "--maxmemory", "2mb"},
			want: map[string]string{"port": "7000", "maxmemory": "2097152"}},
		{name: "save adds to the file's", args: []string{file, "--save", "900", "1", "300", "10"},
			want: map[string]string{"save": "60 1 900 1 300 10"}},
		{name: "save empty then new rules", args: []string{file, "--save", "", "--save", "5", "5"},
			want: map[string]string{"save": "5 5"}},
		{name: "bare --save before an option", args: []string{"--save", "--port", "7002"},
			want: map[string]string{"save": "", "port": "7002"}},
		{name: "bare --save last", args: []string{"--port", "7003", "--save"},
			want: map[string]string{"save": "", "port": "7003"}},
		{name: "name and value in one argument", args: []string{"--port 7004", "--save 900 1"},
			want: map[string]string{"port": "7004", "save": "900 1"}},
		{name: "several values", args: []string{"--replicaof", "127.0.0.1", "6380", "--bind", "10.0.0.1", "-::1"},
			want: map[string]string{"replicaof": "127.0.0.1 6380", "bind": "10.0.0.1 -::1"}},
		{name: "values that need quoting", args: []string{"--requirepass", `a "b" c`, "--masterauth", ""},
			want: map[string]string{"requirepass": `a "b" c`, "masterauth": ""}},
		{name: "stdin first", args: []string{"-", "--port", "7005"}, stdin: "port 1\nhz 30\n",
			want: map[string]string{"port": "7005", "hz": "30"}},
		{name: "stdin after the file", args: []string{file, "--hz", "40", "-"}, stdin: "port 7006\nhz 30\n",
			want: map[string]string{"port": "7006", "hz": "40", "maxmemory": "1048576"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := loadWith(t, tt.args, tt.stdin)
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range tt.want {
				if got := c.String(name); got != want {
					t.Errorf("%s = %q, want %q", name, got, want)
				}
			}
		})
	}

	t.Run("file is remembered as an absolute path", func(t *testing.T) {
		t.Chdir(tmp)
		c, err := loadWith(t, []string{"redis.conf"}, "")
		if err != nil {
			t.Fatal(err)
		}
		if c.File() != file {
			t.Errorf("File() = %q, want %q", c.File(), file)
		}
	})
	t.Run("replicaof", func(t *testing.T) {
		c, err := loadWith(t, []string{"--replicaof", "127.0.0.1", "6380"}, "")
		if err != nil {
			t.Fatal(err)
		}
		host, port, ok := c.Replicaof()
		if host != "127.0.0.1" || port != 6380 || !ok {
			t.Errorf("Replicaof() = %q %d %v", host, port, ok)
		}
	})
	t.Run("an option without value takes the next one", func(t *testing.T) {
		_, err := loadWith(t, []string{file, "--maxmemory", "--daemonize", "no"}, "")
		want := "Reading the command line options, at option 1\n>>> 'maxmemory \"--daemonize\" \"no\"'\nwrong number of arguments"
		if err == nil || err.Error() != want {
			t.Errorf("error\n%v\nwant\n%s", err, want)
		}
	})
	t.Run("bad option", func(t *testing.T) {
		_, err := loadWith(t, []string{"--port", "1", "--port", "abc"}, "")
		var fe *FileError
		if !errors.As(err, &fe) || fe.File != CommandLineName || fe.Line != 2 || fe.Text != `port "abc"` ||
			fe.Err.Error() != "argument couldn't be parsed into an integer" {
			t.Errorf("error %#v", err)
		}
	})
	t.Run("unknown option", func(t *testing.T) {
		_, err := loadWith(t, []string{"--foo", "bar"}, "")
		if got := errText(err); got != "Bad directive or wrong number of arguments" {
			t.Errorf("error %q", got)
		}
	})
	t.Run("missing file", func(t *testing.T) {
		missing := filepath.Join(tmp, "missing.conf")
		_, err := loadWith(t, []string{missing}, "")
		want := "Fatal error, can't open config file '" + missing + "': No such file or directory"
		if err == nil || err.Error() != want || !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("error %v, want %s", err, want)
		}
	})
}

func TestLoad_Sentinel(t *testing.T) {
	c, err := loadWith(t, []string{"-", "--sentinel"}, "sentinel monitor mymaster 127.0.0.1 6379 2\nsentinel down-after-milliseconds mymaster 5000\n")
	if err != nil {
		t.Fatal(err)
	}
	if !c.SentinelMode() || c.Int("port") != 26379 || c.Bool("protected-mode") {
		t.Errorf("sentinel %v port %d protected-mode %v, want true 26379 false", c.SentinelMode(), c.Int("port"), c.Bool("protected-mode"))
	}
	want := [][]string{{"monitor", "mymaster", "127.0.0.1", "6379", "2"}, {"down-after-milliseconds", "mymaster", "5000"}}
	if got := c.SentinelLines(); !reflect.DeepEqual(got, want) {
		t.Errorf("SentinelLines = %q, want %q", got, want)
	}
}

func TestLoad_DebianSentinelConf(t *testing.T) {
	const file = "/etc/redis/sentinel.conf"
	if _, err := os.Stat(file); err != nil {
		t.Skipf("%s not found (apt-get install redis-sentinel installs it): %v", file, err)
	}
	if _, err := os.Stat("/var/lib/redis"); err != nil {
		t.Skipf("/var/lib/redis, which it names as dir, is missing: %v", err)
	}
	c, err := Load([]string{file, "--sentinel"})
	if err != nil {
		t.Fatal(err)
	}
	lines := c.SentinelLines()
	if len(lines) == 0 || lines[0][0] != "monitor" || c.Int("port") != 26379 {
		t.Errorf("sentinel lines %q, port %d", lines, c.Int("port"))
	}
	if _, err := Load([]string{file}); err == nil {
		t.Error("sentinel.conf loaded without --sentinel")
	}
}

func TestParse_ClusterAndReplicaof(t *testing.T) {
	_, err := parseText(t, "cluster-enabled yes\nreplicaof 127.0.0.1 6379\n")
	if err == nil || err.Error() != "replicaof directive not allowed in cluster mode" {
		t.Errorf("error %v", err)
	}
}

// debianConf is the configuration file Debian's redis-server package
// installs; cobble must start with it unchanged.
const debianConf = "/etc/redis/redis.conf"

func TestLoad_DebianConf(t *testing.T) {
	if _, err := os.Stat(debianConf); err != nil {
		t.Skipf("%s not found (apt-get install redis-server installs it): %v", debianConf, err)
	}
	dir := "/var/lib/redis"
	if _, err := os.Stat(dir); err != nil {
		t.Skipf("%s, which it names as dir, is missing: %v", debianConf, err)
	}
	// The arguments of Debian's systemd unit.
	c, err := Load([]string{debianConf, "--supervised", "systemd", "--daemonize", "no"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Unsupported(); err != nil {
		t.Errorf("Unsupported() = %v", err)
	}
	for name, want := range map[string]string{
		"bind":                       "127.0.0.1 -::1",
		"daemonize":                  "no",
		"supervised":                 "systemd",
		"pidfile":                    "/run/redis/redis-server.pid",
		"logfile":                    "/var/log/redis/redis-server.log",
		"dir":                        dir,
		"appendonly":                 "no",
		"appendfsync":                "everysec",
		"client-output-buffer-limit": "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60",
		"oom-score-adj-values":       "0 200 800",
		"notify-keyspace-events":     "",
		"auto-aof-rewrite-min-size":  "67108864",
	} {
		if got := c.String(name); got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}
