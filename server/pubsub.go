package server

import (
	"sort"
	"strconv"
	"sync"

	"github.com/cobbledb/cobble/engine"
	"github.com/cobbledb/cobble/server/config"
)

// pubsub is the registry of channel, pattern and shard-channel
// subscriptions. Messages are written straight to each subscriber's
// socket (Conn.writeAsync, bounded by a write deadline) in the
// subscriber's own protocol: RESP3 push frames or RESP2 arrays.
type pubsub struct {
	mu       sync.RWMutex
	channels map[string]map[*Conn]struct{}
	patterns map[string]map[*Conn]struct{}
	shards   map[string]map[*Conn]struct{}
}

// subState is a connection's own view of its subscriptions (guarded by
// pubsub.mu).
type subState struct {
	channels map[string]struct{}
	patterns map[string]struct{}
	shards   map[string]struct{}
}

func (s *subState) count() int { return len(s.channels) + len(s.patterns) + len(s.shards) }

func (p *pubsub) table(kind string) *map[string]map[*Conn]struct{} {
	switch kind {
	case "pattern":
		return &p.patterns
	case "shard":
		return &p.shards
	}
	return &p.channels
}

func (c *Conn) subTable(kind string) *map[string]struct{} {
	switch kind {
	case "pattern":
		return &c.subs.patterns
	case "shard":
		return &c.subs.shards
	}
	return &c.subs.channels
}

// subscribe adds c to names; it returns the connection's subscription
// count after each name.
func (p *pubsub) subscribe(c *Conn, kind string, names [][]byte) []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, own := p.table(kind), c.subTable(kind)
	if *t == nil {
		*t = map[string]map[*Conn]struct{}{}
	}
	if *own == nil {
		*own = map[string]struct{}{}
	}
	counts := make([]int, len(names))
	for i, n := range names {
		name := string(n)
		if (*t)[name] == nil {
			(*t)[name] = map[*Conn]struct{}{}
		}
		(*t)[name][c] = struct{}{}
		(*own)[name] = struct{}{}
		counts[i] = c.subCount(kind)
	}
	return counts
}

// subCount is what (UN)SUBSCRIBE replies report: shard subscriptions are
// counted apart from channels and patterns, as in Redis.
func (c *Conn) subCount(kind string) int {
	if kind == "shard" {
		return len(c.subs.shards)
	}
	return len(c.subs.channels) + len(c.subs.patterns)
}

// unsubscribe removes c from names (all of its subscriptions of that kind
// when names is empty) and returns the names and counts to report.
func (p *pubsub) unsubscribe(c *Conn, kind string, names [][]byte) ([]string, []int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	t, own := p.table(kind), c.subTable(kind)
	var list []string
	if len(names) == 0 {
		for n := range *own {
			list = append(list, n)
		}
		sort.Strings(list)
	} else {
		for _, n := range names {
			list = append(list, string(n))
		}
	}
	counts := make([]int, len(list))
	for i, name := range list {
		if m := (*t)[name]; m != nil {
			delete(m, c)
			if len(m) == 0 {
				delete(*t, name)
			}
		}
		delete(*own, name)
		counts[i] = c.subCount(kind)
	}
	return list, counts
}

// dropConn forgets every subscription of a closing connection.
func (p *pubsub) dropConn(c *Conn) {
	for _, kind := range []string{"channel", "pattern", "shard"} {
		p.unsubscribe(c, kind, nil)
	}
}

// publish delivers a message and returns the number of receivers.
func (p *pubsub) publish(kind string, channel, msg []byte) int {
	return p.publishFrom(nil, kind, channel, msg)
}

