package config

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Config is the configuration of one server: every directive's value, as
// read by Load and changed by Set. It is safe for concurrent use.
type Config struct {
	file          string     // absolute path of the configuration file; "" when none
	sentinel      bool       // started with --sentinel
	sentinelLines [][]string // the arguments of each "sentinel …" line, in order
	defs          []value    // default values, parallel to table.rows

	// setMu serialises Set and Rewrite. It is held while OnSet hooks run,
	// so hooks may read the Config but must not call Set or Rewrite.
	setMu sync.Mutex

	mu struct {
		sync.RWMutex
		vals  []value // parallel to table.rows
		hooks map[int][]func(value string) error
	}
}

// Default returns a Config with every directive at its default. dir is
// ./data under the working directory.
func Default() *Config {
	wd, err := os.Getwd()
	if err != nil {
		wd = "."
	}
	c := &Config{defs: make([]value, len(table.rows))}
	for i, d := range table.rows {
		c.defs[i] = defaultValue(d, wd)
	}
	c.mu.vals = slices.Clone(c.defs)
	return c
}

// defaultValue reads a directive's Default. The table's tests make sure it
// never fails.
func defaultValue(d *Directive, wd string) value {
	if d.Default == "" {
		return value{}
	}
	args := []string{d.Default}
	if d.multi || d.Kind == Strings {
		args, _ = splitArgs(d.Default)
	}
	v, err := d.parseValue(&reader{base: wd, defaults: true}, value{}, args)
	if err != nil {
		panic(fmt.Sprintf("config: default of %s: %v", d.Name, err))
	}
	return v
}

// File returns the absolute path of the configuration file, or "" when the
// configuration came from the command line or standard input only.
func (c *Config) File() string { return c.file }

// SentinelMode reports whether the command line had --sentinel.
func (c *Config) SentinelMode() bool { return c.sentinel }

// SentinelLines returns the arguments of each "sentinel …" line read in
// Sentinel mode, in order, for the Sentinel to interpret.
func (c *Config) SentinelLines() [][]string {
	out := make([][]string, len(c.sentinelLines))
	for i, l := range c.sentinelLines {
		out[i] = slices.Clone(l)
	}
	return out
}

// Table returns a copy of every directive cobble knows, in the order of
// Redis's redis.conf sections, for documentation.
func (c *Config) Table() []Directive {
	out := make([]Directive, len(table.rows))
	for i, d := range table.rows {
		out[i] = *d
		out[i].Aliases = slices.Clone(d.Aliases)
		out[i].Enum = slices.Clone(d.Enum)
	}
	return out
}

// Get answers CONFIG GET: name, value, name, value… for every directive
// or alias matching one of the patterns. Like Redis, a pattern without
// * ? or [ is looked up exactly (in any case, and echoed as given, hidden
// directives included); a glob matches names in any case. Every name
// appears once, in any case: in the order of the patterns, and sorted
// within a glob.
func (c *Config) Get(patterns ...string) []string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []string
	seen := make(map[string]bool)
	add := func(name string, i int) {
		if key := strings.ToLower(name); !seen[key] {
			seen[key] = true
			out = append(out, name, c.mu.vals[i].text)
		}
	}
	for _, p := range patterns {
		if !hasGlob(p) {
			if i, ok := table.lookup(p); ok && !table.rows[i].FileOnly {
				add(p, i)
			}
			continue
		}
		for _, name := range table.sorted {
			if globMatch(p, name) {
				add(name, table.byName[name])
			}
		}
	}
	return out
}

// Set answers CONFIG SET name value [name value …]: all of them change, or
// none. Names are checked first (unknown, immutable, protected, twice),
// then values, in order; the first problem is returned as a *SetError with
// Redis's text. The hooks registered with OnSet then run for every value
// that changes; if one fails, those that ran are called again with the old
// values and nothing changes. Set behaves as for a client that is not on
// the loopback interface; see SetLocal.
func (c *Config) Set(pairs ...string) error { return c.set(false, pairs) }

// SetLocal is Set for a client on the loopback interface or a Unix socket,
// which enable-protected-configs local lets change dir and dbfilename.
func (c *Config) SetLocal(pairs ...string) error { return c.set(true, pairs) }

