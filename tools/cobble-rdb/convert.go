package main

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/cobbledb/cobble/rdb"
	"github.com/cobbledb/cobble/server"
)

// chunkElems and chunkBytes bound one command of the RESP stream: big
// collections become several RPUSH/SADD/HSET/ZADD commands.
const (
	chunkElems = 512
	chunkBytes = 1 << 20
)

func convertCommand() *command {
	var (
		to           string
		style        string
		out          string
		replace      bool
		keepExpired  bool
		showProgress bool
	)
	return &command{
		name:    "convert",
		summary: "convert to JSON lines, or to a RESP command stream for redis-cli --pipe",
		usage:   "convert --to json|resp [flags] FILE",
		detail: `
Writes every key of an RDB file ("-" is stdin) to stdout, or to -o.

--to json: one JSON object per line:
  {"db":0,"key":"user:1","type":"hash","expire_at_ms":1767225600000,"value":{"name":"Ada"}}
  value is a string (string), an array (list in order, set), an object
  (hash) or an array of {"member","score"} (zset, by score; an infinite
  score is the string "inf" or "-inf"). expire_at_ms is left out without a
  TTL. When a key or any value is not valid UTF-8, the line has
  "encoding":"base64" and every key, value, field and member in it is
  base64 (standard, padded).

--to resp: Redis commands in RESP, as redis-cli --pipe reads them:
  SELECT when the db changes; SET key value [PXAT ms] for strings; RPUSH,
  SADD, HSET or ZADD in chunks of at most 512 elements or 1 MB, then
  PEXPIREAT, for collections; with --replace a DEL comes first. With
  --style restore every key is one RESTORE key ttl payload ABSTTL REPLACE
  instead: exact, compact, for Redis 5+ and cobble.

Keys whose TTL has passed are left out unless --keep-expired.`,
		example: `  cobble-rdb convert --to resp dump.rdb | redis-cli -h 10.0.0.5 --pipe
  cobble-rdb convert --to json -o dump.jsonl dump.rdb`,
		flags: func(fs *flag.FlagSet) {
			fs.StringVar(&to, "to", "", "output format: json or resp (required)")
			fs.StringVar(&style, "style", "commands", "resp only: commands (SET, RPUSH, …) or restore (RESTORE payloads)")
			fs.StringVar(&out, "o", "", "write to this file instead of stdout (replaced atomically)")
			fs.BoolVar(&replace, "replace", false, "resp commands: DEL each collection before writing it")
			fs.BoolVar(&keepExpired, "keep-expired", false, "include keys whose TTL has passed")
			fs.BoolVar(&showProgress, "progress", false, "report progress on stderr even when it is not a terminal")
		},
		run: func(e *env, args []string) error {
			if len(args) != 1 {
				return usagef("convert takes one file")
			}
			if to != "json" && to != "resp" {
				return usagef("--to must be json or resp")
			}
			if style != "commands" && style != "restore" {
				return usagef("--style must be commands or restore")
			}
			start := time.Now()
			in, p, closeIn, err := openInput(e, args[0], showProgress, "convert")
			if err != nil {
				return err
			}
			defer closeIn()
			w, commit, abort, err := openOutput(e, out)
			if err != nil {
				return err
			}
			bw := bufio.NewWriterSize(w, 1<<20)
			c := &converter{w: bw, p: p, now: time.Now().UnixMilli(), keepExpired: keepExpired}
			switch {
			case to == "json":
				c.write = c.json
			case style == "restore":
				c.write = c.restore
			default:
				c.write, c.replace = c.commands, replace
			}
			sum, err := rdb.Decode(in, c, rdb.DecodeOptions{SkipUnsupported: true})
			if err == nil {
				err = bw.Flush()
			}
			if err != nil {
				abort()
				return err
			}
			if err := commit(); err != nil {
				return err
			}
			closeIn() // clears the progress line before the summary
			fmt.Fprintf(e.stderr, "convert: %d keys written as %s (%d expired left out, %d not stored by cobble left out) from %s in %s\n",
				c.keys, to, c.expired, countSkipped(sum), humanBytes(sum.Bytes), time.Since(start).Round(time.Millisecond))
			if c.fieldTTLs > 0 {
				fmt.Fprintf(e.stderr, "  %d hashes had field TTLs (Redis 7.4): expired fields left out, the others written without a TTL\n", c.fieldTTLs)
			}
			return nil
		},
	}
}

