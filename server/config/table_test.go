package config

// Covers the directive table itself: well-formed rows, defaults that read
// back as written, and agreement with real Redis 7.0.15's CONFIG GET *
// (names, aliases and defaults), recorded in testdata.

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"testing"
)

// newerThanRedis70 are the directives cobble knows that Redis 7.0's
// CONFIG GET * does not show: cobble's own, and those of Redis 7.2 and 7.4.
var newerThanRedis70 = map[string]bool{
	"cache-size": true, "row-cache-size": true, "aof-load-corrupt": true,
	"locale-collate": true, "cluster-announce-human-nodename": true,
	"set-max-listpack-entries": true, "set-max-listpack-value": true,
	"hide-user-data-from-log": true, "max-new-connections-per-cycle": true,
	"max-new-tls-connections-per-cycle": true, "server-cpulist": true,
	"bio-cpulist": true, "aof-rewrite-cpulist": true, "bgsave-cpulist": true,
}

// differsFromRedis are the defaults cobble chooses differently, on purpose.
var differsFromRedis = map[string]bool{
	"appendonly": true, // the log is cobble's source of truth
}

func TestTable_Rows(t *testing.T) {
	c := Default()
	for _, d := range c.Table() {
		for _, n := range d.names() {
			if n != strings.ToLower(n) || strings.ContainsAny(n, " \t\"'") || n == "" {
				t.Errorf("%s: bad name %q", d.Name, n)
			}
		}
		if d.Kind == 0 || d.Support == 0 || d.Doc == "" {
			t.Errorf("%s: kind %v, support %v, doc %q: all are required", d.Name, d.Kind, d.Support, d.Doc)
		}
		if d.FileOnly && (d.Mutable || d.Default != "") {
			t.Errorf("%s: a file-only directive is neither mutable nor has a default", d.Name)
		}
		if d.multi && d.Kind != Strings && d.Kind != Special {
			t.Errorf("%s: only lists take several arguments", d.Name)
		}
		switch d.Kind {
		case Int, Memory:
			n, err := strconv.ParseInt(d.Default, 10, 64)
			if err != nil || n < d.Min || n > d.Max || d.Min > d.Max {
				t.Errorf("%s: default %q outside [%d, %d]", d.Name, d.Default, d.Min, d.Max)
			}
		case Enum:
			found := false
			for _, e := range d.Enum {
				found = found || e == d.Default
				if e != strings.ToLower(e) {
					t.Errorf("%s: enum value %q is not lower case", d.Name, e)
				}
			}
			if !found {
				t.Errorf("%s: default %q is not one of %q", d.Name, d.Default, d.Enum)
			}
		case Bool:
			if d.Default != "yes" && d.Default != "no" {
				t.Errorf("%s: default %q is not yes or no", d.Name, d.Default)
			}
		case Special:
			if d.parse == nil && d.Name != "include" && d.Name != "sentinel" {
				t.Errorf("%s: special without a parser", d.Name)
			}
		}
		if d.FileOnly || d.Name == "dir" {
			continue
		}
		// The default reads back as written.
		if got := c.String(d.Name); got != d.Default {
			t.Errorf("%s: default reads back as %q, want %q", d.Name, got, d.Default)
		}
	}
	if err := c.Unsupported(); err != nil {
		t.Errorf("the defaults are unsupported: %v", err)
	}
}

// redisDefaults reads testdata/redis-7.0.15-config-get.txt.
func redisDefaults(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("testdata/redis-7.0.15-config-get.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := make(map[string]string)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "#") {
			continue
		}
		name, val, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			t.Fatalf("bad line %q", sc.Text())
		}
		out[name] = val
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestTable_MatchesRedis(t *testing.T) {
	compareWithRedis(t, redisDefaults(t), "0")
}

// compareWithRedis checks cobble's defaults against the CONFIG GET * of a
// redis-server started with --port <port> --unixsocket, --logfile and
// --dir.
func compareWithRedis(t *testing.T, redis map[string]string, port string) {
	t.Helper()
	c, err := loadWith(t, []string{"--port", port}, "")
	if err != nil {
		t.Fatal(err)
	}
	ours := make(map[string]string)
	all := c.Get("*")
	for i := 0; i < len(all); i += 2 {
		ours[all[i]] = all[i+1]
	}
	for name, want := range redis {
		got, ok := ours[name]
		switch {
		case !ok:
			t.Errorf("%s: Redis has it, cobble does not", name)
		case name == "dir" || name == "logfile" || name == "unixsocket" || differsFromRedis[name]:
		case got != want:
			t.Errorf("%s: default %q, Redis's is %q", name, got, want)
		}
	}
	for name := range ours {
		if _, ok := redis[name]; !ok && !newerThanRedis70[name] {
			t.Errorf("%s: cobble has it, Redis 7.0 does not, and it is not listed as newer", name)
		}
	}
	for name := range differsFromRedis {
		if ours[name] == redis[name] {
			t.Errorf("%s: listed as differing from Redis but does not", name)
		}
	}
}
