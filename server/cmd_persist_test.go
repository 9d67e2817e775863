package server_test

// RDB persistence: SAVE and BGSAVE write a file real Redis loads
// (redis-check-rdb, then the same values and TTLs in redis-server); a
// BGSAVE of 200k keys leaves writes flowing and holds exactly the keys of
// its snapshot; the save directive's schedule, BGSAVE inside EXEC,
// SHUTDOWN SAVE/NOSAVE; a snapshot keeps its dbs through SWAPDB; the first
// start of an empty node loads a real Redis dump.rdb, a node with data
// ignores it, and a corrupt or truncated one stops the start with its byte
// offset and leaves nothing loaded.

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cobbledb/cobble/rdb"
	"github.com/cobbledb/cobble/server"
	"github.com/cobbledb/cobble/server/config"
	"github.com/cobbledb/cobble/server/servertest"
)

// persistInfo reads INFO persistence.
func persistInfo(t *testing.T, c *redis.Client) map[string]string {
	t.Helper()
	return infoFields(t, c.Info(ctx, "persistence").Val())
}

func TestSave_FileLoadsInRedis(t *testing.T) {
	n := servertest.Start(t, servertest.Config(`save ""`))
	fillAllTypes(t, n.Addr)
	before := dataSet(t, n.Addr)
	if got := persistInfo(t, n.Client)["rdb_changes_since_last_save"]; got == "0" {
		t.Fatalf("rdb_changes_since_last_save = 0 after writes")
	}
	start := time.Now().Unix()
	if err := n.Client.Do(ctx, "SAVE").Err(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(n.Dir, "dump.rdb")
	h := decodeFile(t, path)
	if h.keys[0] == 0 || h.keys[3] == 0 || h.aux["repl-offset"] == "" {
		t.Fatalf("file holds %v, aux %v", h.keys, h.aux)
	}
	if ls := n.Client.LastSave(ctx).Val(); ls < start {
		t.Fatalf("LASTSAVE = %d, before the save at %d", ls, start)
	}
	info := persistInfo(t, n.Client)
	if info["rdb_saves"] != "1" || info["rdb_changes_since_last_save"] != "0" || info["rdb_last_bgsave_status"] != "ok" {
		t.Fatalf("INFO after SAVE: %v", info)
	}
	if matches, _ := filepath.Glob(filepath.Join(n.Dir, "temp-*.rdb")); len(matches) > 0 {
		t.Fatalf("temporary files left: %v", matches)
	}

	if check, err := exec.LookPath("redis-check-rdb"); err == nil {
		out, err := exec.Command(check, path).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "RDB looks OK") {
			t.Fatalf("redis-check-rdb: %v\n%s", err, out)
		}
	} else if isCI() {
		t.Fatal("redis-check-rdb not installed in CI")
	}
	dir := t.TempDir()
	copyFile(t, path, filepath.Join(dir, "dump.rdb"))
	rs := runRedisServer(t, dir)
	sameData(t, "redis-server loading cobble's SAVE", dataSet(t, rs.Addr), before)
}

