package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/cobbledb/cobble/rdb"
	"github.com/cobbledb/cobble/server"
	"github.com/cobbledb/cobble/server/config"
)

// connFlags are the flags naming a running node.
type connFlags struct {
	addr     string
	user     string
	password string
	timeout  time.Duration
}

func (c *connFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&c.addr, "addr", "", "host:port of a running node (cobble or Redis)")
	fs.StringVar(&c.user, "user", "", "user name for AUTH (ACL users)")
	fs.StringVar(&c.password, "password", "", "password for AUTH; default: the REDISCLI_AUTH environment variable")
	fs.DurationVar(&c.timeout, "timeout", time.Minute, "network timeout: how long a read or a write may wait")
}

func (c *connFlags) pass() string {
	if c.password != "" {
		return c.password
	}
	return os.Getenv("REDISCLI_AUTH")
}

// dirFlags are the flags naming a stopped node's data directory.
type dirFlags struct {
	dir    string
	config string
}

func (d *dirFlags) register(fs *flag.FlagSet, what string) {
	fs.StringVar(&d.dir, "dir", "", what)
	fs.StringVar(&d.config, "config", "", "the node's redis.conf: its appenddirname, appendfilename, dbfilename, databases (and dir, unless --dir)")
}

func backupCommand() *command {
	var (
		cf           connFlags
		df           dirFlags
		out          string
		noVerify     bool
		showProgress bool
	)
	return &command{
		name:    "backup",
		summary: "write an RDB backup of a running node, or of a stopped node's data directory",
		usage:   "backup (--addr host:port | --dir DIR) -o FILE [flags]",
		detail: `
From a running node (--addr): asks for a full resync with SYNC, as
redis-cli --rdb does, and saves the RDB payload. Works with cobble and with
Redis. cobble sends a snapshot taken at an exact log offset (aux field
repl-offset); writes go on meanwhile.

From a data directory (--dir): opens the node's keyspace and log, replays
the log tail the keyspace has not seen, and writes the whole data set. It
needs the directory to itself: stop the node first (a running node holds a
lock on it and the backup fails, changing nothing).

The file is written beside FILE, fsynced, verified (unless --no-verify)
and renamed to FILE, so FILE is either the old file or a complete, valid
backup. -o - writes to stdout, unverified.`,
		example: `  cobble-rdb backup --addr 10.0.0.5:6379 -o /backups/cobble-$(date +%F).rdb
  REDISCLI_AUTH=secret cobble-rdb backup --addr 127.0.0.1:6379 -o dump.rdb
  cobble-rdb backup --dir /var/lib/cobble -o /backups/offline.rdb      # node stopped`,
		flags: func(fs *flag.FlagSet) {
			cf.register(fs)
			df.register(fs, "data directory of a stopped node (instead of --addr)")
			fs.StringVar(&out, "o", "", "the backup file to write (required; - is stdout)")
			fs.BoolVar(&noVerify, "no-verify", false, "do not decode the backup to check it before renaming it into place")
			fs.BoolVar(&showProgress, "progress", false, "report progress on stderr even when it is not a terminal")
		},
		run: func(e *env, args []string) error {
			switch {
			case len(args) > 0:
				return usagef("unexpected argument %q", args[0])
			case out == "":
				return usagef("-o FILE is required")
			case (cf.addr == "") == (df.dir == "" && df.config == ""):
				return usagef("give either --addr (a running node) or --dir/--config (a stopped node's data directory)")
			}
			start := time.Now()
			w, commit, abort, err := openOutput(e, out)
			if err != nil {
				return err
			}
			var (
				from  string
				size  int64
				keys  int64 = -1
				p     *progress
				fetch error
			)
			if cf.addr != "" {
				from = cf.addr
				p = newProgress(e, showProgress, "backup", 0)
				size, fetch = syncRDB(&cf, w, p)
			} else {
				from = "data directory " + df.dir
				p = newProgress(e, showProgress, "backup", 0)
				size, keys, fetch = dirRDB(e, &df, w, p)
			}
			p.done()
			if fetch != nil {
				abort()
				return fetch
			}
			verified := "not verified"
			if out != "-" && !noVerify {
				tmp := w.(*os.File).Name()
				sum, err := verifyFile(tmp)
				if err != nil {
					abort()
					return fmt.Errorf("the backup from %s is not a valid RDB file, %s left unchanged: %w", from, out, err)
				}
				verified = "verified"
				keys = int64(countKeys(sum))
			}
			if err := commit(); err != nil {
				return err
			}
			d := time.Since(start)
			keyText := ""
			if keys >= 0 {
				keyText = fmt.Sprintf("%d keys, ", keys)
			}
			fmt.Fprintf(e.stderr, "backup: %s%s from %s to %s in %s (%s), %s\n", keyText, humanBytes(size), from, out,
				d.Round(time.Millisecond), rate(size, d), verified)
			return nil
		},
	}
}