func countSkipped(sum rdb.Summary) int {
	n := 0
	for _, k := range sum.Skipped {
		n += k
	}
	return n
}

// openOutput opens -o's file (a temporary file renamed into place by
// commit, removed by abort) or stdout.
func openOutput(e *env, path string) (w io.Writer, commit func() error, abort func(), err error) {
	if path == "" || path == "-" {
		return e.stdout, func() error { return nil }, func() {}, nil
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, nil, nil, err
	}
	commit = func() error {
		err := f.Sync()
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(f.Name(), path)
		}
		if err != nil {
			os.Remove(f.Name())
		}
		return err
	}
	abort = func() {
		f.Close()
		os.Remove(f.Name())
	}
	return f, commit, abort, nil
}

// converter is the rdb.Handler that writes keys in one format.
type converter struct {
	w           *bufio.Writer
	p           *progress
	now         int64
	keepExpired bool
	replace     bool
	write       func(e *rdb.Entry) error
	db          int
	keys        int64
	expired     int64
	fieldTTLs   int64    // hashes whose field TTLs were dropped
	args        [][]byte // reused command buffer
}

func (c *converter) Aux(k, v []byte) error                    { return nil }
func (c *converter) ResizeDB(int, uint64, uint64) error       { return nil }
func (c *converter) Skipped(db int, k []byte, t string) error { return nil }

func (c *converter) Entry(e *rdb.Entry) error {
	if e.ExpireAtMs != 0 && e.ExpireAtMs <= c.now && !c.keepExpired {
		c.expired++
		return nil
	}
	if e.HashExpireAtMs != nil {
		c.fieldTTLs++
		if !server.DropFieldTTLs(e, c.now) {
			c.expired++
			return nil
		}
	}
	c.keys++
	c.p.keys.Add(1)
	return c.write(e)
}

// jsonLine is one line of --to json.
type jsonLine struct {
	DB         int    `json:"db"`
	Key        string `json:"key"`
	Type       string `json:"type"`
	ExpireAtMs int64  `json:"expire_at_ms,omitempty"`
	Encoding   string `json:"encoding,omitempty"`
	Value      any    `json:"value"`
}

type jsonMember struct {
	Member string `json:"member"`
	Score  any    `json:"score"`
}

func (c *converter) json(e *rdb.Entry) error {
	b64 := !entryIsUTF8(e)
	str := func(b []byte) string {
		if b64 {
			return base64.StdEncoding.EncodeToString(b)
		}
		return string(b)
	}
	strs := func(l [][]byte) []string {
		out := make([]string, len(l))
		for i, b := range l {
			out[i] = str(b)
		}
		return out
	}
	line := jsonLine{DB: e.DB, Key: str(e.Key), Type: e.Type.String(), ExpireAtMs: e.ExpireAtMs}
	if b64 {
		line.Encoding = "base64"
	}
	switch e.Type {
	case rdb.TypeString:
		line.Value = str(e.String)
	case rdb.TypeList:
		line.Value = strs(e.List)
	case rdb.TypeSet:
		line.Value = strs(e.Set)
	case rdb.TypeHash:
		m := make(map[string]string, len(e.Hash))
		for _, fv := range e.Hash {
			m[str(fv[0])] = str(fv[1])
		}
		line.Value = m
	case rdb.TypeZSet:
		zs := make([]jsonMember, len(e.ZSet))
		for i, z := range e.ZSet {
			var score any = z.Score
			if math.IsInf(z.Score, 1) {
				score = "inf"
			} else if math.IsInf(z.Score, -1) {
				score = "-inf"
			}
			zs[i] = jsonMember{str(z.Member), score}
		}
		line.Value = zs
	}
	b, err := json.Marshal(line)
	if err != nil {
		return err
	}
	c.w.Write(b)
	return c.w.WriteByte('\n')
}

