package main

// Unit tests of cobble-rdb on files written in the test: the command line
// (help, unknown commands and flags, exit codes), verify on valid,
// corrupt, truncated and checksum-less files, inspect's numbers (types,
// expiry histogram, slots with hash tags, biggest keys) in JSON and text,
// and convert's JSON lines (base64 for binary data) and RESP streams
// (chunks, TTLs, SELECT, RESTORE style).

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cobbledb/cobble/engine"
	"github.com/cobbledb/cobble/rdb"
)

// runTool runs cobble-rdb in-process and returns its exit code, stdout and
// stderr.
func runTool(t *testing.T, stdin io.Reader, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	if stdin == nil {
		stdin = strings.NewReader("")
	}
	code := run(args, &env{stdin: stdin, stdout: &out, stderr: &errb})
	return code, out.String(), errb.String()
}

// writeRDB writes entries as an RDB file and returns its path.
func writeRDB(t *testing.T, opts rdb.EncoderOptions, entries ...*rdb.Entry) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "dump.rdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bw := bufio.NewWriter(f)
	enc := rdb.NewEncoder(bw, opts)
	if err := enc.Header(); err != nil {
		t.Fatal(err)
	}
	if err := enc.Aux("redis-ver", "7.0.0"); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := enc.Entry(e); err != nil {
			t.Fatal(err)
		}
	}
	if err := enc.Finish(); err != nil {
		t.Fatal(err)
	}
	if err := bw.Flush(); err != nil {
		t.Fatal(err)
	}
	return path
}

func str(db int, key, val string, expireAt int64) *rdb.Entry {
	return &rdb.Entry{DB: db, Key: []byte(key), Type: rdb.TypeString, String: []byte(val), ExpireAtMs: expireAt, IdleSec: -1, Freq: -1}
}

func list(key string, n int) *rdb.Entry {
	e := &rdb.Entry{Key: []byte(key), Type: rdb.TypeList, IdleSec: -1, Freq: -1}
	for i := range n {
		e.List = append(e.List, []byte("item-"+strconv.Itoa(i)))
	}
	return e
}

// sampleEntries are a small data set of every type, two dbs, TTLs (one
// past), binary data and a hash tag.
func sampleEntries() []*rdb.Entry {
	now := time.Now().UnixMilli()
	return []*rdb.Entry{
		str(0, "plain", "hello", 0),
		str(0, "ttl:minute", "soon", now+30_000),
		str(0, "ttl:day", "later", now+20*3600_000),
		str(0, "ttl:past", "gone", now-1000),
		str(0, "{user:1}:name", "Ada", 0),
		str(0, "{user:1}:mail", "ada@example.com", 0),
		str(0, "bin\x00key", "\xff\xfe", 0),
		str(2, "other-db", "x", 0),
		list("list", 1200),
		{Key: []byte("set"), Type: rdb.TypeSet, Set: [][]byte{[]byte("a"), []byte("b")}, IdleSec: -1, Freq: -1},
		{Key: []byte("hash"), Type: rdb.TypeHash, Hash: [][2][]byte{{[]byte("f"), []byte("v")}}, IdleSec: -1, Freq: -1},
		{Key: []byte("zset"), Type: rdb.TypeZSet, ZSet: []rdb.ZMember{{Member: []byte("m"), Score: 1.5}, {Member: []byte("top"), Score: math.Inf(1)}},
			ExpireAtMs: now + 3600_000*24*40, IdleSec: -1, Freq: -1},
	}
}

