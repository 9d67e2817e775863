package config

import (
	"errors"
	"os"
	"testing"
)

// fuzzParse reads text as a configuration file without touching the file
// system for include.
func fuzzParse(text string) (*Config, error) {
	ld := newLoader(Default())
	ld.readFile = func(string) ([]byte, error) { return nil, os.ErrNotExist }
	ld.glob = func(string) ([]string, error) { return nil, errors.New("no globs while fuzzing") }
	if err := ld.parse("fuzz.conf", text); err != nil {
		return nil, err
	}
	if err := ld.finish(); err != nil {
		return nil, err
	}
	return ld.c, nil
}

// FuzzParse feeds arbitrary files to the parser. Properties: no panic; a
// file that loads, once rewritten, loads to the same values; and a second
// rewrite changes nothing.
func FuzzParse(f *testing.F) {
	// Rewrite writes the default dir, ./data, which must exist to load.
	f.Chdir(f.TempDir())
	if err := os.Mkdir("data", 0o755); err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		"",
		"port 7000\nbind 127.0.0.1 -::1\n",
		"save 900 1\nsave 300 10\nsave \"\"\nsave 60 5\n",
		"requirepass \"a\\x00b\\\"c\"\nmasterauth 'x\\'y'\n",
		"client-output-buffer-limit pubsub 64mb 16mb 90 normal 1 2 3\n",
		"notify-keyspace-events KEA\nmaxmemory-clients 10%\nunixsocketperm 700\n",
		"slaveof 10.0.0.1 6379\nrename-command FLUSHALL \"\"\n",
		"latency-tracking-info-percentiles 50.5 99\nshutdown-on-sigint now save\n",
		"# comment\n\n  \t\nfoo bar\n",
		"port \"6379\nhz 1000\n",
		"bind 'a\"b' c\nreplicaof \"h o\" 1\n",
		"maxmemory-clients 0%\n",
	} {
		f.Add(s)
	}
	if b, err := os.ReadFile(debianConf); err == nil {
		f.Add(string(b))
	}
	f.Fuzz(func(t *testing.T, text string) {
		c, err := fuzzParse(text)
		if err != nil {
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("error %T %v, want *FileError", err, err)
			}
			return
		}
		out := rewrite(text, c.mu.vals, c.defs)
		c2, err := fuzzParse(out)
		if err != nil {
			t.Fatalf("the rewritten file does not load: %v\n%s", err, out)
		}
		for i, d := range table.rows {
			if a, b := c.mu.vals[i].text, c2.mu.vals[i].text; a != b {
				t.Fatalf("%s: %q before the rewrite, %q after\n%s", d.Name, a, b, out)
			}
		}
		if again := rewrite(out, c2.mu.vals, c2.defs); again != out {
			t.Fatalf("second rewrite differs:\n%s\nfirst:\n%s", again, out)
		}
	})
}