func TestBGSave_WritesKeepFlowing(t *testing.T) {
	keys := 200_000
	if raceEnabled {
		keys = 20_000
	}
	n := servertest.Start(t, servertest.Config(`save ""`), withDump(t, keys))
	if got := n.Client.DBSize(ctx).Val(); got != int64(keys) {
		t.Fatalf("DBSIZE = %d after the first-start load, want %d", got, keys)
	}
	offset := infoFields(t, n.Client.Info(ctx, "replication").Val())["master_repl_offset"]

	// A burst of SETs, one at a time, without and then with a BGSAVE running.
	burst := func(c *redis.Client, prefix string, stop func() bool) (count int, worst time.Duration) {
		for i := 0; !stop(); i++ {
			t0 := time.Now()
			if err := c.Set(ctx, prefix+strconv.Itoa(i), "x", 0).Err(); err != nil {
				t.Fatal(err)
			}
			worst = max(worst, time.Since(t0))
			count++
		}
		return count, worst
	}
	c2 := n.NewClient()
	start := time.Now()
	if got := n.Client.Do(ctx, "BGSAVE").Val(); got != "Background saving started" {
		t.Fatalf("BGSAVE = %v", got)
	}
	running := func() bool { return persistInfo(t, n.Client)["rdb_bgsave_in_progress"] == "1" }
	inProgress, checks := true, 0
	during, worst := burst(c2, "during:", func() bool {
		// Look at the flag every 50 SETs: INFO is a command too.
		if checks++; checks%50 == 1 {
			inProgress = running()
		}
		return !inProgress || time.Since(start) > 30*time.Second
	})
	took := time.Since(start)
	pollFor(t, 30*time.Second, func() error {
		if running() {
			return fmt.Errorf("BGSAVE still running")
		}
		return nil
	})
	t.Logf("BGSAVE of %d keys: %v; SETs meanwhile, one at a time: %d (%.0f/s), the slowest %v",
		keys, took.Round(time.Millisecond), during, float64(during)/took.Seconds(), worst.Round(time.Microsecond))
	if during < 10 {
		t.Fatalf("only %d SETs completed during the BGSAVE (%v)", during, took)
	}
	if worst >= took {
		t.Fatalf("a SET waited %v during a BGSAVE of %v: writes were held up", worst, took)
	}
	info := persistInfo(t, n.Client)
	if info["rdb_last_bgsave_status"] != "ok" || info["rdb_saves"] != "1" || info["rdb_last_bgsave_time_sec"] == "-1" {
		t.Fatalf("INFO after BGSAVE: %v", info)
	}
	// The file is the snapshot: the 200k keys, none of the SETs made
	// during the save, at the offset the log had when it began.
	h := decodeFile(t, filepath.Join(n.Dir, "dump.rdb"))
	if h.keys[0] != int64(keys) {
		t.Fatalf("file holds %d keys, want %d", h.keys[0], keys)
	}
	if got, _ := strconv.ParseInt(h.aux["repl-offset"], 10, 64); got < mustInt(t, offset) {
		t.Fatalf("repl-offset %d is before the offset %s of the loaded data", got, offset)
	}
	if changes := mustInt(t, info["rdb_changes_since_last_save"]); changes < int64(during)-1 {
		t.Fatalf("rdb_changes_since_last_save = %d, want the %d SETs made during the save", changes, during)
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("%q is not an integer", s)
	}
	return n
}

// slowSaves makes every save of n's server wait d per key.
func slowSaves(n *servertest.Node, d time.Duration) {
	server.SetSaveKeyHook(n.Server, func() { time.Sleep(d) })
}

// waitSaving waits until a save of n is writing keys.
func waitSaving(t *testing.T, n *servertest.Node) {
	t.Helper()
	pollFor(t, 10*time.Second, func() error {
		if info := persistInfo(t, n.Client); info["current_save_keys_processed"] == "0" {
			return fmt.Errorf("no save running: %v", info)
		}
		return nil
	})
}

