package main

// Multi-process tests: they build the cobble-server binary once and run it
// as users do, with a redis.conf, then kill -9 it and restart it.
//
// Failure cases covered: kill -9 at random moments during a concurrent
// write load with appendfsync always (no acknowledged write may be lost),
// restart after a clean SHUTDOWN, daemonize + pidfile, config errors.

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "cobble-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binPath = filepath.Join(dir, "cobble-server")
	out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "building cobble-server: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// freePort returns a port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// proc is a running cobble-server process.
type proc struct {
	cmd  *exec.Cmd
	port int
	log  string
}

// startProc runs the binary with a config file and waits until it answers.
func startProc(t *testing.T, conf string, port int, extra ...string) *proc {
	t.Helper()
	dir := filepath.Dir(conf)
	logPath := filepath.Join(dir, "server.log")
	args := append([]string{conf}, extra...)
	cmd := exec.Command(binPath, args...)
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	p := &proc{cmd: cmd, port: port, log: logPath}
	t.Cleanup(func() { p.kill() })
	waitFor(t, 20*time.Second, func() error {
		c := p.client()
		defer c.Close()
		return c.Ping(context.Background()).Err()
	}, p)
	return p
}

func (p *proc) client() *redis.Client {
	return redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", p.port), Protocol: 2,
		DisableIdentity: true, MaxRetries: -1, DialTimeout: time.Second, ReadTimeout: 5 * time.Second})
}

// kill sends SIGKILL and reaps the process.
func (p *proc) kill() {
	if p.cmd.ProcessState == nil {
		p.cmd.Process.Kill()
		p.cmd.Wait()
	}
}

func waitFor(t *testing.T, d time.Duration, f func() error, p *proc) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			logText := ""
			if p != nil {
				b, _ := os.ReadFile(p.log)
				logText = string(b)
			}
			t.Fatalf("timed out: %v\n%s", err, logText)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func writeConf(t *testing.T, dir string, lines ...string) string {
	t.Helper()
	path := filepath.Join(dir, "redis.conf")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCrash_KillNineLosesNoAcknowledgedWrite kills the server with SIGKILL
// in the middle of a concurrent write load, over and over, and checks after
// each restart that every acknowledged write is there.
func TestCrash_KillNineLosesNoAcknowledgedWrite(t *testing.T) {
	cycles := 20
	if testing.Short() {
		cycles = 5
	}
	dir := t.TempDir()
	port := freePort(t)
	conf := writeConf(t, dir, "port "+strconv.Itoa(port), "bind 127.0.0.1", "dir "+dir,
		"appendonly yes", "appendfsync always")
	ctx := context.Background()
	acked := map[string]string{}    // key → last acknowledged value
	inflight := map[string]string{} // key → a write in flight at the kill (may or may not be there)
	var counterAcked int64
	for cycle := range cycles {
		p := startProc(t, conf, port)
		c := p.client()
		// Everything acknowledged before must be there.
		for k, v := range acked {
			got, err := c.Get(ctx, k).Result()
			if err != nil || (got != v && got != inflight[k]) {
				t.Fatalf("cycle %d: key %s = %q (%v), acknowledged %q", cycle, k, got, err, v)
			}
			acked[k] = got
		}
		for k, v := range inflight {
			if _, ok := acked[k]; !ok {
				if got, err := c.Get(ctx, k).Result(); err == nil && got == v {
					acked[k] = got
				}
			}
		}
		inflight = map[string]string{}
		if n, err := c.Get(ctx, "counter").Int64(); counterAcked > 0 && (err != nil || n < counterAcked) {
			t.Fatalf("cycle %d: counter = %d (%v), acknowledged %d", cycle, n, err, counterAcked)
		} else if err == nil {
			counterAcked = n
		}
		// Concurrent writers, each on its own keys; the kill lands while
		// they run.
		type result struct {
			acked    map[string]string
			inflight [2]string
			counter  int64
		}
		results := make(chan result)
		stop := make(chan struct{})
		const writers = 8
		for w := range writers {
			go func() {
				res := result{acked: map[string]string{}}
				defer func() { results <- res }()
				wc := p.client()
				defer wc.Close()
				for i := 0; ; i++ {
					select {
					case <-stop:
						return
					default:
					}
					k := fmt.Sprintf("k:%d:%d", w, i%500)
					v := fmt.Sprintf("c%d-i%d", cycle, i)
					res.inflight = [2]string{k, v}
					if err := wc.Set(ctx, k, v, 0).Err(); err != nil {
						return
					}
					res.acked[k] = v
					res.inflight = [2]string{}
					n, err := wc.Incr(ctx, "counter").Result()
					if err != nil {
						return
					}
					res.counter = n
				}
			}()
		}
		time.Sleep(time.Duration(50+cycle*37%200) * time.Millisecond) // the kill time varies per cycle
		p.kill()
		close(stop)
		for range writers {
			r := <-results
			for k, v := range r.acked {
				acked[k] = v
			}
			if r.inflight[0] != "" {
				inflight[r.inflight[0]] = r.inflight[1]
			}
			counterAcked = max(counterAcked, r.counter)
		}
		c.Close()
	}
	if len(acked) == 0 {
		t.Fatal("no write was ever acknowledged")
	}
	// A final clean start must see everything too.
	p := startProc(t, conf, port)
	c := p.client()
	defer c.Close()
	for k, v := range acked {
		if got, _ := c.Get(ctx, k).Result(); got != v && got != inflight[k] {
			t.Fatalf("final: %s = %q, want %q", k, got, v)
		}
	}
	t.Logf("%d cycles, %d keys, counter %d", cycles, len(acked), counterAcked)
}

// TestShutdown_RestartReplaysNothing checks a clean SHUTDOWN leaves a
// keyspace that needs no replay, and that data survives it.
func TestShutdown_RestartKeepsData(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	conf := writeConf(t, dir, "port "+strconv.Itoa(port), "bind 127.0.0.1", "dir "+dir)
	p := startProc(t, conf, port)
	c := p.client()
	ctx := context.Background()
	for i := range 1000 {
		c.Set(ctx, fmt.Sprint("key", i), i, 0)
	}
	c.Do(ctx, "SHUTDOWN")
	c.Close()
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("exit after SHUTDOWN: %v", err)
	}
	p = startProc(t, conf, port)
	c = p.client()
	defer c.Close()
	if n, _ := c.DBSize(ctx).Result(); n != 1000 {
		t.Fatalf("DBSIZE after restart = %d", n)
	}
}

