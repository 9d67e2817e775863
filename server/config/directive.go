package config

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Kind says how a directive's arguments are read.
type Kind uint8

// The kinds of directive.
const (
	// Bool is yes or no, in any case.
	Bool Kind = iota + 1
	// Int is a decimal integer within [Min, Max], written as Redis's
	// string2ll accepts it: no sign but '-', no leading zeros, no blanks.
	Int
	// Memory is a byte count with an optional unit, as Redis's memtoull
	// reads it: b, k (1000), kb (1024), m, mb, g, gb, in any case.
	Memory
	// Enum is one of the values in Enum, in any case.
	Enum
	// String is one argument, kept as is.
	String
	// Strings is a list of arguments (bind); a single "" empties it.
	Strings
	// Special has its own parser (save, dir, replicaof,
	// client-output-buffer-limit…) or is only meaningful in a file
	// (include, rename-command…).
	Special
)

func (k Kind) String() string {
	switch k {
	case Bool:
		return "bool"
	case Int:
		return "int"
	case Memory:
		return "memory"
	case Enum:
		return "enum"
	case String:
		return "string"
	case Strings:
		return "strings"
	case Special:
		return "special"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Support says what cobble does with a directive.
type Support uint8

// The levels of support.
const (
	// Honored directives change what cobble does.
	Honored Support = iota + 1
	// Accepted directives are read, checked, stored, shown by CONFIG GET,
	// set by CONFIG SET and kept by CONFIG REWRITE, but have no effect:
	// they tune parts of Redis that cobble does not have (listpack sizes,
	// lazy freeing, I/O threads…).
	Accepted
	// NotYet directives are read and checked, but any value other than the
	// default stops the start (see Config.Unsupported): ignoring it would
	// silently change what the user asked for.
	NotYet
)

func (s Support) String() string {
	switch s {
	case Honored:
		return "honored"
	case Accepted:
		return "accepted"
	case NotYet:
		return "not yet"
	}
	return fmt.Sprintf("Support(%d)", uint8(s))
}

// Directive is one row of the table that drives everything in this package:
// reading redis.conf and the command line, CONFIG GET, CONFIG SET, CONFIG
// REWRITE and the compatibility docs.
type Directive struct {
	Name    string   // lower case, as CONFIG GET prints it
	Aliases []string // older names that mean the same (slaveof → replicaof)
	Kind    Kind
	Default string // as CONFIG GET prints it
	Min     int64  // Int and Memory: smallest value accepted
	Max     int64  // Int and Memory: largest value accepted
	Enum    []string
	Mutable bool // CONFIG SET may change it
	Support Support
	Doc     string // one line for the docs

	Protected bool // CONFIG SET needs enable-protected-configs (dir, dbfilename)
	Sensitive bool // the value is a secret: keep it out of SLOWLOG, MONITOR and logs
	Hidden    bool // CONFIG GET patterns skip it; its exact name still works
	FileOnly  bool // only in a file or on the command line (include, rename-command…)

	// multi: the directive takes several arguments, and a single one is
	// split again (--save "900 1 300 10").
	multi bool
	// parse replaces the kind's parser (Special kinds have one).
	parse func(d *Directive, r *reader, cur value, args []string) (value, error)
	// check adds validation to String and Strings kinds.
	check func(args []string) error
	// adjust changes an Int value Redis caps instead of refusing (hz).
	adjust func(n int64) int64
	// lines gives the lines CONFIG REWRITE writes; nil: one line from the kind.
	lines func(d *Directive, v, def value) []rwLine
}

// value is the current setting of one directive.
type value struct {
	text string   // as CONFIG GET prints it
	num  int64    // Bool (1 = yes), Int, Memory and numeric Specials
	list []string // Strings and list-shaped Specials (bind, save, replicaof…)
	src  string   // where it was last set ("/etc/redis/redis.conf:12", "command line"…); "" for the default
}

// rwLine is one line CONFIG REWRITE writes for a directive. A line that is
// not forced is only written where the file already has one.
type rwLine struct {
	text  string
	force bool
}

// reader is the context a value is read in.
type reader struct {
	base     string // directory relative paths start from (Redis chdir()s into dir)
	fromFile bool   // a file or the command line, as opposed to CONFIG SET
	defaults bool   // reading the table's own defaults
	saveSeen bool   // a save line was read: later ones add to the schedule
}

// Errors with Redis's texts, shared by several kinds.
var (
	errWrongArgs = errors.New("wrong number of arguments")
	errYesNo     = errors.New("argument must be 'yes' or 'no'")
	errInteger   = errors.New("argument couldn't be parsed into an integer")
	errMemory    = errors.New("argument must be a memory value")
)

// parseValue reads the arguments of one line or one CONFIG SET value into
// the directive's new value.
func (d *Directive) parseValue(r *reader, cur value, args []string) (value, error) {
	if d.parse != nil {
		return d.parse(d, r, cur, args)
	}
	if d.Kind != Strings && len(args) != 1 {
		return value{}, errWrongArgs
	}
	switch d.Kind {
	case Bool:
		switch strings.ToLower(args[0]) {
		case "yes":
			return value{text: "yes", num: 1}, nil
		case "no":
			return value{text: "no"}, nil
		}
		return value{}, errYesNo
	case Int, Memory:
		n, err := d.parseNumber(args[0])
		if err != nil {
			return value{}, err
		}
		return value{text: strconv.FormatInt(n, 10), num: n}, nil
	case Enum:
		for _, e := range d.Enum {
			if strings.EqualFold(args[0], e) {
				return value{text: e}, nil
			}
		}
		return value{}, fmt.Errorf("argument(s) must be one of the following: %s", strings.Join(d.Enum, ", "))
	case String:
		if d.check != nil {
			if err := d.check(args); err != nil {
				return value{}, err
			}
		}
		return value{text: args[0]}, nil
	case Strings:
		if len(args) == 1 && args[0] == "" {
			args = nil
		}
		if d.check != nil {
			if err := d.check(args); err != nil {
				return value{}, err
			}
		}
		list := append([]string(nil), args...)
		return value{text: strings.Join(list, " "), list: list}, nil
	}
	return value{}, fmt.Errorf("config: directive %q has no parser", d.Name)
}

// parseNumber reads an Int or Memory argument and checks its bounds.
func (d *Directive) parseNumber(s string) (int64, error) {
	var n int64
	var ok bool
	if d.Kind == Memory {
		n, ok = parseMemory(s)
		if !ok {
			return 0, errMemory
		}
	} else {
		n, ok = parseInt(s)
		if !ok {
			return 0, errInteger
		}
	}
	if n < d.Min || n > d.Max {
		return 0, fmt.Errorf("argument must be between %d and %d inclusive", d.Min, d.Max)
	}
	if d.adjust != nil {
		n = d.adjust(n)
	}
	return n, nil
}

// parseInt reads a decimal integer as strictly as Redis's string2ll: an
// optional '-', then no leading zeros, no '+', no blanks, no overflow.
func parseInt(s string) (int64, bool) {
	if len(s) == 0 || len(s) >= 21 {
		return 0, false
	}
	if s == "0" {
		return 0, true
	}
	digits := s
	if digits[0] == '-' {
		digits = digits[1:]
	}
	if len(digits) == 0 || digits[0] < '1' || digits[0] > '9' {
		return 0, false
	}
	for i := 1; i < len(digits); i++ {
		if digits[i] < '0' || digits[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}

// parseMemory reads a byte count the way Redis's memtoull does: digits
// followed by an optional unit (b, k, kb, m, mb, g, gb, any case). Like
// Redis it takes a missing number as 0 ("kb" is 0). Unlike Redis, a value
// that does not fit in an int64 is refused rather than wrapped.
func parseMemory(s string) (int64, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	var mul uint64
	switch strings.ToLower(s[i:]) {
	case "", "b":
		mul = 1
	case "k":
		mul = 1000
	case "kb":
		mul = 1024
	case "m":
		mul = 1000 * 1000
	case "mb":
		mul = 1024 * 1024
	case "g":
		mul = 1000 * 1000 * 1000
	case "gb":
		mul = 1024 * 1024 * 1024
	default:
		return 0, false
	}
	if i == 0 {
		return 0, true
	}
	n, err := strconv.ParseUint(s[:i], 10, 64)
	if err != nil || n > (1<<63-1)/mul {
		return 0, false
	}
	return int64(n * mul), true
}

// formatMemory writes a byte count for CONFIG REWRITE, in the largest of gb,
// mb or kb that divides it, like Redis.
func formatMemory(n int64) string {
	const kb, mb, gb = 1024, 1024 * 1024, 1024 * 1024 * 1024
	switch {
	case n != 0 && n%gb == 0:
		return strconv.FormatInt(n/gb, 10) + "gb"
	case n != 0 && n%mb == 0:
		return strconv.FormatInt(n/mb, 10) + "mb"
	case n != 0 && n%kb == 0:
		return strconv.FormatInt(n/kb, 10) + "kb"
	}
	return strconv.FormatInt(n, 10)
}

// rewriteLines returns the lines CONFIG REWRITE writes for value v.
func (d *Directive) rewriteLines(v, def value) []rwLine {
	if d.lines != nil {
		return d.lines(d, v, def)
	}
	force := v.text != def.text
	var arg string
	switch d.Kind {
	case Memory:
		arg = formatMemory(v.num)
	case String:
		arg = repr(v.text)
	case Strings:
		if !force {
			// Redis drops bind lines that say the default.
			return nil
		}
		if len(v.list) == 0 {
			arg = `""`
		} else {
			arg = joinArgs(v.list) // Redis does not quote, which breaks odd values
		}
	default:
		arg = v.text
	}
	return []rwLine{{text: d.Name + " " + arg, force: force}}
}

// names returns the directive's name and aliases.
func (d *Directive) names() []string {
	return append([]string{d.Name}, d.Aliases...)
}

// index maps every name and alias, in lower case, to its row.
type index struct {
	rows   []*Directive
	byName map[string]int
	sorted []string // every name and alias CONFIG GET patterns may match, sorted
}

func newIndex(rows []*Directive) *index {
	ix := &index{rows: rows, byName: make(map[string]int)}
	for i, d := range rows {
		for _, n := range d.names() {
			if _, dup := ix.byName[n]; dup {
				panic("config: directive " + n + " is in the table twice")
			}
			ix.byName[n] = i
			if !d.Hidden && !d.FileOnly {
				ix.sorted = append(ix.sorted, n)
			}
		}
	}
	sort.Strings(ix.sorted)
	return ix
}

// lookup finds a directive by name or alias, in any case.
func (ix *index) lookup(name string) (int, bool) {
	if i, ok := ix.byName[name]; ok { // names in the code are lower case: no copy
		return i, ok
	}
	i, ok := ix.byName[strings.ToLower(name)]
	return i, ok
}