// entryIsUTF8 reports whether every byte string of e is valid UTF-8.
func entryIsUTF8(e *rdb.Entry) bool {
	ok := utf8.Valid(e.Key) && utf8.Valid(e.String)
	for _, v := range e.List {
		ok = ok && utf8.Valid(v)
	}
	for _, v := range e.Set {
		ok = ok && utf8.Valid(v)
	}
	for _, fv := range e.Hash {
		ok = ok && utf8.Valid(fv[0]) && utf8.Valid(fv[1])
	}
	for _, z := range e.ZSet {
		ok = ok && utf8.Valid(z.Member)
	}
	return ok
}

// command writes one RESP command.
func (c *converter) command(args ...[]byte) error {
	c.w.WriteString("*" + strconv.Itoa(len(args)) + "\r\n")
	for _, a := range args {
		c.w.WriteString("$" + strconv.Itoa(len(a)) + "\r\n")
		c.w.Write(a)
		if _, err := c.w.WriteString("\r\n"); err != nil {
			return err
		}
	}
	return nil
}

func (c *converter) selectDB(db int) error {
	if db == c.db {
		return nil
	}
	c.db = db
	return c.command([]byte("SELECT"), []byte(strconv.Itoa(db)))
}

func (c *converter) restore(e *rdb.Entry) error {
	if err := c.selectDB(e.DB); err != nil {
		return err
	}
	payload, err := rdb.DumpPayload(e)
	if err != nil {
		return fmt.Errorf("db %d key %q: %w", e.DB, e.Key, err)
	}
	return c.command([]byte("RESTORE"), e.Key, []byte(strconv.FormatInt(e.ExpireAtMs, 10)), payload, []byte("ABSTTL"), []byte("REPLACE"))
}

func (c *converter) commands(e *rdb.Entry) error {
	if err := c.selectDB(e.DB); err != nil {
		return err
	}
	if e.Type == rdb.TypeString {
		args := [][]byte{[]byte("SET"), e.Key, e.String}
		if e.ExpireAtMs != 0 {
			args = append(args, []byte("PXAT"), []byte(strconv.FormatInt(e.ExpireAtMs, 10)))
		}
		return c.command(args...)
	}
	if c.replace {
		if err := c.command([]byte("DEL"), e.Key); err != nil {
			return err
		}
	}
	var name string
	var elems [][]byte // flattened: values, members, field value pairs, score member pairs
	per := 1
	switch e.Type {
	case rdb.TypeList:
		name, elems = "RPUSH", e.List
	case rdb.TypeSet:
		name, elems = "SADD", e.Set
	case rdb.TypeHash:
		name, per = "HSET", 2
		for _, fv := range e.Hash {
			elems = append(elems, fv[0], fv[1])
		}
	case rdb.TypeZSet:
		name, per = "ZADD", 2
		for _, z := range e.ZSet {
			elems = append(elems, []byte(formatScore(z.Score)), z.Member)
		}
	}
	for i := 0; i < len(elems); {
		c.args = append(c.args[:0], []byte(name), e.Key)
		size := 0
		for i < len(elems) && (len(c.args)-2)/per < chunkElems && size < chunkBytes {
			for j := range per {
				c.args = append(c.args, elems[i+j])
				size += len(elems[i+j])
			}
			i += per
		}
		if err := c.command(c.args...); err != nil {
			return err
		}
	}
	if e.ExpireAtMs != 0 {
		return c.command([]byte("PEXPIREAT"), e.Key, []byte(strconv.FormatInt(e.ExpireAtMs, 10)))
	}
	return nil
}

// formatScore writes a score the way ZADD reads it back exactly.
func formatScore(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "+inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	return strconv.FormatFloat(f, 'g', 17, 64)
}
