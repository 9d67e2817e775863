package server

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// replayBatch is how many logged commands share one engine batch while
// replaying.
const replayBatch = 1024

// replay applies the log from the offset the keyspace reflects to the log
// end. Logged commands are effects (PEXPIREAT, DEL of expired keys…), so
// replay never expires keys on its own. A MULTI/EXEC block is applied
// whole or, when the log ends inside it, not at all.
func (s *Server) replay() error {
	start := time.Now()
	from := s.db.AppliedOffset()
	first, end := s.aof.StartOffset(), s.aof.EndOffset()
	if s.fullSyncInterrupted() {
		// A replica stopped while swapping in a full resync: its keyspace
		// and log may not belong together. It forgets its replid (see
		// initReplication), so its master sends it everything again.
		s.log.Warn("a full resync was interrupted; starting a new log until the master resends the data set", "keyspace_offset", from)
		return s.aof.Reset(from)
	}
	switch {
	case from > end:
		// The keyspace is ahead of the log: the log was removed, or a full
		// resync swapped the data set in and stopped before moving the
		// log. The keyspace is durable and complete, so a new log starts
		// where it stands; only the backlog is lost.
		s.log.Warn("log is behind the keyspace; starting a new log", "keyspace_offset", from, "log_end", end)
		return s.aof.Reset(from)
	case from < first:
		return fmt.Errorf("server: keyspace reflects log offset %d but the log starts at %d: log files are missing", from, first)
	case from == end:
		return nil
	}
	s.loading.Store(true)
	defer s.loading.Store(false)
	txn := s.db.WriteTxn()
	txn.NoExpire = true
	var (
		db       = s.persistedStreamDB() // the SELECT in force at from
		inMulti  bool
		queued   [][][]byte
		applied  = from
		pending  int
		commands int64
		reply    = Reply{proto: 2}
	)
	apply := func(args [][]byte) error {
		name := strings.ToLower(string(args[0]))
		if name == "select" {
			n, err := strconv.Atoi(string(args[1]))
			if err != nil || n < 0 || n >= s.db.Databases() {
				return fmt.Errorf("bad SELECT %q", args[1])
			}
			db = n
			return nil
		}
		cmd := s.table.lookup(args[0])
		if cmd == nil {
			return fmt.Errorf("unknown command %q", args[0])
		}
		if len(cmd.Subs) > 0 && cmd.Run == nil && len(args) > 1 {
			cmd = cmd.sub(args[1])
		}
		if cmd == nil || !cmd.arityOK(len(args)) || cmd.Flags&FlagWrite == 0 {
			return fmt.Errorf("command %q cannot be replayed", args[0])
		}
		call := &Call{Args: args, Cmd: cmd, Srv: s, Txn: txn, Reply: &reply, DB: db}
		err := cmd.Run(call)
		reply.buf = reply.buf[:0]
		commands++
		if err != nil {
			// The command failed when it was first run too (effects are
			// logged only when they changed something): not fatal.
			s.log.Debug("replayed command failed", "cmd", name, "err", err)
		}
		return nil
	}
	err := s.aof.Replay(from, func(args [][]byte, off int64) error {
		name := strings.ToLower(string(args[0]))
		switch {
		case name == "multi":
			inMulti, queued = true, nil
			return nil
		case name == "exec":
			inMulti = false
			for _, q := range queued {
				if err := apply(q); err != nil {
					return fmt.Errorf("offset %d: %w", off, err)
				}
			}
			queued = nil
		case inMulti:
			// Replay reuses args' memory for the next command: keep a copy.
			cp := make([][]byte, len(args))
			for i, a := range args {
				cp[i] = append([]byte(nil), a...)
			}
			queued = append(queued, cp)
			return nil
		case name == "ping" || name == "replconf":
			// Replication keepalives carry no data.
		default:
			if err := apply(args); err != nil {
				return fmt.Errorf("offset %d: %w", off, err)
			}
		}
		applied = off
		pending++
		if pending >= replayBatch {
			txn.SetInternal(streamDBKey, []byte(strconv.Itoa(db)))
			if err := txn.Commit(applied); err != nil {
				return err
			}
			txn = s.db.WriteTxn()
			txn.NoExpire = true
			pending = 0
		}
		return nil
	})
	if err != nil {
		txn.Close()
		return fmt.Errorf("server: replaying the log: %w", err)
	}
	if inMulti {
		s.log.Warn("log ends inside MULTI; the unfinished transaction is not applied", "offset", applied)
	}
	txn.SetInternal(streamDBKey, []byte(strconv.Itoa(db)))
	if err := txn.Commit(applied); err != nil {
		return err
	}
	d := time.Since(start)
	s.log.Info("log replayed", "from", from, "to", applied, "commands", commands, "duration", d)
	if h := s.hooks.OnReplayDone; h != nil {
		h(commands, d)
	}
	return nil
}
