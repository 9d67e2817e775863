package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cobbledb/cobble/rdb"
	"github.com/cobbledb/cobble/server"
)

// pipelineBytes bounds the payload bytes of one pipeline round trip.
const pipelineBytes = 8 << 20

func restoreCommand() *command {
	var (
		cf           connFlags
		df           dirFlags
		pipeline     int
		noReplace    bool
		showProgress bool
	)
	return &command{
		name:    "restore",
		summary: "load an RDB file into a running node or cluster, or into an empty data directory",
		usage:   "restore (--addr host:port | --dir DIR) [flags] FILE",
		detail: `
Into a running node (--addr), cobble or Redis 5+: every key becomes a
RESTORE key <expire-at> <payload> ABSTTL REPLACE, pipelined. When the node
answers CLUSTER SLOTS, keys go to the master of their slot (db 0 only: a
key of another db is refused); otherwise to the one node, each db to its
own db. Keys whose TTL has passed are skipped. Existing keys are replaced
unless --no-replace (then they are refused, with BUSYKEY). FILE may be -
(stdin).

Into a data directory (--dir): the directory must hold no data set (new,
or empty); the file is loaded the way a node loads dump.rdb at its first
start, and the node started on that directory serves it. The node must
not be running.

Exit codes: 0 every key restored; 1 the file is invalid, or the target
refused keys (the first refusals are printed); 2 the target could not be
reached or the directory opened.`,
		example: `  cobble-rdb restore --addr 127.0.0.1:6379 backup.rdb
  cobble-rdb restore --addr 10.0.0.1:7000 --pipeline 500 backup.rdb   # a cluster: routed by slot
  cobble-rdb restore --dir /var/lib/cobble-new backup.rdb            # then start cobble-server on it`,
		flags: func(fs *flag.FlagSet) {
			cf.register(fs)
			df.register(fs, "an empty data directory to load into (instead of --addr)")
			fs.IntVar(&pipeline, "pipeline", 1000, "RESTOREs per round trip")
			fs.BoolVar(&noReplace, "no-replace", false, "refuse keys that already exist instead of replacing them")
			fs.BoolVar(&showProgress, "progress", false, "report progress on stderr even when it is not a terminal")
		},
		run: func(e *env, args []string) error {
			switch {
			case len(args) != 1:
				return usagef("restore takes one file")
			case (cf.addr == "") == (df.dir == "" && df.config == ""):
				return usagef("give either --addr (a running node or cluster) or --dir/--config (a data directory)")
			case pipeline < 1:
				return usagef("--pipeline must be at least 1")
			}
			if cf.addr == "" {
				return restoreDir(e, &df, args[0], showProgress)
			}
			return restoreOnline(e, &cf, args[0], pipeline, !noReplace, showProgress)
		},
	}
}

// restoreDir loads a file into an empty data directory.
func restoreDir(e *env, df *dirFlags, path string, showProgress bool) error {
	if path == "-" {
		return usagef("restoring into a data directory needs a file, not stdin")
	}
	if _, err := verifyStat(path); err != nil {
		return err
	}
	if df.dir != "" {
		if err := mkdirAll(df.dir); err != nil {
			return err
		}
	}
	start := time.Now()
	s, err := openDir(e, df)
	if err != nil {
		return err
	}
	size, _ := verifyStat(path)
	p := newProgress(e, showProgress, "restore", size)
	keys, err := s.LoadRDB(path, func(n int64) { p.bytes.Store(n) })
	p.done()
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(e.stderr, "restore: %d keys loaded into data directory %s from %s (%s) in %s\n", keys, df.dir, path,
		humanBytes(size), time.Since(start).Round(time.Millisecond))
	return nil
}

// restorer is the rdb.Handler that pipelines RESTOREs.
type restorer struct {
	ctx      context.Context
	now      int64
	replace  bool
	pipeline int
	p        *progress

	cluster *redis.ClusterClient
	opts    *redis.Options
	clients map[int]*redis.Client // single node: one per db
	pipes   map[int]redis.Pipeliner
	queued  int
	bytes   int

	restored, expired, refused int64
	fieldTTLs                  int64 // hashes whose field TTLs were dropped
	refusals                   []string
}