func TestRun_CommandLine(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		out  string // in stdout
		err  string // in stderr
	}{
		{nil, exitFail, "", "Usage: cobble-rdb <command>"},
		{[]string{"--help"}, exitOK, "Commands:", ""},
		{[]string{"help", "convert"}, exitOK, "Usage: cobble-rdb convert", ""},
		{[]string{"version"}, exitOK, "cobble-rdb ", ""},
		{[]string{"frobnicate"}, exitFail, "", `unknown command "frobnicate"`},
		{[]string{"verify", "--help"}, exitOK, "Example:", ""},
		{[]string{"verify", "--bogus", "x"}, exitFail, "", "flag provided but not defined: -bogus"},
		{[]string{"verify"}, exitFail, "", "verify takes one file"},
		{[]string{"backup", "--addr", "127.0.0.1:1"}, exitFail, "", "-o FILE is required"},
		{[]string{"backup", "-o", "x.rdb"}, exitFail, "", "give either --addr"},
		{[]string{"convert", "--to", "xml", "f"}, exitFail, "", "--to must be json or resp"},
		{[]string{"restore", "--addr", "a:1", "--dir", "d", "f"}, exitFail, "", "give either --addr"},
		{[]string{"verify", "/does/not/exist.rdb"}, exitFail, "", "no such file"},
		{[]string{"backup", "--addr", "127.0.0.1:1", "-o", filepath.Join(t.TempDir(), "b.rdb"), "--timeout", "1s"}, exitFail, "", "connection refused"},
	} {
		code, out, errs := runTool(t, nil, tc.args...)
		if code != tc.code || !strings.Contains(out, tc.out) || !strings.Contains(errs, tc.err) {
			t.Errorf("cobble-rdb %q = %d\nstdout: %s\nstderr: %s\nwant %d, %q, %q", tc.args, code, out, errs, tc.code, tc.out, tc.err)
		}
	}
	// Every command has help with an example.
	for _, c := range commands() {
		code, out, _ := runTool(t, nil, c.name, "--help")
		if code != exitOK || !strings.Contains(out, "Example:\n  cobble-rdb "+c.name) {
			t.Errorf("%s --help = %d: %s", c.name, code, out)
		}
	}
}

func TestVerify(t *testing.T) {
	good := writeRDB(t, rdb.EncoderOptions{}, sampleEntries()...)
	b, _ := os.ReadFile(good)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, data, 0o644)
		return p
	}
	flipped := bytes.Clone(b)
	flipped[len(flipped)/2] ^= 0x40
	noSum := writeRDB(t, rdb.EncoderOptions{NoChecksum: true}, sampleEntries()...)
	for _, tc := range []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"valid", []string{good}, exitOK, "CRC64 verified"},
		{"valid from stdin", []string{"-"}, exitOK, "12 keys"},
		{"flipped byte", []string{write("flipped.rdb", flipped)}, exitData, "CORRUPT"},
		{"truncated", []string{write("short.rdb", b[:len(b)-20])}, exitData, "CORRUPT"},
		{"empty", []string{write("empty.rdb", nil)}, exitData, "CORRUPT"},
		{"no checksum", []string{noSum}, exitOK, "no checksum"},
		{"no checksum, required", []string{"--require-checksum", noSum}, exitData, "no checksum"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdin io.Reader
			if tc.args[0] == "-" {
				stdin = bytes.NewReader(b)
			}
			code, out, errs := runTool(t, stdin, append([]string{"verify"}, tc.args...)...)
			if code != tc.code || !strings.Contains(out, tc.out) {
				t.Fatalf("verify = %d\nstdout: %s\nstderr: %s", code, out, errs)
			}
		})
	}
}

