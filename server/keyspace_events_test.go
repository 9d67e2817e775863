package server_test

// Keyspace notifications of the list, sorted set and SORT commands, with
// notify-keyspace-events KEA: each command's event names as Redis 7 raises
// them, in Redis's order, "del" when a command empties a key, and nothing
// when a command changes nothing.

import (
	"strings"
	"testing"

	"github.com/cobbledb/cobble/server/servertest"
)

func TestKeyspaceEvents_ListsZSetsSort(t *testing.T) {
	n := servertest.Start(t, servertest.Config("notify-keyspace-events KEA"))
	c := n.Client
	ps := n.NewClient().PSubscribe(ctx, "__keyevent@0__:*")
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	// events runs a command and returns the events it raised, as
	// "event key", up to a marker published after it.
	events := func(args ...any) string {
		t.Helper()
		c.Do(ctx, args...)
		c.Publish(ctx, "__keyevent@0__:mark", "end")
		var got []string
		for {
			m := receive(t, ps)
			ev := strings.TrimPrefix(m.Channel, "__keyevent@0__:")
			if ev == "mark" {
				return strings.Join(got, ", ")
			}
			got = append(got, ev+" "+m.Payload)
		}
	}
	steps := []struct {
		cmd  []any
		want string
	}{
		{[]any{"RPUSH", "l", "a", "b", "c"}, "rpush l"},
		{[]any{"LPUSHX", "nol", "a"}, ""},
		{[]any{"LPUSH", "l", "x"}, "lpush l"},
		{[]any{"LPOP", "l", "0"}, ""},
		{[]any{"LPOP", "l"}, "lpop l"},
		{[]any{"LSET", "l", "0", "A"}, "lset l"},
		{[]any{"LINSERT", "l", "BEFORE", "nope", "x"}, ""},
		{[]any{"LINSERT", "l", "AFTER", "A", "B"}, "linsert l"},
		{[]any{"LREM", "l", "0", "B"}, "lrem l"},
		{[]any{"LTRIM", "l", "0", "-1"}, "ltrim l"}, // even when nothing is dropped
		{[]any{"LMOVE", "l", "l2", "LEFT", "RIGHT"}, "rpush l2, lpop l"},
		{[]any{"RPOPLPUSH", "l", "l2"}, "lpush l2, rpop l"},
		{[]any{"RPOPLPUSH", "l", "l2"}, "lpush l2, rpop l, del l"},
		{[]any{"LMPOP", "1", "l2", "RIGHT", "COUNT", "5"}, "rpop l2, del l2"},
		{[]any{"BLPOP", "nol", "l3", "0.01"}, ""},
		{[]any{"ZADD", "z", "1", "a", "2", "b", "3", "c"}, "zadd z"},
		{[]any{"ZADD", "z", "1", "a"}, ""},
		{[]any{"ZADD", "z", "INCR", "1", "a"}, "zincr z"},
		{[]any{"ZINCRBY", "z", "0", "a"}, ""},
		{[]any{"ZREM", "z", "nope"}, ""},
		{[]any{"ZREM", "z", "c"}, "zrem z"},
		{[]any{"ZREMRANGEBYSCORE", "z", "5", "10"}, ""},
		{[]any{"ZREMRANGEBYRANK", "z", "0", "0"}, "zremrangebyrank z"},
		{[]any{"ZPOPMAX", "z"}, "zpopmax z, del z"},
		{[]any{"ZADD", "z1", "1", "a", "2", "b"}, "zadd z1"},
		{[]any{"ZUNIONSTORE", "u", "1", "z1"}, "zunionstore u"},
		{[]any{"ZINTERSTORE", "u", "2", "z1", "nokey"}, "del u"},
		{[]any{"ZRANGESTORE", "r", "z1", "0", "0"}, "zrangestore r"},
		{[]any{"ZMPOP", "1", "z1", "MIN", "COUNT", "9"}, "zpopmin z1, del z1"},
		{[]any{"BZPOPMIN", "z1", "0.01"}, ""},
		{[]any{"RPUSH", "s", "2", "1"}, "rpush s"},
		{[]any{"SORT", "s", "STORE", "sorted"}, "sortstore sorted"},
		{[]any{"SORT", "nokey", "STORE", "sorted"}, "del sorted"},
		{[]any{"SORT", "nokey", "STORE", "sorted"}, ""},
	}
	for _, s := range steps {
		if got := events(s.cmd...); got != s.want {
			t.Errorf("%v raised %q, want %q", s.cmd, got, s.want)
		}
	}
}