type change struct {
	i        int
	name     string // as the client wrote it
	old, new value
}

func (c *Config) set(local bool, pairs []string) error {
	if len(pairs) == 0 || len(pairs)%2 != 0 {
		return ErrSyntax
	}
	c.setMu.Lock()
	defer c.setMu.Unlock()

	changes, err := c.checkNames(local, pairs)
	if err != nil {
		return err
	}
	hooks, err := c.readValues(changes, pairs)
	if err != nil {
		return err
	}
	type ran struct {
		fn  func(string) error
		old string
	}
	var undo []ran // hooks that ran, the failing one included
	for _, ch := range changes {
		if ch.new.text == ch.old.text {
			continue
		}
		for _, fn := range hooks[ch.i] {
			undo = append(undo, ran{fn, ch.old.text})
			if err := fn(ch.new.text); err != nil {
				// Back to the old values, newest first. Errors cannot be
				// helped here: the old values worked before.
				for k := len(undo) - 1; k >= 0; k-- {
					_ = undo[k].fn(undo[k].old)
				}
				return &SetError{Arg: strings.ToLower(ch.name), Err: err}
			}
		}
	}
	c.mu.Lock()
	for _, ch := range changes {
		c.mu.vals[ch.i] = ch.new
	}
	c.mu.Unlock()
	return nil
}

// checkNames finds the directives of a CONFIG SET and checks they may be
// set, in order.
func (c *Config) checkNames(local bool, pairs []string) ([]change, error) {
	var changes []change
	for k := 0; k < len(pairs); k += 2 {
		name := pairs[k]
		i, ok := table.lookup(name)
		if !ok || table.rows[i].FileOnly {
			return nil, &SetError{Arg: name, Unknown: true}
		}
		d := table.rows[i]
		switch {
		case !d.Mutable:
			return nil, &SetError{Arg: name, Err: errImmutable}
		case d.Protected && !c.protectedAllowed(local):
			return nil, &SetError{Arg: name, Err: errProtected}
		}
		for _, ch := range changes {
			if ch.i == i {
				return nil, &SetError{Arg: name, Err: errDuplicate}
			}
		}
		changes = append(changes, change{i: i, name: name})
	}
	return changes, nil
}

// readValues parses the new values of a CONFIG SET, and returns the hooks
// to run.
func (c *Config) readValues(changes []change, pairs []string) (map[int][]func(string) error, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for k := range changes {
		ch := &changes[k]
		d := table.rows[ch.i]
		raw := pairs[2*k+1]
		args := []string{raw}
		if d.multi || d.Kind == Strings {
			// Like Redis, CONFIG SET splits on single spaces.
			args = strings.Split(raw, " ")
			if raw == "" {
				args = nil
			}
		}
		ch.old = c.mu.vals[ch.i]
		r := reader{base: c.mu.vals[table.byName["dir"]].text}
		v, err := d.parseValue(&r, ch.old, args)
		if err != nil {
			return nil, &SetError{Arg: strings.ToLower(ch.name), Err: err}
		}
		if d.Support == NotYet && v.text != c.defs[ch.i].text {
			return nil, &SetError{Arg: strings.ToLower(ch.name), Err: &UnsupportedError{Name: d.Name, Value: v.text}}
		}
		v.src = "CONFIG SET"
		ch.new = v
	}
	hooks := make(map[int][]func(string) error)
	for _, ch := range changes {
		hooks[ch.i] = slices.Clone(c.mu.hooks[ch.i])
	}
	return hooks, nil
}

// protectedAllowed reports whether enable-protected-configs lets this
// client change dir and dbfilename.
func (c *Config) protectedAllowed(local bool) bool {
	switch c.String("enable-protected-configs") {
	case "yes":
		return true
	case "local":
		return local
	}
	return false
}

// OnSet registers fn to apply a change made by Set to the directive name
// (or its alias): fn gets the new value as CONFIG GET prints it, and an
// error from it vetoes the whole CONFIG SET. Hooks run in registration
// order, before the new values are visible to readers, and must not call
// Set or Rewrite. OnSet panics on an unknown name.
func (c *Config) OnSet(name string, fn func(value string) error) {
	i := mustLookup(name)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.mu.hooks == nil {
		c.mu.hooks = make(map[int][]func(string) error)
	}
	c.mu.hooks[i] = append(c.mu.hooks[i], fn)
}