func TestInspect_JSON(t *testing.T) {
	path := writeRDB(t, rdb.EncoderOptions{}, sampleEntries()...)
	code, out, errs := runTool(t, nil, "inspect", "--json", "--top", "3", path)
	if code != exitOK {
		t.Fatalf("inspect = %d: %s", code, errs)
	}
	var r Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if r.Keys != 11 || r.ExpiredSkip != 1 || r.KeysByDB["0"] != 10 || r.KeysByDB["2"] != 1 {
		t.Fatalf("keys %d (expired %d) by db %v", r.Keys, r.ExpiredSkip, r.KeysByDB)
	}
	if s := r.ByType["string"]; s == nil || s.Keys != 7 {
		t.Fatalf("strings: %+v", s)
	}
	if l := r.ByType["list"]; l == nil || l.Elements != 1200 || l.MaxElements != 1200 {
		t.Fatalf("lists: %+v", l)
	}
	want := map[string]int64{"none": 8, "expired": 1, "<1m": 1, "<1h": 0, "<1d": 1, ">=30d": 1}
	for _, b := range r.Expiry {
		if w, ok := want[b.Label]; ok && b.Keys != w {
			t.Errorf("expiry %s: %d keys, want %d", b.Label, b.Keys, w)
		}
	}
	tag := strconv.Itoa(int(engine.KeySlot([]byte("{user:1}"))))
	if r.Slots.PerSlot[tag] != 2 {
		t.Errorf("slot %s of {user:1} holds %d keys, want 2: %v", tag, r.Slots.PerSlot[tag], r.Slots.PerSlot)
	}
	if len(r.Biggest) != 3 || r.Biggest[0].Key != "list" || r.Biggest[0].MemoryRedis < r.Biggest[1].MemoryRedis {
		t.Errorf("biggest keys: %+v", r.Biggest)
	}
	if r.MemoryRedis <= 0 || r.Checksum != "verified" || r.Version != rdb.DefaultVersion {
		t.Errorf("memory %d, checksum %s, version %d", r.MemoryRedis, r.Checksum, r.Version)
	}
	// The text form says the same.
	code, out, _ = runTool(t, nil, "inspect", path)
	if code != exitOK || !strings.Contains(out, "keys        11") || !strings.Contains(out, "busiest: "+tag+" (2)") {
		t.Fatalf("inspect text = %d:\n%s", code, out)
	}
}

func TestConvert_JSON(t *testing.T) {
	path := writeRDB(t, rdb.EncoderOptions{}, sampleEntries()...)
	code, out, errs := runTool(t, nil, "convert", "--to", "json", path)
	if code != exitOK {
		t.Fatalf("convert = %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 11 {
		t.Fatalf("%d lines, want 11 (the expired key left out):\n%s", len(lines), out)
	}
	byKey := map[string]map[string]any{}
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("%v: %s", err, l)
		}
		byKey[m["key"].(string)] = m
	}
	if v := byKey["plain"]; v["value"] != "hello" || v["type"] != "string" || v["db"] != 0.0 || v["expire_at_ms"] != nil {
		t.Errorf("plain: %v", v)
	}
	bin := byKey[base64.StdEncoding.EncodeToString([]byte("bin\x00key"))]
	if bin == nil || bin["encoding"] != "base64" || bin["value"] != base64.StdEncoding.EncodeToString([]byte("\xff\xfe")) {
		t.Errorf("binary key: %v", byKey)
	}
	if z := byKey["zset"]; fmt.Sprint(z["value"]) != "[map[member:m score:1.5] map[member:top score:inf]]" || z["expire_at_ms"] == nil {
		t.Errorf("zset: %v", z)
	}
	if h := byKey["hash"]; fmt.Sprint(h["value"]) != "map[f:v]" {
		t.Errorf("hash: %v", h)
	}
	// -o writes the file; --keep-expired keeps the expired key.
	dst := filepath.Join(t.TempDir(), "out.jsonl")
	if code, _, errs := runTool(t, nil, "convert", "--to", "json", "--keep-expired", "-o", dst, path); code != exitOK {
		t.Fatalf("convert -o = %d: %s", code, errs)
	}
	if b, _ := os.ReadFile(dst); strings.Count(string(b), "\n") != 12 {
		t.Fatalf("-o with --keep-expired wrote %d lines", strings.Count(string(b), "\n"))
	}
}

// readRESP splits a RESP command stream into commands.
func readRESP(t *testing.T, s string) [][]string {
	t.Helper()
	r := bufio.NewReader(strings.NewReader(s))
	var cmds [][]string
	for {
		line, err := r.ReadString('\n')
		if err == io.EOF {
			return cmds
		}
		n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
		var cmd []string
		for range n {
			h, _ := r.ReadString('\n')
			l, _ := strconv.Atoi(strings.TrimSpace(h[1:]))
			b := make([]byte, l+2)
			io.ReadFull(r, b)
			cmd = append(cmd, string(b[:l]))
		}
		cmds = append(cmds, cmd)
	}
}

