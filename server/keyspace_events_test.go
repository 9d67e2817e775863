package server_test

// Keyspace notifications of the data-type commands, with
// notify-keyspace-events KEA: each command's event names as Redis 7 raises
// them, in Redis's order, "del" when a command empties a key, and nothing
// when a command changes nothing.

import (
	"strings"
	"testing"

	"github.com/cobbledb/cobble/server/servertest"
)

// eventStep is a command and the events it raises, as "event key, …".
type eventStep struct {
	cmd  []any
	want string
}

// checkKeyEvents runs steps on a node with notify-keyspace-events set to
// flags and compares the keyevent notifications of db 0 each one raises,
// up to a marker published after it, with what it wants.
func checkKeyEvents(t *testing.T, flags string, steps []eventStep) {
	t.Helper()
	n := servertest.Start(t, servertest.Config("notify-keyspace-events "+flags))
	c := n.Client
	ps := n.NewClient().PSubscribe(ctx, "__keyevent@0__:*")
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
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
	for _, s := range steps {
		if got := events(s.cmd...); got != s.want {
			t.Errorf("%v raised %q, want %q", s.cmd, got, s.want)
		}
	}
}

func TestKeyspaceEvents_ListsZSetsSort(t *testing.T) {
	checkKeyEvents(t, "KEA", []eventStep{
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
	})
}

func TestKeyspaceEvents_HashesSets(t *testing.T) {
	checkKeyEvents(t, "KEA", []eventStep{
		{[]any{"HSET", "h", "a", "1", "b", "2"}, "hset h"},
		{[]any{"HSET", "h", "a", "1"}, "hset h"}, // even when nothing changed
		{[]any{"HMSET", "h", "c", "3"}, "hset h"},
		{[]any{"HSETNX", "h", "a", "9"}, ""},
		{[]any{"HSETNX", "h", "d", "4"}, "hset h"},
		{[]any{"HINCRBY", "h", "n", "5"}, "hincrby h"},
		{[]any{"HINCRBY", "h", "a", "x"}, ""},
		{[]any{"HINCRBYFLOAT", "h", "f", "1.5"}, "hincrbyfloat h"},
		{[]any{"HDEL", "h", "nope"}, ""},
		{[]any{"HDEL", "h", "a", "b", "c"}, "hdel h"},
		{[]any{"HDEL", "h", "d", "n", "f"}, "hdel h, del h"},
		{[]any{"HDEL", "h", "a"}, ""},
		{[]any{"SADD", "s", "a", "b", "c", "d"}, "sadd s"},
		{[]any{"SADD", "s", "a"}, ""},
		{[]any{"SREM", "s", "nope"}, ""},
		{[]any{"SREM", "s", "a"}, "srem s"},
		{[]any{"SPOP", "s"}, "spop s"},
		{[]any{"SPOP", "s", "0"}, ""},
		{[]any{"SPOP", "nos"}, ""},
		{[]any{"SPOP", "nos", "3"}, ""},
		{[]any{"SADD", "s2", "x"}, "sadd s2"},
		{[]any{"SMOVE", "s", "s2", "nope"}, ""},
		{[]any{"SMOVE", "s2", "s2", "x"}, ""},
		{[]any{"SADD", "s", "x"}, "sadd s"},
		{[]any{"SMOVE", "s", "s2", "x"}, "srem s"}, // x was already in s2
		{[]any{"SMOVE", "s2", "s3", "x"}, "srem s2, del s2, sadd s3"},
		{[]any{"SPOP", "s", "100"}, "spop s, del s"},
		{[]any{"SADD", "a", "1", "2", "3"}, "sadd a"},
		{[]any{"SADD", "b", "2", "3", "4"}, "sadd b"},
		{[]any{"SINTERSTORE", "d", "a", "b"}, "sinterstore d"},
		{[]any{"SUNIONSTORE", "d", "a", "b"}, "sunionstore d"},
		{[]any{"SDIFFSTORE", "d", "a", "b"}, "sdiffstore d"},
		{[]any{"SINTERSTORE", "d", "a", "nokey"}, "del d"},
		{[]any{"SDIFFSTORE", "d", "a", "a"}, ""}, // d is gone already
		{[]any{"SPOP", "a", "2"}, "spop a"},
		{[]any{"SREM", "a", "1", "2", "3"}, "srem a, del a"},
	})
}

// Class n: "new" when a write creates a key (before the command's own
// event), never when it overwrites or fails.
func TestKeyspaceEvents_NewKeys(t *testing.T) {
	checkKeyEvents(t, "En", []eventStep{
		{[]any{"SET", "foo", "bar"}, "new foo"},
		{[]any{"SET", "foo", "baz"}, ""},
		{[]any{"GET", "nokey"}, ""},
		{[]any{"HINCRBY", "foo", "f", "1"}, ""}, // WRONGTYPE
		{[]any{"MSET", "foo", "1", "k2", "2"}, "new k2"},
		{[]any{"SMOVE", "nos", "s", "x"}, ""},
		{[]any{"SADD", "s", "x"}, "new s"},
		{[]any{"SMOVE", "s", "s2", "x"}, "new s2"},
		{[]any{"RPOPLPUSH", "nol", "l"}, ""},
		{[]any{"LPUSH", "l", "a"}, "new l"},
		{[]any{"ZADD", "z", "1", "a"}, "new z"},
		{[]any{"SET", "px", "v", "PX", "1"}, "new px"},
	})
	checkKeyEvents(t, "KEA", []eventStep{
		{[]any{"SET", "foo", "bar"}, "set foo"}, // A does not include n
	})
	checkKeyEvents(t, "KEn$", []eventStep{
		{[]any{"SET", "foo", "bar"}, "new foo, set foo"},
	})
}
