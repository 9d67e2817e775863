// Package servertest starts in-process cobble nodes for tests, in the
// spirit of net/http/httptest: random port on 127.0.0.1, data in
// t.TempDir(), logs to t.Log, cleanup registered with t.Cleanup.
package servertest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cobbledb/cobble/server"
	"github.com/cobbledb/cobble/server/config"
)

// Node is a running in-process server.
type Node struct {
	t      testing.TB
	Dir    string
	Addr   string
	Server *server.Server
	Client *redis.Client
	conf   []string
	hooks  server.Hooks
}

// Option changes how a node starts.
type Option func(*Node)

// Config adds redis.conf lines (e.g. "appendfsync always").
func Config(lines ...string) Option {
	return func(n *Node) { n.conf = append(n.conf, lines...) }
}

// WithHooks sets the server's hooks.
func WithHooks(h server.Hooks) Option { return func(n *Node) { n.hooks = h } }

// Start starts a node and a go-redis client for it (RESP2, no client
// identity, so tests see plain replies).
func Start(t testing.TB, opts ...Option) *Node {
	t.Helper()
	n := &Node{t: t, Dir: t.TempDir()}
	for _, o := range opts {
		o(n)
	}
	n.start()
	t.Cleanup(n.Stop)
	return n
}

func (n *Node) start() {
	t := n.t
	t.Helper()
	text := fmt.Sprintf("port 0\nbind 127.0.0.1\ndir %q\n%s\n", n.Dir, strings.Join(n.conf, "\n"))
	cfg, err := config.Parse(strings.NewReader(text), "servertest.conf")
	if err != nil {
		t.Fatalf("servertest: config: %v", err)
	}
	s, err := server.New(cfg, slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelWarn})), n.hooks)
	if err != nil {
		t.Fatalf("servertest: start: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("servertest: listen: %v", err)
	}
	go s.Serve(ln)
	n.Server = s
	n.Addr = ln.Addr().String()
	n.Client = n.NewClient()
}

// NewClient returns a new go-redis client for the node; it is closed with
// the node.
func (n *Node) NewClient() *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: n.Addr, Protocol: 2, DisableIdentity: true,
		MaxRetries: -1, ReadTimeout: 10 * time.Second, PoolSize: 8})
	n.t.Cleanup(func() { c.Close() })
	return c
}

// Stop closes the client and the server.
func (n *Node) Stop() {
	if n.Server == nil {
		return
	}
	n.Client.Close()
	if err := n.Server.Close(); err != nil {
		n.t.Errorf("servertest: close: %v", err)
	}
	n.Server = nil
}

// Restart stops the node and starts it again on the same directory.
func (n *Node) Restart() {
	n.t.Helper()
	n.Stop()
	n.start()
}

// Do runs a raw command and returns its result.
func (n *Node) Do(args ...any) (any, error) {
	return n.Client.Do(context.Background(), args...).Result()
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