// verifyFile decodes an RDB file completely.
func verifyFile(path string) (rdb.Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return rdb.Summary{}, err
	}
	defer f.Close()
	return rdb.Decode(f, &countHandler{}, rdb.DecodeOptions{SkipUnsupported: true})
}

func countKeys(sum rdb.Summary) int {
	n := 0
	for _, k := range sum.Keys {
		n += k
	}
	return n
}

// syncRDB asks the node at cf.addr for a full resync and copies the RDB
// payload to w: "$<len>\r\n" and len bytes, or (disk-less) "$EOF:<mark>"
// and the data up to the 40-byte mark. Newlines the node sends while it
// prepares the snapshot are keepalives. It returns the payload's size.
func syncRDB(cf *connFlags, w io.Writer, p *progress) (int64, error) {
	conn, err := net.DialTimeout("tcp", cf.addr, cf.timeout)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	br := bufio.NewReaderSize(conn, 256<<10)
	send := func(args ...string) error {
		var b bytes.Buffer
		fmt.Fprintf(&b, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
		}
		conn.SetWriteDeadline(time.Now().Add(cf.timeout))
		_, err := conn.Write(b.Bytes())
		return err
	}
	readLine := func() (string, error) {
		conn.SetReadDeadline(time.Now().Add(cf.timeout))
		line, err := br.ReadString('\n')
		return strings.TrimRight(line, "\r\n"), err
	}
	if pass := cf.pass(); pass != "" {
		args := []string{"AUTH", pass}
		if cf.user != "" {
			args = []string{"AUTH", cf.user, pass}
		}
		if err := send(args...); err != nil {
			return 0, err
		}
		if line, err := readLine(); err != nil {
			return 0, err
		} else if line != "+OK" {
			return 0, fmt.Errorf("%s: AUTH: %s", cf.addr, strings.TrimPrefix(line, "-"))
		}
	}
	// Only the snapshot is wanted, not the stream after it (Redis 7+; an
	// older server's error is fine).
	if err := send("REPLCONF", "rdb-only", "1"); err != nil {
		return 0, err
	}
	if _, err := readLine(); err != nil {
		return 0, err
	}
	if err := send("SYNC"); err != nil {
		return 0, err
	}
	var header string
	for {
		conn.SetReadDeadline(time.Now().Add(cf.timeout))
		b, err := br.ReadByte()
		if err != nil {
			return 0, fmt.Errorf("%s: waiting for the snapshot: %w", cf.addr, err)
		}
		if b == '\n' {
			continue // keepalive while the node prepares the snapshot
		}
		br.UnreadByte()
		if header, err = readLine(); err != nil {
			return 0, err
		}
		break
	}
	switch {
	case strings.HasPrefix(header, "-"):
		return 0, fmt.Errorf("%s refused SYNC: %s", cf.addr, header[1:])
	case strings.HasPrefix(header, "$EOF:"):
		mark := []byte(header[5:])
		if len(mark) != 40 {
			return 0, fmt.Errorf("%s: bad EOF mark in %q", cf.addr, header)
		}
		return copyUntilMark(conn, br, w, mark, cf.timeout, p)
	case strings.HasPrefix(header, "$"):
		size, err := strconv.ParseInt(header[1:], 10, 64)
		if err != nil || size < 0 {
			return 0, fmt.Errorf("%s: bad bulk length in %q", cf.addr, header)
		}
		p.total.Store(size)
		n, err := io.Copy(w, &deadlineReader{conn: conn, r: io.LimitReader(br, size), timeout: cf.timeout, p: p})
		if err == nil && n < size {
			err = io.ErrUnexpectedEOF
		}
		if err != nil {
			return n, fmt.Errorf("%s: reading the snapshot (%d of %d bytes): %w", cf.addr, n, size, err)
		}
		return n, nil
	}
	return 0, fmt.Errorf("%s: unexpected reply to SYNC: %q", cf.addr, header)
}

