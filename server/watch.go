package server

import (
	"sync"

	"github.com/cobbledb/cobble/engine"
)

// watchEntry is one WATCHed key and what it looked like when watched.
type watchEntry struct {
	db       int
	key      string
	expireAt int64 // its TTL when watched (0 = none or missing)
}

// watchRegistry maps WATCHed keys to the connections watching them, and
// whether the key existed when each one watched it. The executor marks
// those connections dirty after every commit that touched the key (any
// write, expiry, FLUSHDB, SWAPDB); EXEC then aborts.
type watchRegistry struct {
	mu   sync.Mutex
	keys map[blockKey]map[*Conn]bool
	n    int // entries, so touch is free when nobody watches
}

func (w *watchRegistry) add(c *Conn, db int, key string, existed bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.keys == nil {
		w.keys = map[blockKey]map[*Conn]bool{}
	}
	k := blockKey{db, key}
	if w.keys[k] == nil {
		w.keys[k] = map[*Conn]bool{}
	}
	if _, ok := w.keys[k][c]; !ok {
		w.keys[k][c] = existed
		w.n++
	}
}

func (w *watchRegistry) remove(c *Conn, entries []watchEntry) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range entries {
		k := blockKey{e.db, e.key}
		if m := w.keys[k]; m != nil {
			if _, ok := m[c]; ok {
				delete(m, c)
				w.n--
			}
			if len(m) == 0 {
				delete(w.keys, k)
			}
		}
	}
}

// touch marks the watchers of changed keys. An empty key means the whole
// db was emptied or swapped (FLUSHDB, FLUSHALL, SWAPDB): as in Redis, that
// touches only the watched keys that existed then, which are the ones that
// existed when watched (a key created or deleted since is dirty already).
// SWAPDB also touches the keys the other db brings in (touchKeys).
func (w *watchRegistry) touch(touched []engine.Touched) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.n == 0 {
		return
	}
	for _, t := range touched {
		if t.Key == "" {
			for k, m := range w.keys {
				if k.db == t.DB {
					for c, existed := range m {
						if existed {
							c.watchDirty.Store(true)
						}
					}
				}
			}
			continue
		}
		for c := range w.keys[blockKey{t.DB, t.Key}] {
			c.watchDirty.Store(true)
		}
	}
}

// keysIn returns the keys watched in a db.
func (w *watchRegistry) keysIn(db int) []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []string
	for k := range w.keys {
		if k.db == db {
			out = append(out, k.key)
		}
	}
	return out
}

// watchFailed runs in the executor at EXEC: a watched key was touched, or
// a key that was live when watched has expired since.
func (c *Conn) watchFailed(txn *engine.Txn) bool {
	if c.watchDirty.Load() {
		return true
	}
	for _, e := range c.watched {
		if e.expireAt == 0 {
			continue
		}
		if _, ok, err := txn.Lookup(e.db, []byte(e.key)); err != nil || !ok {
			return true
		}
	}
	return false
}

func (c *Conn) unwatchAll() {
	if len(c.watched) > 0 {
		c.s.watches.remove(c, c.watched)
		c.watched = nil
	}
	c.watchDirty.Store(false)
}

func cmdWatch(c *Call) error {
	conn := c.Conn
	if conn.multi != nil {
		return errWatchInMulti
	}
	for _, k := range c.Args[1:] {
		m, ok, err := c.Txn.Lookup(c.DB, k)
		if err != nil {
			return err
		}
		e := watchEntry{db: c.DB, key: string(k)}
		if ok {
			e.expireAt = m.ExpireAt
		}
		c.Srv.watches.add(conn, e.db, e.key, ok)
		conn.watched = append(conn.watched, e)
	}
	c.Reply.OK()
	return nil
}

func cmdUnwatch(c *Call) error {
	c.Conn.unwatchAll()
	c.Reply.OK()
	return nil
}
