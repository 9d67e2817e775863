package server_test

import (
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cobbledb/cobble/server/servertest"
)

func TestTxn_MultiExec(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "a", "1", 0)
		p.Incr(ctx, "a")
		p.Get(ctx, "a")
		return nil
	})
	if err != nil || len(cmds) != 3 || cmds[2].(*redis.StringCmd).Val() != "2" {
		t.Fatalf("EXEC = %v %v", cmds, err)
	}
	// A queuing error dooms the transaction.
	conn := c.Conn()
	defer conn.Close()
	conn.Do(ctx, "MULTI")
	conn.Do(ctx, "SET", "b", "1")
	wantErr(t, conn.Do(ctx, "SET").Err(), "ERR wrong number of arguments for 'set' command")
	wantErr(t, conn.Do(ctx, "EXEC").Err(), "EXECABORT Transaction discarded because of previous errors.")
	if c.Exists(ctx, "b").Val() != 0 {
		t.Fatal("aborted transaction wrote")
	}
	wantErr(t, conn.Do(ctx, "EXEC").Err(), "ERR EXEC without MULTI")
	wantErr(t, conn.Do(ctx, "DISCARD").Err(), "ERR DISCARD without MULTI")
	conn.Do(ctx, "MULTI")
	wantErr(t, conn.Do(ctx, "MULTI").Err(), "ERR MULTI calls can not be nested")
	wantErr(t, conn.Do(ctx, "WATCH", "x").Err(), "ERR WATCH inside MULTI is not allowed")
	conn.Do(ctx, "SET", "c", "1")
	if v, _ := conn.Do(ctx, "DISCARD").Text(); v != "OK" {
		t.Fatal("DISCARD")
	}
	if c.Exists(ctx, "c").Val() != 0 {
		t.Fatal("discarded transaction wrote")
	}
	// A runtime error inside EXEC does not stop the others.
	conn.Do(ctx, "SET", "s", "str")
	conn.Do(ctx, "MULTI")
	conn.Do(ctx, "INCR", "s")
	conn.Do(ctx, "SET", "d", "1")
	res, err := conn.Do(ctx, "EXEC").Slice()
	if err != nil || len(res) != 2 || res[1] != "OK" {
		t.Fatalf("EXEC with a failing command = %v %v", res, err)
	}
	if e, ok := res[0].(error); !ok || e.Error() != "ERR value is not an integer or out of range" {
		t.Fatalf("EXEC error element = %v", res[0])
	}
}

func TestTxn_Watch(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	other := n.NewClient()
	c.Set(ctx, "w", "1", 0)
	// Touched by another client: EXEC aborts (go-redis: TxFailedErr).
	err := c.Watch(ctx, func(tx *redis.Tx) error {
		other.Set(ctx, "w", "2", 0)
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "w", "mine", 0)
			return nil
		})
		return err
	}, "w")
	if !errors.Is(err, redis.TxFailedErr) {
		t.Fatalf("WATCH after a foreign write: %v", err)
	}
	if v := c.Get(ctx, "w").Val(); v != "2" {
		t.Fatalf("w = %q", v)
	}
	// Untouched: EXEC runs.
	err = c.Watch(ctx, func(tx *redis.Tx) error {
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "w", "mine", 0)
			return nil
		})
		return err
	}, "w")
	if err != nil || c.Get(ctx, "w").Val() != "mine" {
		t.Fatalf("WATCH untouched: %v", err)
	}
	// FLUSHALL touches every watched key.
	err = c.Watch(ctx, func(tx *redis.Tx) error {
		other.FlushAll(ctx)
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "w", "x", 0)
			return nil
		})
		return err
	}, "w")
	if !errors.Is(err, redis.TxFailedErr) {
		t.Fatalf("WATCH across FLUSHALL: %v", err)
	}
	// A watched key that expires aborts too.
	c.Set(ctx, "e", "1", 50*time.Millisecond)
	err = c.Watch(ctx, func(tx *redis.Tx) error {
		deadline := time.Now().Add(5 * time.Second)
		for other.Exists(ctx, "e").Val() == 1 && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		_, err := tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, "e", "x", 0)
			return nil
		})
		return err
	}, "e")
	if !errors.Is(err, redis.TxFailedErr) {
		t.Fatalf("WATCH of an expiring key: %v", err)
	}
	// UNWATCH forgets.
	conn := c.Conn()
	defer conn.Close()
	conn.Do(ctx, "WATCH", "u")
	other.Set(ctx, "u", "1", 0)
	conn.Do(ctx, "UNWATCH")
	conn.Do(ctx, "MULTI")
	conn.Do(ctx, "SET", "u", "2")
	if res, err := conn.Do(ctx, "EXEC").Slice(); err != nil || len(res) != 1 {
		t.Fatalf("EXEC after UNWATCH = %v %v", res, err)
	}
}

func TestTxn_LoggedAtomically(t *testing.T) {
	n := servertest.Start(t)
	c := n.Client
	c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "x", "1", 0)
		p.Select(ctx, 2)
		p.Set(ctx, "y", "2", 0)
		return nil
	})
	n.Restart()
	c = n.Client
	if c.Get(ctx, "x").Val() != "1" {
		t.Fatal("x lost")
	}
	conn := c.Conn()
	defer conn.Close()
	conn.Do(ctx, "SELECT", "2")
	if v, _ := conn.Get(ctx, "y").Result(); v != "2" {
		t.Fatalf("y in db 2 = %q", v)
	}
}

// TestTxn_WatchWholeDB checks WATCH against FLUSHDB, FLUSHALL and SWAPDB
// as Redis has it: they touch the watched keys that exist (or, for
// SWAPDB, that the other db brings in), not every watched key.
func TestTxn_WatchWholeDB(t *testing.T) {
	n := servertest.Start(t)
	conn := n.Client.Conn()
	defer conn.Close()
	other := n.NewClient().Conn()
	defer other.Close()
	// exec runs WATCH key, then change on another client, then MULTI PING
	// EXEC, and reports whether EXEC ran.
	exec := func(key string, change func()) bool {
		t.Helper()
		if err := conn.Do(ctx, "WATCH", key).Err(); err != nil {
			t.Fatal(err)
		}
		change()
		conn.Do(ctx, "MULTI")
		conn.Do(ctx, "PING")
		v, err := conn.Do(ctx, "EXEC").Result()
		if errors.Is(err, redis.Nil) {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		return len(v.([]any)) == 1
	}
	if !exec("x", func() { other.FlushAll(ctx) }) {
		t.Error("FLUSHALL aborted EXEC watching a missing key")
	}
	if !exec("x", func() { other.FlushDB(ctx) }) {
		t.Error("FLUSHDB aborted EXEC watching a missing key")
	}
	other.Set(ctx, "x", "1", 0)
	if exec("x", func() { other.FlushDB(ctx) }) {
		t.Error("FLUSHDB did not abort EXEC watching an existing key")
	}
	other.Do(ctx, "SELECT", "1")
	other.Set(ctx, "y", "1", 0)
	if exec("y", func() { other.Do(ctx, "SWAPDB", "0", "1") }) {
		t.Error("SWAPDB bringing in a watched key did not abort EXEC")
	}
	if !exec("z", func() { other.Do(ctx, "SWAPDB", "0", "1") }) {
		t.Error("SWAPDB aborted EXEC watching a key missing from both dbs")
	}
}
