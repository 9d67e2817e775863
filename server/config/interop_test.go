package config

// Compares cobble with a real redis-server, when one is installed
// (apt-get install redis-server): the fatal error of every bad line,
// CONFIG GET * (names, aliases and defaults), which directives CONFIG SET
// may change, the errors of bad CONFIG SETs, and the file CONFIG REWRITE
// writes.

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// redisServerPath returns the redis-server to compare with, or skips.
func redisServerPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not found: apt-get install redis-server to compare with real Redis")
	}
	return p
}

func TestInterop_BadLines(t *testing.T) {
	bin := redisServerPath(t)
	tmp := t.TempDir()
	for i, tt := range badLines {
		if tt.cobble {
			continue
		}
		// A line Redis accepts would start a server: the marker line after
		// it makes Redis stop at once with a different error instead.
		file := filepath.Join(tmp, fmt.Sprintf("bad%d.conf", i))
		writeConf(t, file, "# comment\n"+tt.line+"\ncobble-marker-line x\n")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		out, _ := exec.CommandContext(ctx, bin, file).CombinedOutput()
		cancel()
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		got := lines[len(lines)-1]
		if len(lines) >= 3 {
			got = strings.Join(lines[len(lines)-3:], "\n")
		}
		want := "Reading the configuration file, at line 2\n>>> '" + tt.line + "'\n" + tt.want
		if got != want {
			t.Errorf("redis-server says\n%s\nfor %q; cobble says\n%s", got, tt.line, want)
		}
	}
}

// redisConn is just enough of a RESP2 client for these tests.
type redisConn struct {
	c net.Conn
	r *bufio.Reader
}

// do sends a command and returns its reply: a string, an int64, nil, a
// []any, or an error for an error reply.
func (rc *redisConn) do(args ...string) (any, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := io.WriteString(rc.c, b.String()); err != nil {
		return nil, err
	}
	return rc.read()
}