// deadlineReader renews the connection's read deadline before each read
// and counts into the progress.
type deadlineReader struct {
	conn    net.Conn
	r       io.Reader
	timeout time.Duration
	p       *progress
}

func (d *deadlineReader) Read(b []byte) (int, error) {
	d.conn.SetReadDeadline(time.Now().Add(d.timeout))
	n, err := d.r.Read(b)
	d.p.bytes.Add(int64(n))
	return n, err
}

// copyUntilMark copies a disk-less payload: everything up to mark, which
// ends it.
func copyUntilMark(conn net.Conn, br *bufio.Reader, w io.Writer, mark []byte, timeout time.Duration, p *progress) (int64, error) {
	r := &deadlineReader{conn: conn, r: br, timeout: timeout, p: p}
	buf := make([]byte, 256<<10)
	var held []byte // the last len(mark) bytes: maybe the mark
	var n int64
	for {
		k, err := r.Read(buf)
		data := append(held, buf[:k]...)
		if bytes.HasSuffix(data, mark) {
			body := data[:len(data)-len(mark)]
			if _, werr := w.Write(body); werr != nil {
				return n, werr
			}
			return n + int64(len(body)), nil
		}
		if len(data) > len(mark) {
			body := data[:len(data)-len(mark)]
			if _, werr := w.Write(body); werr != nil {
				return n, werr
			}
			n += int64(len(body))
			held = append(held[:0:0], data[len(data)-len(mark):]...)
		} else {
			held = data
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return n, fmt.Errorf("reading the snapshot after %d bytes: %w", n, err)
		}
	}
}

// offlineConfig builds the configuration that opens a stopped node's data
// directory and nothing else: no listener, no saves, no replication.
func offlineConfig(df *dirFlags) (*config.Config, error) {
	src := config.Default()
	if df.config != "" {
		var err error
		if src, err = config.Load([]string{df.config}); err != nil {
			return nil, err
		}
	}
	dir := df.dir
	if dir == "" {
		dir = src.String("dir")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	if st, err := os.Stat(abs); err != nil {
		return nil, err
	} else if !st.IsDir() {
		return nil, fmt.Errorf("%s is not a directory", abs)
	}
	bool2 := func(b bool) string {
		if b {
			return "yes"
		}
		return "no"
	}
	text := fmt.Sprintf("dir %q\nport 0\nsave \"\"\nappenddirname %q\nappendfilename %q\ndbfilename %q\ndatabases %d\nrdbcompression %s\nrdbchecksum %s\n",
		abs, src.String("appenddirname"), src.String("appendfilename"), src.String("dbfilename"), src.Int("databases"),
		bool2(src.Bool("rdbcompression")), bool2(src.Bool("rdbchecksum")))
	return config.Parse(strings.NewReader(text), "cobble-rdb")
}

// openDir opens a stopped node's data directory as an in-process server
// that serves nobody. The caller must Close it.
func openDir(e *env, df *dirFlags) (*server.Server, error) {
	cfg, err := offlineConfig(df)
	if err != nil {
		return nil, err
	}
	log := slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	s, err := server.New(cfg, log, server.Hooks{})
	if err != nil {
		if strings.Contains(err.Error(), "lock") {
			return nil, fmt.Errorf("%w\n(is the node running? stop it first, or back up over the network with --addr)", err)
		}
		return nil, err
	}
	return s, nil
}

// dirRDB writes the data set of a stopped node's data directory to w.
func dirRDB(e *env, df *dirFlags, w io.Writer, p *progress) (size, keys int64, err error) {
	cfg, err := offlineConfig(df)
	if err != nil {
		return 0, 0, err
	}
	// Opening a directory creates a node in it: refuse one that holds none.
	logDir := filepath.Join(cfg.String("dir"), cfg.String("appenddirname"))
	if _, err := os.Stat(logDir); err != nil {
		return 0, 0, fmt.Errorf("%s is not a cobble data directory (no %s in it)", cfg.String("dir"), cfg.String("appenddirname"))
	}
	s, err := openDir(e, df)
	if err != nil {
		return 0, 0, err
	}
	cw := &countingWriter{w: w, p: p}
	bw := bufio.NewWriterSize(cw, 1<<20)
	keys, _, err = s.SaveTo(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return cw.n, keys, err
}

// countingWriter counts bytes written into a progress.
type countingWriter struct {
	w io.Writer
	p *progress
	n int64
}

func (c *countingWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.n += int64(n)
	c.p.bytes.Add(int64(n))
	return n, err
}