func fillStrings(t *testing.T, c *redis.Client, n int) {
	t.Helper()
	p := c.Pipeline()
	for i := range n {
		p.Set(ctx, "k"+strconv.Itoa(i), "v", 0)
	}
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestBGSave_Errors(t *testing.T) {
	n := servertest.Start(t, servertest.Config(`save ""`))
	fillStrings(t, n.Client, 200)
	wantErr(t, n.Client.Do(ctx, "BGSAVE", "NOW").Err(), "ERR syntax error")
	wantErr(t, n.Client.Do(ctx, "BGSAVE", "SCHEDULE", "x").Err(), "ERR syntax error")
	slowSaves(n, time.Millisecond)
	if got := n.Client.Do(ctx, "BGSAVE", "SCHEDULE").Val(); got != "Background saving started" {
		t.Fatalf("BGSAVE SCHEDULE = %v", got)
	}
	waitSaving(t, n)
	info := persistInfo(t, n.Client)
	if info["rdb_bgsave_in_progress"] != "1" || info["rdb_current_bgsave_time_sec"] == "-1" || info["current_save_keys_total"] != "200" {
		t.Fatalf("INFO during BGSAVE: %v", info)
	}
	wantErr(t, n.Client.Do(ctx, "BGSAVE").Err(), "ERR Background save already in progress")
	wantErr(t, n.Client.Do(ctx, "BGSAVE", "SCHEDULE").Err(), "ERR Background save already in progress")
	wantErr(t, n.Client.Do(ctx, "SAVE").Err(), "ERR Background save already in progress")
	p := n.Client.TxPipeline()
	bg := p.Do(ctx, "BGSAVE")
	p.Exec(ctx)
	wantErr(t, bg.Err(), "ERR Background save already in progress")
	pollFor(t, 10*time.Second, func() error {
		if persistInfo(t, n.Client)["rdb_saves"] != "1" {
			return fmt.Errorf("no save yet")
		}
		return nil
	})
	// A save that cannot write its file fails and says so in INFO.
	os.Remove(filepath.Join(n.Dir, "dump.rdb"))
	if err := os.Mkdir(filepath.Join(n.Dir, "dump.rdb"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := n.Client.Do(ctx, "SAVE").Err(); err == nil || !strings.HasPrefix(err.Error(), "ERR SAVE failed") {
		t.Fatalf("SAVE over a directory: %v", err)
	}
	if got := persistInfo(t, n.Client)["rdb_last_bgsave_status"]; got != "err" {
		t.Fatalf("rdb_last_bgsave_status = %q after a failed save", got)
	}
	if matches, _ := filepath.Glob(filepath.Join(n.Dir, "temp-*.rdb")); len(matches) > 0 {
		t.Fatalf("temporary files left: %v", matches)
	}
}

func TestBGSave_InsideExecIsScheduled(t *testing.T) {
	n := servertest.Start(t, servertest.Config(`save ""`))
	p := n.Client.TxPipeline()
	p.Set(ctx, "before", "1", 0)
	bg := p.Do(ctx, "BGSAVE")
	p.Set(ctx, "after", "2", 0)
	if _, err := p.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if bg.Val() != "Background saving scheduled" {
		t.Fatalf("BGSAVE in EXEC = %v", bg.Val())
	}
	pollFor(t, 10*time.Second, func() error {
		if persistInfo(t, n.Client)["rdb_saves"] != "1" {
			return fmt.Errorf("no save yet")
		}
		return nil
	})
	// The snapshot holds the whole transaction.
	if h := decodeFile(t, filepath.Join(n.Dir, "dump.rdb")); h.keys[0] != 2 {
		t.Fatalf("file holds %v keys, want the 2 of the transaction", h.keys)
	}
}

func TestSave_Schedule(t *testing.T) {
	n := servertest.Start(t, servertest.Config("save 1 2"))
	n.Client.Set(ctx, "a", "1", 0)
	n.Client.Set(ctx, "b", "2", 0)
	pollFor(t, 10*time.Second, func() error {
		if persistInfo(t, n.Client)["rdb_saves"] != "1" {
			return fmt.Errorf("the save rule has not saved yet")
		}
		return nil
	})
	if h := decodeFile(t, filepath.Join(n.Dir, "dump.rdb")); h.keys[0] != 2 {
		t.Fatalf("scheduled save holds %v", h.keys)
	}
	// One change is below the rule, and save "" turns the schedule off.
	n.Client.Set(ctx, "c", "3", 0)
	if err := n.Client.ConfigSet(ctx, "save", "").Err(); err != nil {
		t.Fatal(err)
	}
	n.Client.Set(ctx, "d", "4", 0)
	deadline := time.Now().Add(2500 * time.Millisecond) // past the rule's 1 s, counted in whole seconds
	for time.Now().Before(deadline) {
		if got := persistInfo(t, n.Client)["rdb_saves"]; got != "1" {
			t.Fatalf("rdb_saves = %s with save \"\"", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := persistInfo(t, n.Client)["rdb_changes_since_last_save"]; got != "2" {
		t.Fatalf("rdb_changes_since_last_save = %s, want 2", got)
	}
}

func TestShutdown_SaveAndNoSave(t *testing.T) {
	for _, tc := range []struct {
		name  string
		conf  string
		args  []any
		saved bool
	}{
		{"default with save points", "save 3600 1", []any{"SHUTDOWN"}, true},
		{"NOSAVE", "save 3600 1", []any{"SHUTDOWN", "NOSAVE"}, false},
		{"no save points", `save ""`, []any{"SHUTDOWN"}, false},
		{"SAVE without save points", `save ""`, []any{"SHUTDOWN", "SAVE"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := servertest.Start(t, servertest.Config(tc.conf))
			n.Client.Set(ctx, "k", "v", 0)
			n.Client.Do(ctx, tc.args...) // no reply: the connection closes
			select {
			case <-n.Server.Done():
			case <-time.After(10 * time.Second):
				t.Fatal("server did not shut down")
			}
			_, err := os.Stat(filepath.Join(n.Dir, "dump.rdb"))
			if saved := err == nil; saved != tc.saved {
				t.Fatalf("dump.rdb written = %v, want %v", saved, tc.saved)
			}
		})
	}
	t.Run("failed save stops the shutdown unless FORCE", func(t *testing.T) {
		n := servertest.Start(t, servertest.Config(`save ""`))
		os.Mkdir(filepath.Join(n.Dir, "dump.rdb"), 0o755) // the save cannot rename over it
		wantErr(t, n.Client.Do(ctx, "SHUTDOWN", "SAVE").Err(), "ERR Errors trying to SHUTDOWN. Check logs.")
		if err := n.Client.Ping(ctx).Err(); err != nil {
			t.Fatalf("server stopped after a refused SHUTDOWN: %v", err)
		}
		n.Client.Do(ctx, "SHUTDOWN", "SAVE", "FORCE")
		select {
		case <-n.Server.Done():
		case <-time.After(10 * time.Second):
			t.Fatal("SHUTDOWN SAVE FORCE did not shut down")
		}
	})
}

// TestSnapshot_KeepsDBsThroughSwapDB: a BGSAVE's snapshot reads the dbs of
// its moment, whatever SWAPDB does meanwhile.
func TestSnapshot_KeepsDBsThroughSwapDB(t *testing.T) {
	n := servertest.Start(t, servertest.Config(`save ""`))
	n.Client.Set(ctx, "in-db0", "x", 0)
	snap := n.Server.DB().ReadTxn(true)
	defer snap.Close()
	if err := n.Client.Do(ctx, "SWAPDB", 0, 1).Err(); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := snap.GetString(0, []byte("in-db0")); err != nil || !ok {
		t.Fatalf("snapshot lost db 0's key after SWAPDB: ok=%v err=%v", ok, err)
	}
	if _, ok, _ := snap.GetString(1, []byte("in-db0")); ok {
		t.Fatal("snapshot sees the key in db 1 after SWAPDB")
	}
}

// redisDump makes a dump.rdb with real redis-server: every type and
// encoding, two dbs, and a key whose TTL passes before it is loaded.
func redisDump(t *testing.T) (path string, want map[string]keyData) {
	t.Helper()
	dir := t.TempDir()
	rs := runRedisServer(t, dir)
	fillAllTypes(t, rs.Addr)
	c := rs.client(t, 0)
	want = dataSet(t, rs.Addr)
	if err := c.Do(ctx, "DEBUG", "SET-ACTIVE-EXPIRE", "0").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Set(ctx, "gone", "soon", 20*time.Millisecond).Err(); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(20 * time.Millisecond)
	pollFor(t, 5*time.Second, func() error { // until Redis's clock is past the TTL
		if now := c.Time(ctx).Val(); now.Before(at) {
			return fmt.Errorf("not expired yet")
		}
		return nil
	})
	if err := c.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	rs.stop()
	return filepath.Join(dir, "dump.rdb"), want
}

func TestFirstStart_LoadsRedisDump(t *testing.T) {
	dump, want := redisDump(t)
	n := servertest.Start(t, servertest.Config(`save ""`), func(n *servertest.Node) {
		copyFile(t, dump, filepath.Join(n.Dir, "dump.rdb"))
	})
	sameData(t, "cobble's first start from Redis's dump.rdb", dataSet(t, n.Addr), want)
	info := persistInfo(t, n.Client)
	if info["rdb_last_load_keys_loaded"] != strconv.Itoa(len(want)) || info["rdb_last_load_keys_expired"] != "1" {
		t.Fatalf("INFO after the load: %v", info)
	}
	// The loaded data set is durable: a restart replays nothing and keeps it.
	n.Restart()
	sameData(t, "after a restart", dataSet(t, n.Addr), want)
}

func TestFirstStart_NodeWithDataIgnoresDump(t *testing.T) {
	dump, _ := redisDump(t)
	n := servertest.Start(t, servertest.Config(`save ""`))
	n.Client.Set(ctx, "mine", "1", 0)
	n.Client.FlushAll(ctx) // empty again, but the log is not
	n.Client.Set(ctx, "mine", "1", 0)
	copyFile(t, dump, filepath.Join(n.Dir, "dump.rdb"))
	n.Restart()
	if got := n.Client.DBSize(ctx).Val(); got != 1 {
		t.Fatalf("DBSIZE = %d: the dump was loaded over the node's own data", got)
	}
}

func TestFirstStart_CorruptDumpStopsTheStart(t *testing.T) {
	// A valid file, from a cobble SAVE.
	src := servertest.Start(t, servertest.Config(`save ""`))
	fillAllTypes(t, src.Addr)
	if err := src.Client.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(filepath.Join(src.Dir, "dump.rdb"))
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0x5a
	for _, tc := range []struct {
		name string
		file []byte
	}{
		{"flipped byte", flipped},
		{"truncated", good[:len(good)*2/3]},
		{"not an RDB file", []byte("hello, this is not RDB")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "dump.rdb"), tc.file, 0o644); err != nil {
				t.Fatal(err)
			}
			cfg, err := config.Parse(strings.NewReader(fmt.Sprintf("port 0\ndir %q\nsave \"\"\n", dir)), "test.conf")
			if err != nil {
				t.Fatal(err)
			}
			s, err := server.New(cfg, slog.New(slog.DiscardHandler), server.Hooks{})
			if err == nil {
				s.Close()
				t.Fatal("a corrupt dump.rdb did not stop the start")
			}
			if !strings.Contains(err.Error(), "dump.rdb") || !strings.Contains(err.Error(), "offset") {
				t.Fatalf("error does not name the file and offset: %v", err)
			}
			t.Logf("start refused: %v", err)
			// Nothing was kept: without the file the node starts empty.
			os.Remove(filepath.Join(dir, "dump.rdb"))
			s, err = server.New(cfg, slog.New(slog.DiscardHandler), server.Hooks{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			for db := range 16 {
				if n := s.DB().DBSize(db); n != 0 {
					t.Fatalf("db %d holds %d keys of a failed load", db, n)
				}
			}
		})
	}
}

// TestBGSave_StopsOnClose: closing the server stops a running BGSAVE and
// removes its temporary file.
func TestBGSave_StopsOnClose(t *testing.T) {
	n := servertest.Start(t, servertest.Config(`save ""`))
	fillStrings(t, n.Client, 1000)
	slowSaves(n, 10*time.Millisecond) // a save of 10 s
	n.Client.Do(ctx, "BGSAVE")
	waitSaving(t, n)
	start := time.Now()
	n.Stop()
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("Close took %v with a BGSAVE running", d)
	}
	if matches, _ := filepath.Glob(filepath.Join(n.Dir, "*.rdb")); len(matches) > 0 {
		t.Fatalf("files left: %v", matches)
	}
}

func TestShutdown_StopsBGSave(t *testing.T) {
	n := servertest.Start(t, servertest.Config("save 3600 1"))
	fillStrings(t, n.Client, 1000)
	slowSaves(n, 10*time.Millisecond)
	n.Client.Do(ctx, "BGSAVE")
	waitSaving(t, n)
	start := time.Now()
	n.Client.Do(ctx, "SHUTDOWN", "NOSAVE")
	select {
	case <-n.Server.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("SHUTDOWN NOSAVE waited for the BGSAVE")
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Fatalf("SHUTDOWN NOSAVE took %v with a BGSAVE running", d)
	}
	if matches, _ := filepath.Glob(filepath.Join(n.Dir, "*.rdb")); len(matches) > 0 {
		t.Fatalf("files left: %v", matches)
	}
}

// TestFirstStart_HashFieldTTLs: a Redis 7.4 file with hash field TTLs
// loads with the expired fields dropped and the others kept (cobble has no
// field TTLs); a hash whose every field expired is not created.
func TestFirstStart_HashFieldTTLs(t *testing.T) {
	now := time.Now().UnixMilli()
	n := servertest.Start(t, servertest.Config(`save ""`), func(node *servertest.Node) {
		f, err := os.Create(filepath.Join(node.Dir, "dump.rdb"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		enc := rdb.NewEncoder(f, rdb.EncoderOptions{Version: 12})
		enc.Header()
		for _, e := range []*rdb.Entry{
			{Key: []byte("h"), Type: rdb.TypeHash, IdleSec: -1, Freq: -1,
				Hash:           [][2][]byte{{[]byte("gone"), []byte("1")}, {[]byte("later"), []byte("2")}, {[]byte("kept"), []byte("3")}},
				HashExpireAtMs: []int64{now - 1000, now + 3600_000, 0}},
			{Key: []byte("all-gone"), Type: rdb.TypeHash, IdleSec: -1, Freq: -1,
				Hash: [][2][]byte{{[]byte("f"), []byte("v")}}, HashExpireAtMs: []int64{now - 1}},
		} {
			if err := enc.Entry(e); err != nil {
				t.Fatal(err)
			}
		}
		if err := enc.Finish(); err != nil {
			t.Fatal(err)
		}
	})
	if got := n.Client.HGetAll(ctx, "h").Val(); len(got) != 2 || got["later"] != "2" || got["kept"] != "3" {
		t.Fatalf("HGETALL h = %v", got)
	}
	if n.Client.Exists(ctx, "all-gone").Val() != 0 {
		t.Fatal("a hash whose fields all expired was created")
	}
}
