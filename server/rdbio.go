package server

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/cobbledb/cobble/engine"
	"github.com/cobbledb/cobble/rdb"
)

// writeRDB writes the data set seen by txn (a snapshot) as an RDB file
// real Redis loads, stamped with the replication id and the log offset the
// snapshot was taken at (aux repl-id/repl-offset, as Redis records them).
func (s *Server) writeRDB(w io.Writer, txn *engine.Txn, replid string, offset int64) (keys int64, err error) {
	enc := rdb.NewEncoder(w, rdb.EncoderOptions{NoCompression: !s.cfg.Bool("rdbcompression"), NoChecksum: !s.cfg.Bool("rdbchecksum")})
	if err := enc.Header(); err != nil {
		return 0, err
	}
	for _, kv := range [][2]string{
		{"redis-ver", Version}, {"redis-bits", "64"},
		{"ctime", strconv.FormatInt(time.Now().Unix(), 10)},
		{"used-mem", "0"}, {"repl-stream-db", "0"},
		{"repl-id", replid}, {"repl-offset", strconv.FormatInt(offset, 10)},
		{"aof-base", "0"}, {"cobble-ver", CobbleVersion},
	} {
		if err := enc.Aux(kv[0], kv[1]); err != nil {
			return 0, err
		}
	}
	var e rdb.Entry
	for db := range s.db.Databases() {
		if s.db.DBSize(db) == 0 {
			continue
		}
		if err := enc.SelectDB(db); err != nil {
			return keys, err
		}
		if err := enc.ResizeDB(uint64(s.db.DBSize(db)), uint64(s.db.Expires(db))); err != nil {
			return keys, err
		}
		err := txn.EachKey(db, func(key []byte, m *engine.Meta) error {
			if err := fillEntry(txn, db, key, m, &e); err != nil {
				return err
			}
			if e.Len() == 0 {
				return nil // an empty collection has no RDB form
			}
			keys++
			return enc.Entry(&e)
		})
		if err != nil {
			return keys, err
		}
	}
	return keys, enc.Finish()
}

// fillEntry reads one key's whole value into e.
func fillEntry(txn *engine.Txn, db int, key []byte, m *engine.Meta, e *rdb.Entry) error {
	*e = rdb.Entry{DB: db, Key: key, ExpireAtMs: m.ExpireAt, IdleSec: -1, Freq: -1}
	var err error
	switch m.Type {
	case engine.TypeString:
		e.Type, e.String = rdb.TypeString, m.Value
	case engine.TypeList:
		e.Type = rdb.TypeList
		e.List, err = txn.ListRange(db, key, 0, -1)
	case engine.TypeSet:
		e.Type = rdb.TypeSet
		e.Set, err = txn.SMembers(db, key)
	case engine.TypeHash:
		e.Type = rdb.TypeHash
		var fields, vals [][]byte
		fields, vals, err = txn.HGetAll(db, key, true)
		e.Hash = make([][2][]byte, len(fields))
		for i := range fields {
			e.Hash[i] = [2][]byte{fields[i], vals[i]}
		}
	case engine.TypeZSet:
		e.Type = rdb.TypeZSet
		var items []engine.ScoreMember
		items, err = txn.ZRange(db, key, engine.ZRangeSpec{By: engine.ByRank, Start: 0, Stop: -1})
		e.ZSet = make([]rdb.ZMember, len(items))
		for i, it := range items {
			e.ZSet[i] = rdb.ZMember{Member: it.Member, Score: it.Score}
		}
	default:
		return fmt.Errorf("server: key %q has unknown type %d", key, m.Type)
	}
	return err
}

// rdbLoader feeds decoded keys into an engine.Loader.
type rdbLoader struct {
	s           *Server
	l           *engine.Loader
	dropExpired bool // a master skips keys already expired, like Redis
	now         int64
	skipped     int64
}

func (h *rdbLoader) Aux(key, val []byte) error          { return nil }
func (h *rdbLoader) ResizeDB(int, uint64, uint64) error { return nil }
func (h *rdbLoader) Skipped(int, []byte, string) error  { h.skipped++; return nil }
func (h *rdbLoader) Entry(e *rdb.Entry) error {
	if e.DB < 0 || e.DB >= h.s.db.Databases() {
		return fmt.Errorf("server: RDB key %q is in db %d, beyond databases %d", e.Key, e.DB, h.s.db.Databases())
	}
	if h.dropExpired && e.ExpireAtMs > 0 && e.ExpireAtMs <= h.now {
		return nil
	}
	txn, err := h.l.Txn()
	if err != nil {
		return err
	}
	return putEntry(txn, e)
}

// putEntry writes one decoded key (replacing what the key held).
func putEntry(txn *engine.Txn, e *rdb.Entry) error {
	db, key := e.DB, e.Key
	if _, err := txn.Delete(db, key); err != nil {
		return err
	}
	var err error
	switch e.Type {
	case rdb.TypeString:
		_, _, err = txn.SetString(db, key, e.String, engine.SetOptions{ExpireAt: e.ExpireAtMs})
		return err
	case rdb.TypeList:
		_, err = txn.ListPush(db, key, false, false, e.List...)
	case rdb.TypeSet:
		_, err = txn.SAdd(db, key, e.Set)
	case rdb.TypeHash:
		pairs := make([][]byte, 0, 2*len(e.Hash))
		for _, fv := range e.Hash {
			pairs = append(pairs, fv[0], fv[1])
		}
		_, err = txn.HSet(db, key, pairs)
	case rdb.TypeZSet:
		items := make([]engine.ScoreMember, len(e.ZSet))
		for i, z := range e.ZSet {
			items[i] = engine.ScoreMember{Member: z.Member, Score: z.Score}
		}
		_, err = txn.ZAdd(db, key, items, engine.ZAddFlags{})
	default:
		return fmt.Errorf("server: RDB key %q has unsupported type %v", key, e.Type)
	}
	if err == nil && e.ExpireAtMs > 0 {
		_, err = txn.SetExpireAt(db, key, e.ExpireAtMs)
	}
	return err
}