func (rc *redisConn) read() (any, error) {
	line, err := rc.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, errors.New("empty reply line")
	}
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		return line[1:], errors.New(line[1:])
	case ':':
		return strconv.ParseInt(line[1:], 10, 64)
	case '$':
		n, _ := strconv.Atoi(line[1:])
		if n < 0 {
			return nil, nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(rc.r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, _ := strconv.Atoi(line[1:])
		out := make([]any, 0, max(n, 0))
		for range n {
			v, err := rc.read()
			if err != nil && v == nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown reply %q", line)
}

// startRedis runs redis-server on a Unix socket only, with the arguments
// the testdata was recorded with, plus extra, and connects to it.
func startRedis(t *testing.T, bin, dir string, extra ...string) *redisConn {
	t.Helper()
	sock := filepath.Join(dir, "redis.sock")
	args := append(extra, "--port", "0", "--unixsocket", sock, "--logfile", filepath.Join(dir, "redis.log"),
		"--dir", dir, "--daemonize", "no")
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("unix", sock)
		if err == nil {
			t.Cleanup(func() { c.Close() })
			return &redisConn{c: c, r: bufio.NewReader(c)}
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
			t.Fatalf("redis-server did not start: %v\n%s", err, log)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestInterop_Config(t *testing.T) {
	bin := redisServerPath(t)
	tmp := t.TempDir()
	rc := startRedis(t, bin, tmp)

	reply, err := rc.do("CONFIG", "GET", "*")
	if err != nil {
		t.Fatal(err)
	}
	all := reply.([]any)
	redis := make(map[string]string)
	for i := 0; i+1 < len(all); i += 2 {
		redis[all[i].(string)] = all[i+1].(string)
	}
	if _, ok := redis["port"]; !ok {
		t.Fatalf("CONFIG GET * = %q", all)
	}
	if !strings.Contains(mustVersion(t, rc), "7.0.") {
		t.Log("redis-server is not 7.0: its directives may differ from the recorded ones")
	}

	t.Run("defaults", func(t *testing.T) {
		compareWithRedis(t, redis, "0")
	})

	t.Run("mutable", func(t *testing.T) {
		for name, val := range redis {
			_, err := rc.do("CONFIG", "SET", name, val)
			redisImmutable := err != nil && strings.Contains(err.Error(), "can't set immutable config")
			i, ok := table.lookup(name)
			if !ok {
				continue // reported by defaults
			}
			if d := table.rows[i]; d.Mutable == redisImmutable {
				t.Errorf("%s: cobble says mutable %v, Redis's CONFIG SET says %v", name, d.Mutable, err)
			}
		}
	})

	t.Run("bad sets", func(t *testing.T) {
		for _, tt := range badSets {
			if tt.cobble {
				continue
			}
			args := append([]string{"CONFIG", "SET"}, tt.pairs...)
			_, err := rc.do(args...)
			if want := "ERR " + tt.err; err == nil || err.Error() != want {
				t.Errorf("CONFIG SET %q: Redis says %v, cobble %s", tt.pairs, err, want)
			}
		}
	})
}

func mustVersion(t *testing.T, rc *redisConn) string {
	t.Helper()
	info, err := rc.do("INFO", "server")
	if err != nil {
		t.Fatal(err)
	}
	s, _ := info.(string)
	for _, l := range strings.Split(s, "\r\n") {
		if v, ok := strings.CutPrefix(l, "redis_version:"); ok {
			return v
		}
	}
	return ""
}

func TestInterop_Rewrite(t *testing.T) {
	bin := redisServerPath(t)
	tmp := t.TempDir()
	sock := filepath.Join(tmp, "redis.sock")
	text := strings.Join([]string{
		"# Written for CONFIG REWRITE",
		"port 0",
		"unixsocket " + sock,
		"logfile " + filepath.Join(tmp, "redis.log"),
		"dir " + tmp,
		"daemonize no",
		"",
		"   # save rules",
		"save 900 1",
		"save 300 10",
		"slave-priority 50",
		"maxmemory 100mb",
		"maxmemory 200mb",
		"client-output-buffer-limit normal 0 0 0",
		"client-output-buffer-limit replica 256mb 64mb 60",
		"client-output-buffer-limit pubsub 32mb 8mb 60",
		"latency-tracking-info-percentiles 50 99 99.9",
		"appendfsync everysec",
		"hz 10",
		`notify-keyspace-events ""`,
		"bind 127.0.0.1",
		"",
		"",
		"# end",
		"",
	}, "\n")
	set := []string{"maxmemory", "1gb", "appendfsync", "always", "hz", "20", "client-output-buffer-limit", "pubsub 64mb 16mb 90",
		"save", "3600 1", "replica-priority", "60", "notify-keyspace-events", "KEA"}

	redisFile := filepath.Join(tmp, "redis.conf")
	writeConf(t, redisFile, text)
	cmd := exec.Command(bin, redisFile)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	var rc *redisConn
	for deadline := time.Now().Add(5 * time.Second); rc == nil; {
		if c, err := net.Dial("unix", sock); err == nil {
			t.Cleanup(func() { c.Close() })
			rc = &redisConn{c: c, r: bufio.NewReader(c)}
		} else if time.Now().After(deadline) {
			t.Fatal("redis-server did not start:", err)
		} else {
			time.Sleep(10 * time.Millisecond)
		}
	}
	if _, err := rc.do(append([]string{"CONFIG", "SET"}, set...)...); err != nil {
		t.Fatal(err)
	}
	if _, err := rc.do("CONFIG", "REWRITE"); err != nil {
		t.Fatal(err)
	}

	cobbleFile := filepath.Join(tmp, "cobble.conf")
	writeConf(t, cobbleFile, text)
	c, err := Load([]string{cobbleFile})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Set(set...); err != nil {
		t.Fatal(err)
	}
	if err := c.Rewrite(); err != nil {
		t.Fatal(err)
	}

	// Redis also writes its ACL users, which cobble does not have yet.
	var redisLines []string
	for _, l := range strings.Split(readConf(t, redisFile), "\n") {
		if !strings.HasPrefix(l, "user ") {
			redisLines = append(redisLines, l)
		}
	}
	want := strings.TrimSuffix(strings.Join(redisLines, "\n"), "\n\n# Generated by CONFIG REWRITE\n")
	got := strings.TrimSuffix(readConf(t, cobbleFile), "\n")
	if got != want {
		t.Errorf("cobble rewrote\n%s\nRedis rewrote\n%s", got, want)
	}
}