func restoreOnline(e *env, cf *connFlags, path string, pipeline int, replace, showProgress bool) error {
	start := time.Now()
	ctx := context.Background()
	opts := &redis.Options{Addr: cf.addr, Username: cf.user, Password: cf.pass(), Protocol: 2, DisableIdentity: true,
		DialTimeout: cf.timeout, ReadTimeout: cf.timeout, WriteTimeout: cf.timeout, PoolSize: 1}
	probe := redis.NewClient(opts)
	err := probe.Ping(ctx).Err()
	var slots []redis.ClusterSlot
	if err == nil {
		slots, _ = probe.ClusterSlots(ctx).Result() // an error means: not a cluster
	}
	probe.Close()
	if err != nil {
		return fmt.Errorf("%s: %w", cf.addr, err)
	}
	r := &restorer{ctx: ctx, now: time.Now().UnixMilli(), replace: replace, pipeline: pipeline, opts: opts,
		clients: map[int]*redis.Client{}, pipes: map[int]redis.Pipeliner{}}
	target := cf.addr + " (single node)"
	if len(slots) > 0 {
		masters := map[string]bool{}
		for _, s := range slots {
			if len(s.Nodes) > 0 {
				masters[s.Nodes[0].Addr] = true
			}
		}
		target = fmt.Sprintf("%s (cluster of %d masters)", cf.addr, len(masters))
		r.cluster = redis.NewClusterClient(&redis.ClusterOptions{Addrs: []string{cf.addr}, Username: cf.user,
			Password: cf.pass(), Protocol: 2, DisableIdentity: true, DialTimeout: cf.timeout,
			ReadTimeout: cf.timeout, WriteTimeout: cf.timeout})
		defer r.cluster.Close()
	}
	defer func() {
		for _, c := range r.clients {
			c.Close()
		}
	}()
	in, p, closeIn, err := openInput(e, path, showProgress, "restore")
	if err != nil {
		return err
	}
	r.p = p
	_, err = rdb.Decode(in, r, rdb.DecodeOptions{SkipUnsupported: true})
	if err == nil {
		err = r.flush()
	}
	closeIn()
	if err != nil {
		return err
	}
	d := time.Since(start)
	fmt.Fprintf(e.stderr, "restore: %d keys restored into %s in %s (%.0f keys/s); %d expired skipped; %d refused\n",
		r.restored, target, d.Round(time.Millisecond), float64(r.restored)/max(d.Seconds(), 1e-9), r.expired, r.refused)
	if r.fieldTTLs > 0 {
		fmt.Fprintf(e.stderr, "  %d hashes had field TTLs (Redis 7.4): expired fields dropped, the others restored without a TTL\n", r.fieldTTLs)
	}
	if r.refused > 0 {
		for _, s := range r.refusals {
			fmt.Fprintf(e.stderr, "  refused: %s\n", s)
		}
		if int64(len(r.refusals)) < r.refused {
			fmt.Fprintf(e.stderr, "  … and %d more\n", r.refused-int64(len(r.refusals)))
		}
		return &dataError{fmt.Sprintf("%d of %d keys were refused", r.refused, r.refused+r.restored)}
	}
	return nil
}

func (r *restorer) Aux(k, v []byte) error                    { return nil }
func (r *restorer) ResizeDB(int, uint64, uint64) error       { return nil }
func (r *restorer) Skipped(db int, k []byte, t string) error { return nil }

func (r *restorer) refuse(db int, key []byte, why string) {
	r.refused++
	if len(r.refusals) < 5 {
		r.refusals = append(r.refusals, fmt.Sprintf("db %d key %s: %s", db, printable(key), why))
	}
}

func (r *restorer) Entry(e *rdb.Entry) error {
	if e.ExpireAtMs != 0 && e.ExpireAtMs <= r.now {
		r.expired++
		return nil
	}
	if e.HashExpireAtMs != nil {
		r.fieldTTLs++
		if !server.DropFieldTTLs(e, r.now) {
			r.expired++
			return nil
		}
	}
	if r.cluster != nil && e.DB != 0 {
		r.refuse(e.DB, e.Key, "a cluster has only db 0")
		return nil
	}
	payload, err := rdb.DumpPayload(e)
	if err != nil {
		r.refuse(e.DB, e.Key, err.Error())
		return nil
	}
	args := []any{"RESTORE", string(e.Key), strconv.FormatInt(e.ExpireAtMs, 10), string(payload)}
	if e.ExpireAtMs != 0 {
		args = append(args, "ABSTTL")
	}
	if r.replace {
		args = append(args, "REPLACE")
	}
	cmd := redis.NewStatusCmd(r.ctx, args...)
	cmd.SetFirstKeyPos(1)
	if err := r.pipe(e.DB).Process(r.ctx, cmd); err != nil {
		return err
	}
	r.queued++
	r.bytes += len(payload)
	if r.queued >= r.pipeline || r.bytes >= pipelineBytes {
		return r.flush()
	}
	return nil
}

// pipe returns the pipeline of a db.
func (r *restorer) pipe(db int) redis.Pipeliner {
	if p, ok := r.pipes[db]; ok {
		return p
	}
	var p redis.Pipeliner
	if r.cluster != nil {
		p = r.cluster.Pipeline()
	} else {
		o := *r.opts
		o.DB = db
		c := redis.NewClient(&o)
		r.clients[db] = c
		p = c.Pipeline()
	}
	r.pipes[db] = p
	return p
}

// flush sends what is queued. A key the target refuses is counted; a
// network failure ends the restore.
func (r *restorer) flush() error {
	for db, p := range r.pipes {
		if p.Len() == 0 {
			continue
		}
		cmds, _ := p.Exec(r.ctx)
		for _, c := range cmds {
			err := c.Err()
			var rerr redis.Error
			switch {
			case err == nil:
				r.restored++
				r.p.keys.Add(1)
			case errors.As(err, &rerr):
				r.refuse(db, []byte(fmt.Sprint(c.Args()[1])), strings.TrimSpace(err.Error()))
			default:
				return fmt.Errorf("restore: %w (after %d keys)", err, r.restored)
			}
		}
	}
	r.queued, r.bytes = 0, 0
	return nil
}
