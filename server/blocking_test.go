package server_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cobbledb/cobble/server/servertest"
)

// waitBlocked polls INFO clients until n clients are blocked.
func waitBlocked(t *testing.T, c *redis.Client, n int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	want := fmt.Sprintf("blocked_clients:%d", n)
	for {
		info := c.Info(ctx, "clients").Val()
		if containsLine(info, want) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("never saw %s in %s", want, info)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func containsLine(text, line string) bool {
	for _, l := range splitLines(text) {
		if l == line {
			return true
		}
	}
	return false
}

func splitLines(s string) []string {
	var out []string
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			l := s[start:i]
			if len(l) > 0 && l[len(l)-1] == '\r' {
				l = l[:len(l)-1]
			}
			out = append(out, l)
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func TestBlocking_ServedByPushFromAnotherClient(t *testing.T) {
	n := servertest.Start(t)
	waiter := n.NewClient()
	res := make(chan []string, 1)
	go func() {
		v, err := waiter.BLPop(ctx, 0, "q1", "q2").Result()
		if err != nil {
			t.Error(err)
		}
		res <- v
	}()
	waitBlocked(t, n.Client, 1)
	n.Client.RPush(ctx, "q2", "job")
	select {
	case v := <-res:
		if len(v) != 2 || v[0] != "q2" || v[1] != "job" {
			t.Fatalf("BLPOP = %v", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("BLPOP not served")
	}
	if l := n.Client.LLen(ctx, "q2").Val(); l != 0 {
		t.Fatalf("element served and still in the list: %d", l)
	}
	// The log holds LPOP, so a restart agrees.
	n.Restart()
	if e := n.Client.Exists(ctx, "q2").Val(); e != 0 {
		t.Fatal("popped element back after restart")
	}
}

func TestBlocking_TimeoutAndImmediate(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	start := time.Now()
	if err := c.Do(ctx, "BLPOP", "empty", "0.1").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("BLPOP timeout = %v", err)
	}
	if d := time.Since(start); d < 90*time.Millisecond || d > 3*time.Second {
		t.Fatalf("BLPOP timeout took %v", d)
	}
	if err := c.Do(ctx, "BLMOVE", "empty", "dst", "LEFT", "RIGHT", "0.05").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("BLMOVE timeout = %v", err)
	}
	c.RPush(ctx, "l", "a", "b")
	if v, _ := c.BRPop(ctx, time.Second, "l").Result(); len(v) != 2 || v[1] != "b" {
		t.Fatalf("BRPOP = %v", v)
	}
	if v, _ := c.BLMove(ctx, "l", "m", "LEFT", "RIGHT", time.Second).Result(); v != "a" {
		t.Fatalf("BLMOVE = %v", v)
	}
	c.ZAdd(ctx, "z", redis.Z{Score: 1, Member: "one"}, redis.Z{Score: 2, Member: "two"})
	if v, _ := c.BZPopMin(ctx, time.Second, "z").Result(); v == nil || v.Member != "one" || v.Score != 1 {
		t.Fatalf("BZPOPMIN = %v", v)
	}
	if k, vals, _ := c.BLMPop(ctx, time.Second, "left", 5, "nothing", "m").Result(); k != "m" || len(vals) != 1 {
		t.Fatalf("BLMPOP = %v %v", k, vals)
	}
	wantErr(t, c.Do(ctx, "BLPOP", "l", "-1").Err(), "ERR timeout is negative")
	wantErr(t, c.Do(ctx, "BLPOP", "l", "abc").Err(), "ERR timeout is not a float or out of range")
	c.Set(ctx, "s", "x", 0)
	wantErr(t, c.Do(ctx, "BLPOP", "s", "0").Err(), "WRONGTYPE Operation against a key holding the wrong kind of value")
	// Inside MULTI nothing blocks.
	cmds, _ := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Do(ctx, "BLPOP", "empty", "0")
		return nil
	})
	if err := cmds[0].Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("BLPOP in MULTI = %v", err)
	}
}