// publishFrom is publish by a command of the connection self (nil: none).
// A message self receives waits in self.selfPush and goes out after the
// command's reply (after the whole EXEC reply inside MULTI), as in Redis.
func (p *pubsub) publishFrom(self *Conn, kind string, channel, msg []byte) int {
	type target struct {
		c       *Conn
		pattern string
	}
	var targets []target
	p.mu.RLock()
	if kind == "shard" {
		for c := range p.shards[string(channel)] {
			targets = append(targets, target{c, ""})
		}
	} else {
		for c := range p.channels[string(channel)] {
			targets = append(targets, target{c, ""})
		}
		for pat, conns := range p.patterns {
			if engine.Match([]byte(pat), channel, false) {
				for c := range conns {
					targets = append(targets, target{c, pat})
				}
			}
		}
	}
	p.mu.RUnlock()
	for _, t := range targets {
		r := Reply{proto: t.c.protocol()}
		switch {
		case kind == "shard":
			r.Push(3)
			r.BulkString("smessage")
		case t.pattern != "":
			r.Push(4)
			r.BulkString("pmessage")
			r.BulkString(t.pattern)
		default:
			r.Push(3)
			r.BulkString("message")
		}
		r.Bulk(channel)
		r.Bulk(msg)
		if t.c == self {
			self.selfPush = append(self.selfPush, r.buf...)
			continue
		}
		t.c.writeAsync(r.buf)
	}
	return len(targets)
}

func (p *pubsub) channelNames(kind string, pattern []byte) []string {
	p.mu.RLock()
	defer p.mu.RUnlock()
	var out []string
	for name := range *p.table(kind) {
		if pattern == nil || engine.Match(pattern, []byte(name), false) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func (p *pubsub) numSub(kind, name string) int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len((*p.table(kind))[name])
}

func (p *pubsub) numPat() int {
	p.mu.RLock()
	defer p.mu.RUnlock()
	return len(p.patterns)
}

// notification is one keyspace event raised by a command.
type notification struct {
	class config.KeyspaceEvents
	event string
	db    int
	key   []byte
}

// Notify raises a keyspace event (notify-keyspace-events): class is the
// event's class (EventGeneric, EventString…), event its name ("set",
// "expire", "lpush"…). Events are published after the write commits.
func (c *Call) Notify(class config.KeyspaceEvents, event string, key []byte) {
	c.notes = append(c.notes, notification{class, event, c.DB, key})
}

// absentKeys returns the keys of a write call that do not exist before it
// runs, when "new" events (class n) are published; nil otherwise.
func (c *Call) absentKeys() [][]byte {
	f := c.Srv.cfg.KeyspaceEvents()
	if c.Cmd.Flags&FlagWrite == 0 || f&config.EventNew == 0 || f&(config.EventKeyspace|config.EventKeyevent) == 0 {
		return nil
	}
	var absent [][]byte
	for _, i := range c.Cmd.keyPositions(c.Args) {
		if _, ok, err := c.Txn.Lookup(c.DB, c.Args[i]); err == nil && !ok {
			absent = append(absent, c.Args[i])
		}
	}
	return absent
}

// notifyNew raises "new" for each key of absent that the call created,
// ahead of the call's own events: Redis raises it when it adds the key,
// before the command's event. Keys a command creates in another db (MOVE,
// COPY … DB) raise none.
func (c *Call) notifyNew(absent [][]byte) {
	var created []notification
	for _, k := range absent {
		if _, ok, err := c.Txn.Lookup(c.DB, k); err == nil && ok {
			created = append(created, notification{config.EventNew, "new", c.DB, k})
		}
	}
	if len(created) > 0 {
		c.notes = append(created, c.notes...)
	}
}

// publishNotifications publishes the events of a committed group.
func (s *Server) publishNotifications(notes []notification) {
	flags := s.cfg.KeyspaceEvents()
	if flags&(config.EventKeyspace|config.EventKeyevent) == 0 {
		return
	}
	for _, n := range notes {
		if flags&n.class == 0 {
			continue
		}
		db := strconv.Itoa(n.db)
		if flags&config.EventKeyspace != 0 {
			ch := append([]byte("__keyspace@"+db+"__:"), n.key...)
			s.pubsub.publish("channel", ch, []byte(n.event))
		}
		if flags&config.EventKeyevent != 0 {
			ch := []byte("__keyevent@" + db + "__:" + n.event)
			s.pubsub.publish("channel", ch, n.key)
		}
	}
}

// Event classes, named for the handlers that raise them.
const (
	eventGeneric = config.EventGeneric
	eventString  = config.EventString
	eventList    = config.EventList
	eventSet     = config.EventSet
	eventHash    = config.EventHash
	eventZSet    = config.EventZSet
)
