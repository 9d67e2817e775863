package main

// End to end, against running nodes: a backup of a running cobble over the
// network, verify, inspect --json, convert --to resp piped into a real
// redis-server with redis-cli --pipe, restore into another cobble (and
// --no-replace refusing every key); a backup of a stopped node's data
// directory (refused while it runs) and a restore into an empty one that a
// node then serves; a backup of a real Redis; a restore into a real Redis
// Cluster routed by slot; a disk-less (EOF-marked) payload with keepalives
// and AUTH from a fake server. Tests needing redis-server or redis-cli
// skip without them, and fail in CI (env CI set).

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cobbledb/cobble/rdb"
	"github.com/cobbledb/cobble/server/servertest"
)

var ctx = context.Background()

func needBinary(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not installed in CI", name)
		}
		t.Skipf("%s not installed: apt-get install redis-server redis-tools", name)
	}
	return p
}

func client(t *testing.T, addr string, db int) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: addr, DB: db, Protocol: 2, DisableIdentity: true, MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	return c
}

// fill writes keys of every type, some with a TTL, to db 0 and db 5.
func fill(t *testing.T, addr string) {
	t.Helper()
	for _, db := range []int{0, 5} {
		p := client(t, addr, db).Pipeline()
		pre := "db" + strconv.Itoa(db) + ":"
		for i := range 300 {
			p.Set(ctx, pre+"s:"+strconv.Itoa(i), strings.Repeat("v", i%70), 0)
		}
		p.Set(ctx, pre+"ttl", "x", time.Hour)
		p.Set(ctx, pre+"bin", "\x00\xff\r\n", 0)
		var l []any
		for i := range 1500 {
			l = append(l, i)
		}
		p.RPush(ctx, pre+"list", l...)
		p.SAdd(ctx, pre+"set", "a", "b", 3)
		p.HSet(ctx, pre+"hash", "f", "v", "g", strings.Repeat("w", 100))
		p.ZAdd(ctx, pre+"zset", redis.Z{Score: 1, Member: "a"}, redis.Z{Score: math.Inf(-1), Member: "low"})
		p.Expire(ctx, pre+"zset", 2*time.Hour)
		if _, err := p.Exec(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// snapshot renders every key of dbs 0–15 with its value and expiry.
func snapshot(t *testing.T, addr string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for db := range 16 {
		c := client(t, addr, db)
		for _, k := range c.Keys(ctx, "*").Val() {
			var v any
			switch typ := c.Type(ctx, k).Val(); typ {
			case "string":
				v = c.Get(ctx, k).Val()
			case "list":
				v = c.LRange(ctx, k, 0, -1).Val()
			case "set":
				m := c.SMembers(ctx, k).Val()
				slices.Sort(m)
				v = m
			case "hash":
				v = c.HGetAll(ctx, k).Val()
			case "zset":
				v = c.ZRangeWithScores(ctx, k, 0, -1).Val()
			}
			out[fmt.Sprintf("%d/%q", db, k)] = fmt.Sprintf("%s %v exp=%v", c.Type(ctx, k).Val(), v, c.Do(ctx, "PEXPIRETIME", k).Val())
		}
	}
	return out
}

func same(t *testing.T, what string, got, want map[string]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d keys, want %d", what, len(got), len(want))
	}
	for k, w := range want {
		if got[k] != w {
			t.Fatalf("%s: key %s = %.120q, want %.120q", what, k, got[k], w)
		}
	}
}

// redisServer starts a real redis-server; it stops with the test.
func redisServer(t *testing.T, args ...string) string {
	t.Helper()
	bin := needBinary(t, "redis-server")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	cmd := exec.Command(bin, append([]string{"--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", t.TempDir(), "--logfile", ""}, args...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := "127.0.0.1:" + port
	c := client(t, addr, 0)
	poll(t, func() error { return c.Ping(ctx).Err() })
	return addr
}

// poll retries fn until it succeeds, for up to 10 s.
func poll(t *testing.T, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
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

func mustRun(t *testing.T, stdin io.Reader, args ...string) (string, string) {
	t.Helper()
	code, out, errs := runTool(t, stdin, args...)
	if code != exitOK {
		t.Fatalf("cobble-rdb %q = %d\nstdout: %s\nstderr: %s", args, code, out, errs)
	}
	return out, errs
}

func TestE2E_OnlineBackupToRestore(t *testing.T) {
	src := servertest.Start(t, servertest.Config(`save ""`))
	fill(t, src.Addr)
	want := snapshot(t, src.Addr)
	file := filepath.Join(t.TempDir(), "backup.rdb")

	_, errs := mustRun(t, nil, "backup", "--addr", src.Addr, "-o", file)
	if !strings.Contains(errs, fmt.Sprintf("%d keys", len(want))) || !strings.Contains(errs, "verified") {
		t.Fatalf("backup summary: %s", errs)
	}
	if out, _ := mustRun(t, nil, "verify", file); !strings.HasPrefix(out, "OK ") {
		t.Fatalf("verify: %s", out)
	}
	out, _ := mustRun(t, nil, "inspect", "--json", file)
	if !strings.Contains(out, fmt.Sprintf(`"keys": %d,`, len(want))) || !strings.Contains(out, `"5": 306`) {
		t.Fatalf("inspect --json: %.600s", out)
	}

	// Into another cobble with RESTORE.
	dst := servertest.Start(t, servertest.Config(`save ""`))
	_, errs = mustRun(t, nil, "restore", "--addr", dst.Addr, "--pipeline", "100", file)
	if !strings.Contains(errs, "(single node)") {
		t.Fatalf("restore summary: %s", errs)
	}
	same(t, "cobble after restore", snapshot(t, dst.Addr), want)
	// Again, without REPLACE: every key is refused, exit code 1.
	code, _, errs := runTool(t, nil, "restore", "--addr", dst.Addr, "--no-replace", file)
	if code != exitData || !strings.Contains(errs, "BUSYKEY") || !strings.Contains(errs, fmt.Sprintf("%d refused", len(want))) {
		t.Fatalf("restore --no-replace = %d: %s", code, errs)
	}

	// Into a real Redis: convert --to resp | redis-cli --pipe.
	cli := needBinary(t, "redis-cli")
	raddr := redisServer(t)
	resp, _ := mustRun(t, nil, "convert", "--to", "resp", file)
	h, p, _ := net.SplitHostPort(raddr)
	cmd := exec.Command(cli, "-h", h, "-p", p, "--pipe")
	cmd.Stdin = strings.NewReader(resp)
	pipeOut, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(pipeOut), "errors: 0") {
		t.Fatalf("redis-cli --pipe: %v\n%s", err, pipeOut)
	}
	same(t, "Redis after convert --to resp | redis-cli --pipe", snapshot(t, raddr), want)
}

func TestE2E_DataDirectory(t *testing.T) {
	src := servertest.Start(t, servertest.Config(`save ""`))
	fill(t, src.Addr)
	want := snapshot(t, src.Addr)
	file := filepath.Join(t.TempDir(), "offline.rdb")

	// A running node holds its directory: the backup is refused.
	code, _, errs := runTool(t, nil, "backup", "--dir", src.Dir, "-o", file)
	if code != exitFail || !strings.Contains(errs, "is the node running?") {
		t.Fatalf("backup --dir of a running node = %d: %s", code, errs)
	}
	if _, err := os.Stat(file); err == nil {
		t.Fatal("a refused backup left a file")
	}
	src.Stop()
	mustRun(t, nil, "backup", "--dir", src.Dir, "-o", file)
	// A directory without a node is not turned into one.
	empty := t.TempDir()
	code, _, errs = runTool(t, nil, "backup", "--dir", empty, "-o", file+".2")
	if entries, _ := os.ReadDir(empty); code != exitFail || !strings.Contains(errs, "not a cobble data directory") || len(entries) != 0 {
		t.Fatalf("backup --dir of an empty directory = %d: %s (left %d entries)", code, errs, len(entries))
	}

	// Restore into a new directory; a node started on it serves the data.
	dir := filepath.Join(t.TempDir(), "restored")
	_, errs = mustRun(t, nil, "restore", "--dir", dir, file)
	if !strings.Contains(errs, fmt.Sprintf("%d keys loaded", len(want))) {
		t.Fatalf("restore --dir summary: %s", errs)
	}
	code, _, errs = runTool(t, nil, "restore", "--dir", dir, file)
	if code != exitFail || !strings.Contains(errs, "already holds data") {
		t.Fatalf("restore --dir into a directory with data = %d: %s", code, errs)
	}
	n := servertest.Start(t, servertest.Config(`save ""`), func(n *servertest.Node) { n.Dir = dir })
	same(t, "node on the restored directory", snapshot(t, n.Addr), want)
}

func TestE2E_RealRedis(t *testing.T) {
	// A backup of a real Redis over SYNC.
	raddr := redisServer(t)
	fill(t, raddr)
	want := snapshot(t, raddr)
	file := filepath.Join(t.TempDir(), "redis.rdb")
	mustRun(t, nil, "backup", "--addr", raddr, "-o", file)
	dst := servertest.Start(t, servertest.Config(`save ""`))
	mustRun(t, nil, "restore", "--addr", dst.Addr, file)
	same(t, "cobble restored from a backup of Redis", snapshot(t, dst.Addr), want)

	// Into a Redis Cluster (one master with every slot): routed by slot,
	// db 0 only.
	caddr := redisServer(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf")
	cc := client(t, caddr, 0)
	if err := cc.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", 0, 16383).Err(); err != nil {
		t.Fatal(err)
	}
	poll(t, func() error {
		if !strings.Contains(cc.ClusterInfo(ctx).Val(), "cluster_state:ok") {
			return fmt.Errorf("cluster not ok")
		}
		return nil
	})
	code, _, errs := runTool(t, nil, "restore", "--addr", caddr, file)
	if code != exitData || !strings.Contains(errs, "cluster of 1 masters") || !strings.Contains(errs, "a cluster has only db 0") {
		t.Fatalf("restore into a cluster = %d: %s", code, errs)
	}
	got := snapshot(t, caddr)
	for k := range want {
		if !strings.HasPrefix(k, "0/") {
			delete(want, k)
		}
	}
	same(t, "Redis Cluster after restore", got, want)
}

// TestBackup_DisklessPayload: a node that streams the snapshot disk-less
// ($EOF:<mark>), after AUTH and keepalive newlines.
func TestBackup_DisklessPayload(t *testing.T) {
	now := time.Now().UnixMilli()
	var payload bytes.Buffer
	enc := rdb.NewEncoder(&payload, rdb.EncoderOptions{})
	enc.Header()
	for i := range 2000 {
		enc.Entry(str(0, "k"+strconv.Itoa(i), strings.Repeat("x", i%300), now+int64(i)*1000))
	}
	enc.Finish()
	mark := strings.Repeat("0123456789", 4)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		var cmds []string
		for range 3 { // AUTH, REPLCONF, SYNC
			line, _ := r.ReadString('\n')
			n, _ := strconv.Atoi(strings.TrimSpace(line[1:]))
			var args []string
			for range n {
				r.ReadString('\n')
				a, _ := r.ReadString('\n')
				args = append(args, strings.TrimSpace(a))
			}
			cmds = append(cmds, strings.Join(args, " "))
			if args[0] != "SYNC" {
				c.Write([]byte("+OK\r\n"))
			}
		}
		got <- cmds
		c.Write([]byte("\n\n\n$EOF:" + mark + "\r\n"))
		b := payload.Bytes()
		for len(b) > 0 { // in odd pieces, so the mark may straddle reads
			n := min(len(b), 1000+len(b)%37)
			c.Write(b[:n])
			b = b[n:]
		}
		c.Write([]byte(mark))
		io.Copy(io.Discard, r)
	}()
	file := filepath.Join(t.TempDir(), "eof.rdb")
	t.Setenv("REDISCLI_AUTH", "sesame")
	_, errs := mustRun(t, nil, "backup", "--addr", ln.Addr().String(), "-o", file)
	if cmds := <-got; strings.Join(cmds, "|") != "AUTH sesame|REPLCONF rdb-only 1|SYNC" {
		t.Fatalf("commands sent: %q", cmds)
	}
	if b, _ := os.ReadFile(file); !bytes.Equal(b, payload.Bytes()) {
		t.Fatalf("backup is %d bytes, the payload %d: %s", len(b), payload.Len(), errs)
	}
}