func TestBlocking_FairnessInArrivalOrder(t *testing.T) {
	n := servertest.Start(t)
	got := make(chan string, 3)
	for i := range 3 {
		w := n.NewClient()
		go func() {
			v, err := w.BLPop(ctx, 0, "fair").Result()
			if err == nil {
				got <- fmt.Sprintf("%d:%s", i, v[1])
			}
		}()
		waitBlocked(t, n.Client, i+1)
	}
	for i := range 3 {
		n.Client.RPush(ctx, "fair", fmt.Sprint("e", i))
		select {
		case v := <-got:
			if v != fmt.Sprintf("%d:e%d", i, i) {
				t.Fatalf("served %s, want client %d first", v, i)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("not served")
		}
	}
}

func TestBlocking_ClientGoneLosesNothing(t *testing.T) {
	n := servertest.Start(t)
	nc, _ := rawConn(t, n.Addr)
	nc.Write([]byte("BLPOP gone 0\r\n"))
	waitBlocked(t, n.Client, 1)
	nc.Close()
	waitBlocked(t, n.Client, 0)
	n.Client.RPush(ctx, "gone", "precious")
	if v := n.Client.LRange(ctx, "gone", 0, -1).Val(); len(v) != 1 || v[0] != "precious" {
		t.Fatalf("element lost to a vanished client: %v", v)
	}
	// CLIENT KILL of a blocked client: the same.
	// A raw connection: go-redis would retry the BLPOP on a new connection
	// after the kill and block again.
	victim, _ := rawConn(t, n.Addr)
	victim.Write([]byte("BLPOP killed 0\r\n"))
	waitBlocked(t, n.Client, 1)
	var id int64
	for _, line := range splitLines(n.Client.ClientList(ctx).Val()) {
		var cid int64
		if _, err := fmt.Sscanf(line, "id=%d", &cid); err == nil && containsField(line, "flags=b") {
			id = cid
		}
	}
	if id == 0 {
		t.Fatal("blocked client not in CLIENT LIST with flag b")
	}
	if err := n.Client.ClientKillByFilter(ctx, "ID", fmt.Sprint(id)).Err(); err != nil {
		t.Fatal(err)
	}
	waitBlocked(t, n.Client, 0)
	n.Client.RPush(ctx, "killed", "x")
	if v := n.Client.LLen(ctx, "killed").Val(); v != 1 {
		t.Fatalf("LLEN after kill = %d", v)
	}
}

func containsField(line, field string) bool {
	for i := 0; i+len(field) <= len(line); i++ {
		if line[i:i+len(field)] == field && (i == 0 || line[i-1] == ' ') {
			return true
		}
	}
	return false
}

// TestBlocking_ChainServedBeforeReply checks that blocked clients woken by
// a push, and those woken by what they pushed in turn, are all served
// before the pushing client gets its reply, as in Redis.
func TestBlocking_ChainServedBeforeReply(t *testing.T) {
	n := servertest.Start(t)
	done := make(chan error, 2)
	go func() { done <- n.NewClient().BLMove(ctx, "l1", "l2", "RIGHT", "LEFT", 0).Err() }()
	waitBlocked(t, n.Client, 1)
	go func() { done <- n.NewClient().BLMove(ctx, "l2", "l3", "LEFT", "RIGHT", 0).Err() }()
	waitBlocked(t, n.Client, 2)
	n.Client.RPush(ctx, "l1", "foo")
	for _, k := range []string{"l1", "l2"} {
		if l := n.Client.LLen(ctx, k).Val(); l != 0 {
			t.Fatalf("LLEN %s = %d right after the push, want 0", k, l)
		}
	}
	if v := n.Client.LRange(ctx, "l3", 0, -1).Val(); len(v) != 1 || v[0] != "foo" {
		t.Fatalf("l3 = %v right after the push", v)
	}
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
}

// TestBlocking_WrongTypeKeepsWaiting checks that a parked pop whose key
// becomes another type keeps waiting (Redis serves a blocked client only
// from a key of the type it waits for), is counted once in commandstats,
// and that CLIENT UNBLOCK releases it.
func TestBlocking_WrongTypeKeepsWaiting(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	c.ConfigResetStat(ctx)
	waiter := n.NewClient()
	res := make(chan []string, 1)
	go func() { res <- waiter.BLPop(ctx, 0, "list").Val() }()
	waitBlocked(t, c, 1)
	pipe := c.TxPipeline()
	pipe.LPush(ctx, "list", "a")
	pipe.Del(ctx, "list")
	pipe.Set(ctx, "list", "foo", 0)
	if _, err := pipe.Exec(ctx); err != nil {
		t.Fatal(err)
	}
	waitBlocked(t, c, 1)
	c.Del(ctx, "list")
	c.LPush(ctx, "list", "b")
	select {
	case v := <-res:
		if len(v) != 2 || v[1] != "b" {
			t.Fatalf("BLPOP = %v", v)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("BLPOP not served")
	}
	if s := c.Info(ctx, "commandstats").Val(); !containsPrefix(s, "cmdstat_blpop:calls=1,") {
		t.Fatalf("BLPOP not counted once: %s", s)
	}

	id := waiter.ClientID(ctx).Val()
	wantInt(t, "CLIENT UNBLOCK of a client not blocked", c.Do(ctx, "CLIENT", "UNBLOCK", id).Val().(int64), nil, 0)
	errc := make(chan error, 1)
	go func() { errc <- waiter.BLPop(ctx, 0, "nothing").Err() }()
	waitBlocked(t, c, 1)
	wantErr(t, c.Do(ctx, "CLIENT", "UNBLOCK", id, "NOW").Err(), "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
	wantInt(t, "CLIENT UNBLOCK ERROR", c.Do(ctx, "CLIENT", "UNBLOCK", id, "ERROR").Val().(int64), nil, 1)
	wantErr(t, <-errc, "UNBLOCKED client unblocked via CLIENT UNBLOCK")
	wantErr(t, c.Do(ctx, "BLPOP", "l", "0x7FFFFFFFFFFFFF").Err(), "ERR timeout is out of range")
}

func containsPrefix(text, prefix string) bool {
	for _, l := range splitLines(text) {
		if len(l) >= len(prefix) && l[:len(prefix)] == prefix {
			return true
		}
	}
	return false
}
