package server_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cobbledb/cobble/rdb"
	"github.com/cobbledb/cobble/server"
	"github.com/cobbledb/cobble/server/config"
)

// A dump.rdb naming a key twice in one db (Redis refuses to load one) stops
// the start and leaves nothing loaded; the same key in two dbs is fine.
func TestFirstStart_DuplicateKeyStopsTheStart(t *testing.T) {
	write := func(dir string, entries []rdb.Entry) {
		var buf bytes.Buffer
		enc := rdb.NewEncoder(&buf, rdb.EncoderOptions{})
		if err := enc.Header(); err != nil {
			t.Fatal(err)
		}
		for i := range entries {
			if err := enc.Entry(&entries[i]); err != nil {
				t.Fatal(err)
			}
		}
		if err := enc.Finish(); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "dump.rdb"), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	start := func(dir string) (*server.Server, error) {
		cfg, err := config.Parse(strings.NewReader(fmt.Sprintf("port 0\ndir %q\nsave \"\"\n", dir)), "test.conf")
		if err != nil {
			t.Fatal(err)
		}
		return server.New(cfg, slog.New(slog.DiscardHandler), server.Hooks{})
	}
	str := func(db int, key, val string, exp int64) rdb.Entry {
		return rdb.Entry{DB: db, Key: []byte(key), Type: rdb.TypeString, String: []byte(val), ExpireAtMs: exp, IdleSec: -1, Freq: -1}
	}
	set := rdb.Entry{DB: 0, Key: []byte("dup"), Type: rdb.TypeSet, Set: [][]byte{[]byte("a"), []byte("b")}, IdleSec: -1, Freq: -1}
	far := int64(1) << 45

	dir := t.TempDir()
	var entries []rdb.Entry
	entries = append(entries, set, str(1, "dup", "other db", far))
	for i := range 1000 {
		entries = append(entries, str(0, fmt.Sprint("k", i), "v", 0))
	}
	entries = append(entries, str(0, "dup", "again", far))
	write(dir, entries)
	s, err := start(dir)
	if err == nil {
		s.Close()
		t.Fatal("a dump.rdb with a duplicate key did not stop the start")
	}
	if !strings.Contains(err.Error(), "duplicate key") || !strings.Contains(err.Error(), "dup") {
		t.Fatalf("error does not name the duplicate key: %v", err)
	}
	os.Remove(filepath.Join(dir, "dump.rdb"))
	s, err = start(dir)
	if err != nil {
		t.Fatal(err)
	}
	for db := range 16 {
		if n := s.DB().DBSize(db); n != 0 {
			t.Fatalf("db %d holds %d keys of a failed load", db, n)
		}
	}
	s.Close()

	// Without the duplicate it loads, with the right counts.
	dir = t.TempDir()
	write(dir, entries[:len(entries)-1])
	s, err = start(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.DB().DBSize(0) != 1001 || s.DB().DBSize(1) != 1 || s.DB().Expires(1) != 1 || s.DB().Expires(0) != 0 {
		t.Fatalf("counts: %d %d %d %d", s.DB().DBSize(0), s.DB().DBSize(1), s.DB().Expires(0), s.DB().Expires(1))
	}
}
