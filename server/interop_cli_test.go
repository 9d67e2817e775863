package server_test

// Interop with Debian's real redis-cli and redis-benchmark. They run in CI
// (.ci/run installs redis-tools); locally the tests skip when the binaries
// are missing.

import (
	"bytes"
	"fmt"
	"os/exec"
	"strings"
	"testing"

	"github.com/cobbledb/cobble/server/servertest"
)

func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if isCI() {
			t.Fatalf("%s not installed in CI", name)
		}
		t.Skipf("%s not installed: apt-get install redis-tools", name)
	}
	return p
}

func hostPort(addr string) (string, string) {
	i := strings.LastIndexByte(addr, ':')
	return addr[:i], addr[i+1:]
}

func TestInterop_RedisCLI(t *testing.T) {
	cli := needTool(t, "redis-cli")
	n := servertest.Start(t)
	h, p := hostPort(n.Addr)
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(cli, append([]string{"-h", h, "-p", p}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %v: %v %s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	if got := run("set", "k", "v"); got != "OK" {
		t.Fatalf("set: %q", got)
	}
	if got := run("get", "k"); got != "v" {
		t.Fatalf("get: %q", got)
	}
	if got := run("incrby", "n", "5"); got != "(integer) 5" && got != "5" {
		t.Fatalf("incrby: %q", got)
	}
	if got := run("get", "missing"); got != "" && got != "(nil)" {
		t.Fatalf("get missing: %q", got)
	}
	if got := run("ping"); got != "PONG" {
		t.Fatalf("ping: %q", got)
	}
	// Mass insertion with --pipe: 100k SETs in the RESP protocol.
	var buf bytes.Buffer
	for i := range 100000 {
		k, v := fmt.Sprint("pipe:", i), fmt.Sprint("value:", i)
		fmt.Fprintf(&buf, "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", len(k), k, len(v), v)
	}
	cmd := exec.Command(cli, "-h", h, "-p", p, "--pipe")
	cmd.Stdin = &buf
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("--pipe: %v %s", err, out)
	}
	if !strings.Contains(string(out), "errors: 0, replies: 100000") {
		t.Fatalf("--pipe output: %s", out)
	}
	if got := run("dbsize"); got != "100002" && got != "(integer) 100002" {
		t.Fatalf("dbsize after --pipe: %q", got)
	}
	if got := run("get", "pipe:99999"); got != "value:99999" {
		t.Fatalf("get after --pipe: %q", got)
	}
}

func TestInterop_RedisBenchmark(t *testing.T) {
	bench := needTool(t, "redis-benchmark")
	n := servertest.Start(t)
	h, p := hostPort(n.Addr)
	out, err := exec.Command(bench, "-h", h, "-p", p, "-t", "set,get", "-n", "100000", "-q").CombinedOutput()
	if err != nil {
		t.Fatalf("redis-benchmark: %v %s", err, out)
	}
	s := string(out)
	if strings.Contains(s, "ERR") || !strings.Contains(s, "SET:") || !strings.Contains(s, "GET:") {
		t.Fatalf("redis-benchmark output: %s", s)
	}
	t.Log(strings.TrimSpace(s[strings.LastIndex(s, "\r")+1:]))
	if v, _ := n.Client.Get(ctx, "key:__rand_int__").Result(); len(v) != 3 { // -d default: 3 bytes
		t.Fatalf("benchmark value = %q", v)
	}
}