func TestDaemonize_WritesPidfile(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	pidfile := filepath.Join(dir, "cobble.pid")
	conf := writeConf(t, dir, "port "+strconv.Itoa(port), "bind 127.0.0.1", "dir "+dir,
		"daemonize yes", "pidfile "+pidfile, "logfile "+filepath.Join(dir, "daemon.log"))
	out, err := exec.Command(binPath, conf).CombinedOutput()
	if err != nil {
		t.Fatalf("daemonize: %v %s", err, out)
	}
	var pid int
	waitFor(t, 20*time.Second, func() error {
		b, err := os.ReadFile(pidfile)
		if err != nil {
			return err
		}
		pid, err = strconv.Atoi(strings.TrimSpace(string(b)))
		return err
	}, nil)
	proc, _ := os.FindProcess(pid)
	defer proc.Kill()
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", port), Protocol: 2, DisableIdentity: true})
	defer c.Close()
	waitFor(t, 20*time.Second, func() error { return c.Ping(context.Background()).Err() }, nil)
	c.Do(context.Background(), "SHUTDOWN")
	waitFor(t, 20*time.Second, func() error {
		if _, err := os.Stat(pidfile); err == nil {
			return fmt.Errorf("pidfile still there")
		}
		return nil
	}, nil)
}

func TestConfig_ErrorsStopTheStart(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		lines []string
		want  string
	}{
		{[]string{"port 6379", "no-such-directive yes"}, "Bad directive or wrong number of arguments"},
		{[]string{"cluster-enabled yes"}, "cluster-enabled"},
		{[]string{"appendfsync sometimes"}, "appendfsync"},
	} {
		conf := writeConf(t, dir, tc.lines...)
		out, err := exec.Command(binPath, conf).CombinedOutput()
		if err == nil {
			t.Fatalf("%v: started", tc.lines)
		}
		if !strings.Contains(string(out), tc.want) {
			t.Fatalf("%v: output %q lacks %q", tc.lines, out, tc.want)
		}
	}
}