// Unsupported returns nil, or an *UnsupportedError for the first directive
// (in table order) that cobble does not support yet and that is set to
// something other than its default. The server calls it before starting.
func (c *Config) Unsupported() error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for i, d := range table.rows {
		v := c.mu.vals[i]
		if d.Support == NotYet && v.text != c.defs[i].text {
			return &UnsupportedError{Name: d.Name, Value: v.text, Source: v.src}
		}
	}
	return nil
}

func mustLookup(name string) int {
	i, ok := table.lookup(name)
	if !ok {
		panic("config: unknown directive " + strconv.Quote(name))
	}
	return i
}

// get returns a directive and its value; it panics on an unknown name.
func (c *Config) get(name string) (*Directive, value) {
	i := mustLookup(name)
	c.mu.RLock()
	defer c.mu.RUnlock()
	return table.rows[i], c.mu.vals[i]
}

// String returns a directive's value as CONFIG GET prints it. It panics on
// an unknown name, like the other accessors: names are constants in the
// code.
func (c *Config) String(name string) string {
	_, v := c.get(name)
	return v.text
}

// Int returns the value of an Int or Memory directive, or the number
// behind a numeric Special one (unixsocketperm; maxmemory-clients, where a
// percentage is negative).
func (c *Config) Int(name string) int64 {
	d, v := c.get(name)
	if d.Kind == Int || d.Kind == Memory || d.Name == "unixsocketperm" || d.Name == "maxmemory-clients" {
		return v.num
	}
	panic(fmt.Sprintf("config: %s is %s, not a number", d.Name, d.Kind))
}

// Bytes returns the value of a Memory directive, in bytes.
func (c *Config) Bytes(name string) int64 {
	d, v := c.get(name)
	if d.Kind != Memory {
		panic(fmt.Sprintf("config: %s is %s, not memory", d.Name, d.Kind))
	}
	return v.num
}

// Bool returns the value of a Bool directive.
func (c *Config) Bool(name string) bool {
	d, v := c.get(name)
	if d.Kind != Bool {
		panic(fmt.Sprintf("config: %s is %s, not bool", d.Name, d.Kind))
	}
	return v.num != 0
}

// Strings returns the list of a Strings directive (bind), of a
// list-shaped Special one (save, replicaof, client-output-buffer-limit,
// oom-score-adj-values, latency-tracking-info-percentiles), or the lines of
// a repeatable file-only one (rename-command, user, loadmodule), each
// quoted as in the file.
func (c *Config) Strings(name string) []string {
	d, v := c.get(name)
	if d.Kind != Strings && !d.multi && !d.FileOnly {
		panic(fmt.Sprintf("config: %s is %s, not a list", d.Name, d.Kind))
	}
	return slices.Clone(v.list)
}

// SavePoints returns the snapshot schedule of save; none when it is off.
func (c *Config) SavePoints() []SavePoint {
	_, v := c.get("save")
	return savePoints(v)
}

// Replicaof returns the master of replicaof, and ok false on a master.
func (c *Config) Replicaof() (host string, port int, ok bool) {
	_, v := c.get("replicaof")
	if len(v.list) != 2 {
		return "", 0, false
	}
	p, _ := strconv.Atoi(v.list[1])
	return v.list[0], p, true
}

// KeyspaceEvents returns the classes notify-keyspace-events selects.
func (c *Config) KeyspaceEvents() KeyspaceEvents {
	_, v := c.get("notify-keyspace-events")
	return KeyspaceEvents(v.num)
}

// Path returns the value of a directive naming a file or directory
// (logfile, pidfile, dbfilename, appenddirname, cluster-config-file,
// aclfile, unixsocket…) resolved against dir: Redis runs in dir, so that is
// where its relative paths point. An empty value stays empty.
func (c *Config) Path(name string) string {
	p := c.String(name)
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.String("dir"), p)
}