func TestConvert_RESP(t *testing.T) {
	path := writeRDB(t, rdb.EncoderOptions{}, sampleEntries()...)
	code, out, errs := runTool(t, nil, "convert", "--to", "resp", "--replace", path)
	if code != exitOK {
		t.Fatalf("convert = %d: %s", code, errs)
	}
	cmds := readRESP(t, out)
	var rpush, selects, pexpireat, dels int
	var setTTL []string
	for _, c := range cmds {
		switch c[0] {
		case "RPUSH":
			rpush++
			if len(c)-2 > chunkElems {
				t.Errorf("RPUSH of %d elements", len(c)-2)
			}
		case "SELECT":
			selects++
		case "PEXPIREAT":
			pexpireat++
		case "DEL":
			dels++
		case "SET":
			if len(c) == 5 {
				setTTL = append(setTTL, c[1])
			}
		case "ZADD":
			if strings.Join(c[2:], " ") != "1.5 m +inf top" {
				t.Errorf("ZADD %q", c)
			}
		}
	}
	if rpush != 3 || selects != 2 || pexpireat != 1 || dels != 4 || len(setTTL) != 2 {
		t.Fatalf("RPUSH %d, SELECT %d, PEXPIREAT %d, DEL %d, SET with PXAT %v:\n%q", rpush, selects, pexpireat, dels, setTTL, cmds)
	}
	// The RESTORE style: one RESTORE per key, payloads that parse back.
	code, out, _ = runTool(t, nil, "convert", "--to", "resp", "--style", "restore", path)
	if code != exitOK {
		t.Fatal(code)
	}
	n := 0
	for _, c := range readRESP(t, out) {
		if c[0] != "RESTORE" {
			continue
		}
		n++
		if _, err := rdb.ParseDumpPayload([]byte(c[3])); err != nil || c[len(c)-1] != "REPLACE" {
			t.Fatalf("RESTORE %q: %v", c[1], err)
		}
	}
	if n != 11 {
		t.Fatalf("%d RESTOREs, want 11", n)
	}
}

// TestConvert_CorruptExitsOne: a bad file fails with exit code 1 and
// leaves no -o file behind.
func TestConvert_CorruptExitsOne(t *testing.T) {
	path := writeRDB(t, rdb.EncoderOptions{}, sampleEntries()...)
	b, _ := os.ReadFile(path)
	os.WriteFile(path, b[:len(b)/2], 0o644)
	dst := filepath.Join(t.TempDir(), "out.resp")
	code, _, errs := runTool(t, nil, "convert", "--to", "resp", "-o", dst, path)
	if code != exitData || !strings.Contains(errs, "offset") {
		t.Fatalf("convert of a truncated file = %d: %s", code, errs)
	}
	if entries, _ := os.ReadDir(filepath.Dir(dst)); len(entries) != 0 {
		t.Fatalf("files left: %v", entries)
	}
}

func TestJemallocSize(t *testing.T) {
	for n, want := range map[int64]int64{1: 8, 8: 8, 9: 16, 24: 32, 100: 112, 129: 160, 200: 224, 257: 320, 1000: 1024, 1025: 1280} {
		if got := jemallocSize(n); got != want {
			t.Errorf("jemallocSize(%d) = %d, want %d", n, got, want)
		}
	}
}

// TestConvert_HashFieldTTLs: field TTLs of a Redis 7.4 file are dropped,
// expired fields left out, and the summary says so.
func TestConvert_HashFieldTTLs(t *testing.T) {
	now := time.Now().UnixMilli()
	path := writeRDB(t, rdb.EncoderOptions{Version: 12}, &rdb.Entry{Key: []byte("h"), Type: rdb.TypeHash, IdleSec: -1, Freq: -1,
		Hash:           [][2][]byte{{[]byte("gone"), []byte("1")}, {[]byte("kept"), []byte("2")}},
		HashExpireAtMs: []int64{now - 1000, now + 3600_000}})
	code, out, errs := runTool(t, nil, "convert", "--to", "json", path)
	if code != exitOK || !strings.Contains(out, `"value":{"kept":"2"}`) || !strings.Contains(errs, "1 hashes had field TTLs") {
		t.Fatalf("convert = %d\n%s\n%s", code, out, errs)
	}
}
