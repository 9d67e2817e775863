package config

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// This file holds the directives with their own syntax. Each parser takes
// the arguments after the directive's name and the current value, and
// returns the new value with Redis's error texts.

var (
	errBadDirective = errors.New("Bad directive or wrong number of arguments")
	errSave         = errors.New("Invalid save parameters")
)

// SavePoint is one "save <seconds> <changes>" rule: snapshot when at least
// Changes writes happened in the last Seconds.
type SavePoint struct {
	Seconds int64
	Changes int64
}

// parseSave reads save. Redis's quirk, kept: while reading the file and the
// command line, the first save line replaces the default schedule and later
// ones add to it (save "" empties it); CONFIG SET replaces it.
func parseSave(_ *Directive, r *reader, cur value, args []string) (value, error) {
	cleared := false
	if len(args) == 1 && args[0] == "" {
		args, cleared = nil, true
	}
	if len(args)%2 != 0 {
		return value{}, errSave
	}
	nums := make([]int64, len(args))
	for i, a := range args {
		n, ok := strtoll(a)
		if !ok || (i%2 == 0 && n < 1) || (i%2 == 1 && n < 0) {
			return value{}, errSave
		}
		nums[i] = n
	}
	var list []string
	if r.fromFile && r.saveSeen && !cleared {
		list = append(list, cur.list...)
	}
	if r.fromFile {
		r.saveSeen = true
	}
	for _, n := range nums {
		list = append(list, strconv.FormatInt(n, 10))
	}
	return value{text: strings.Join(list, " "), list: list}, nil
}

// saveLines writes one save line per rule, or save "" for none. Like Redis,
// they are always written: a file with any save line drops the defaults.
func saveLines(d *Directive, v, _ value) []rwLine {
	if len(v.list) == 0 {
		return []rwLine{{text: d.Name + ` ""`, force: true}}
	}
	var out []rwLine
	for i := 0; i+1 < len(v.list); i += 2 {
		out = append(out, rwLine{text: d.Name + " " + v.list[i] + " " + v.list[i+1], force: true})
	}
	return out
}

// savePoints turns the value of save into rules.
func savePoints(v value) []SavePoint {
	var out []SavePoint
	for i := 0; i+1 < len(v.list); i += 2 {
		s, _ := strconv.ParseInt(v.list[i], 10, 64)
		c, _ := strconv.ParseInt(v.list[i+1], 10, 64)
		out = append(out, SavePoint{Seconds: s, Changes: c})
	}
	return out
}

// strtoll reads a decimal integer the way Redis uses C's strtoll when it
// insists on the whole string being used: leading blanks and a sign are
// allowed, an empty string is 0, and overflow saturates.
func strtoll(s string) (int64, bool) {
	n, ok, _ := cStrtoll(s, 10)
	return n, ok
}

// cStrtoll is C's strtoll(s, &end, base) followed by *end == '\0'. overflow
// says the value did not fit and was saturated.
func cStrtoll(s string, base int) (n int64, ok, overflow bool) {
	if s == "" {
		return 0, true, false // strtoll leaves end at the terminating NUL
	}
	i := 0
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	for i < len(s) && s[i] >= '0' && s[i] < '0'+byte(base) {
		i++
	}
	if i == start || i != len(s) {
		return 0, false, false
	}
	u, err := strconv.ParseUint(s[start:], base, 64)
	switch {
	case err != nil || (!neg && u > maxLong) || (neg && u > maxLong+1):
		if neg {
			return -maxLong - 1, true, true
		}
		return maxLong, true, true
	case neg:
		return int64(-u), true, false
	}
	return int64(u), true, false
}

// parseDir reads dir. Redis chdir()s into it, so a relative dir starts from
// the previous one and later includes start from it; cobble never changes
// the process's working directory but resolves paths the same way.
func parseDir(_ *Directive, r *reader, _ value, args []string) (value, error) {
	if len(args) != 1 {
		return value{}, errWrongArgs
	}
	p := args[0]
	if !filepath.IsAbs(p) {
		p = filepath.Join(r.base, p)
	}
	p = filepath.Clean(p)
	if !r.defaults {
		if args[0] == "" {
			return value{}, errors.New(strerror(syscall.ENOENT))
		}
		st, err := os.Stat(p)
		if err != nil {
			return value{}, errors.New(strerror(err))
		}
		if !st.IsDir() {
			return value{}, errors.New(strerror(syscall.ENOTDIR))
		}
	}
	r.base = p
	return value{text: p}, nil
}

// dirLines always writes dir, as an absolute path, like Redis: the data
// stays where it is whatever directory the server starts from next time.
func dirLines(d *Directive, v, _ value) []rwLine {
	return []rwLine{{text: d.Name + " " + repr(v.text), force: true}}
}

// strerror gives the C library's text for the error behind err ("No such
// file or directory"), which is what Redis prints.
func strerror(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		s := errno.Error()
		if s != "" {
			return strings.ToUpper(s[:1]) + s[1:]
		}
	}
	return err.Error()
}

// parseReplicaof reads replicaof <host> <port>, or replicaof no one.
func parseReplicaof(_ *Directive, _ *reader, _ value, args []string) (value, error) {
	if len(args) != 2 {
		return value{}, errWrongArgs
	}
	if strings.EqualFold(args[0], "no") && strings.EqualFold(args[1], "one") {
		return value{}, nil
	}
	port, ok := strtoll(args[1])
	if !ok || port < 0 || port > 65535 {
		return value{}, errors.New("Invalid master port")
	}
	p := strconv.FormatInt(port, 10)
	return value{text: args[0] + " " + p, list: []string{args[0], p}}, nil
}

// replicaofLines writes replicaof only on a replica, and removes it on a
// master.
func replicaofLines(d *Directive, v, _ value) []rwLine {
	if len(v.list) != 2 {
		return nil
	}
	return []rwLine{{text: d.Name + " " + quoteArg(v.list[0]) + " " + v.list[1], force: true}}
}

// parseRepeated reads a file-only directive that may appear many times
// (rename-command, user, loadmodule): it takes between lo and hi arguments
// (hi < 0: no limit). The value keeps the first line, which is what
// Config.Unsupported reports, and counts them all.
func parseRepeated(lo, hi int) func(*Directive, *reader, value, []string) (value, error) {
	return func(_ *Directive, _ *reader, cur value, args []string) (value, error) {
		if len(args) < lo || (hi >= 0 && len(args) > hi) {
			return value{}, errBadDirective
		}
		v := cur
		if v.text == "" {
			v.text = joinArgs(args)
		}
		v.list = append(append([]string(nil), cur.list...), joinArgs(args))
		return v, nil
	}
}

// parseIgnored reads the directives Redis removed but still accepts with
// one argument.
func parseIgnored(_ *Directive, _ *reader, cur value, args []string) (value, error) {
	if len(args) != 1 {
		return value{}, errBadDirective
	}
	return cur, nil
}

// textLines writes the directive followed by its CONFIG GET text.
func textLines(d *Directive, v, def value) []rwLine {
	return []rwLine{{text: d.Name + " " + v.text, force: v.text != def.text}}
}

// parseOOMValues reads the three oom-score-adj-values.
func parseOOMValues(_ *Directive, _ *reader, _ value, args []string) (value, error) {
	if len(args) != 3 {
		return value{}, errWrongArgs
	}
	list := make([]string, 3)
	for i, a := range args {
		n, ok := strtoll(a)
		if !ok || n < -2000 || n > 2000 {
			return value{}, errors.New("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
		}
		list[i] = strconv.FormatInt(n, 10)
	}
	return value{text: strings.Join(list, " "), list: list}, nil
}

// The flags of shutdown-on-sigint and shutdown-on-sigterm, in Redis's order.
var shutdownFlags = []struct {
	name string
	bit  int64
}{{"default", 0}, {"save", 1}, {"nosave", 2}, {"now", 4}, {"force", 8}}

// parseShutdownFlags reads a combination of SHUTDOWN flags.
func parseShutdownFlags(_ *Directive, _ *reader, _ value, args []string) (value, error) {
	errEnum := errors.New("argument(s) must be one of the following: default, save, nosave, now, force")
	if len(args) == 0 {
		return value{}, errEnum
	}
	var bits int64
	for _, a := range args {
		found := false
		for _, f := range shutdownFlags {
			if strings.EqualFold(a, f.name) {
				bits |= f.bit
				found = true
			}
		}
		if !found {
			return value{}, errEnum
		}
	}
	if bits&1 != 0 && bits&2 != 0 {
		return value{}, errors.New("shutdown options SAVE and NOSAVE can't be used simultaneously")
	}
	// Spelled like Redis: the one name of exactly these bits, or else the
	// name of every bit, in table order.
	var names []string
	for _, f := range shutdownFlags {
		if f.bit == bits {
			names = []string{f.name}
			break
		}
		if f.bit != 0 && bits&f.bit == f.bit {
			names = append(names, f.name)
		}
	}
	return value{text: strings.Join(names, " "), num: bits}, nil
}

// parseOctal reads unixsocketperm.
func parseOctal(d *Directive, _ *reader, _ value, args []string) (value, error) {
	if len(args) != 1 {
		return value{}, errWrongArgs
	}
	n, ok, overflow := cStrtoll(args[0], 8)
	if !ok || overflow {
		return value{}, errors.New("argument couldn't be parsed as an octal number")
	}
	if n < d.Min || n > d.Max {
		return value{}, fmt.Errorf("argument must be between %o and %o inclusive", d.Min, d.Max)
	}
	return value{text: strconv.FormatInt(n, 8), num: n}, nil
}

func octalLines(d *Directive, v, def value) []rwLine {
	return []rwLine{{text: d.Name + " " + v.text, force: v.num != def.num}}
}

// parseMemoryPercent reads maxmemory-clients: bytes, or a percentage of
// maxmemory, kept as a negative number like Redis does.
func parseMemoryPercent(d *Directive, _ *reader, _ value, args []string) (value, error) {
	if len(args) != 1 {
		return value{}, errWrongArgs
	}
	s := args[0]
	n, ok := parseMemory(s)
	if !ok {
		p, isInt := parseInt(strings.TrimSuffix(s, "%"))
		if len(s) < 2 || !strings.HasSuffix(s, "%") || !isInt || p < 0 {
			return value{}, errors.New("argument must be a memory or percent value")
		}
		if -p < d.Min {
			return value{}, fmt.Errorf("percentage argument must be less or equal to %d", -d.Min)
		}
		if p == 0 {
			return value{text: "0"}, nil // 0% is no limit, like 0 bytes
		}
		return value{text: strconv.FormatInt(p, 10) + "%", num: -p}, nil
	}
	if n > d.Max {
		return value{}, fmt.Errorf("argument must be between %d and %d inclusive", d.Min, d.Max)
	}
	return value{text: strconv.FormatInt(n, 10), num: n}, nil
}

func memoryPercentLines(d *Directive, v, def value) []rwLine {
	arg := v.text
	if v.num >= 0 {
		arg = formatMemory(v.num)
	}
	return []rwLine{{text: d.Name + " " + arg, force: v.num != def.num}}
}

// parsePercentiles reads latency-tracking-info-percentiles.
func parsePercentiles(_ *Directive, _ *reader, _ value, args []string) (value, error) {
	if len(args) == 1 && args[0] == "" {
		args = nil
	}
	list := make([]string, 0, len(args))
	for _, a := range args {
		f, err := strconv.ParseFloat(a, 64)
		if err != nil || isSpace(a[0]) || math.IsNaN(f) {
			return value{}, errors.New("Invalid latency-tracking-info-percentiles parameters")
		}
		if f < 0 || f > 100 {
			return value{}, errors.New("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
		}
		s := strconv.FormatFloat(f, 'f', 6, 64)
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
		list = append(list, s)
	}
	return value{text: strings.Join(list, " "), list: list}, nil
}

func percentileLines(d *Directive, v, def value) []rwLine {
	arg := v.text
	if arg == "" {
		arg = `""`
	}
	return []rwLine{{text: d.Name + " " + arg, force: v.text != def.text}}
}

// KeyspaceEvents is the set of notification classes notify-keyspace-events
// selects.
type KeyspaceEvents uint32

// The classes of keyspace notifications, with the letters
// notify-keyspace-events uses for them.
const (
	EventKeyspace KeyspaceEvents = 1 << iota // K: publish on __keyspace@<db>__:<key>
	EventKeyevent                            // E: publish on __keyevent@<db>__:<event>
	EventGeneric                             // g: DEL, EXPIRE, RENAME…
	EventString                              // $
	EventList                                // l
	EventSet                                 // s
	EventHash                                // h
	EventZSet                                // z
	EventExpired                             // x
	EventEvicted                             // e
	EventStream                              // t
	EventKeyMiss                             // m: not part of A
	EventModule                              // d
	EventNew                                 // n: not part of A

	// EventAll is what A stands for.
	EventAll = EventGeneric | EventString | EventList | EventSet | EventHash | EventZSet |
		EventExpired | EventEvicted | EventStream | EventModule
)

var eventLetters = []struct {
	c   byte
	bit KeyspaceEvents
}{
	{'g', EventGeneric}, {'$', EventString}, {'l', EventList}, {'s', EventSet},
	{'h', EventHash}, {'z', EventZSet}, {'x', EventExpired}, {'e', EventEvicted},
	{'t', EventStream}, {'d', EventModule}, {'n', EventNew},
	{'K', EventKeyspace}, {'E', EventKeyevent}, {'m', EventKeyMiss},
}

// String spells the classes the way CONFIG GET does. NB: Redis drops n
// when A is set too (its CONFIG GET says "A" for "An"); cobble keeps it.
func (e KeyspaceEvents) String() string {
	var b strings.Builder
	all := e&EventAll == EventAll
	if all {
		b.WriteByte('A')
	}
	for _, l := range eventLetters {
		if all && l.bit&EventAll != 0 {
			continue
		}
		if e&l.bit != 0 {
			b.WriteByte(l.c)
		}
	}
	return b.String()
}

func parseNotify(_ *Directive, _ *reader, _ value, args []string) (value, error) {
	if len(args) != 1 {
		return value{}, errWrongArgs
	}
	var e KeyspaceEvents
	for i := 0; i < len(args[0]); i++ {
		c := args[0][i]
		if c == 'A' {
			e |= EventAll
			continue
		}
		found := false
		for _, l := range eventLetters {
			if l.c == c {
				e |= l.bit
				found = true
				break
			}
		}
		if !found {
			return value{}, errors.New("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
		}
	}
	return value{text: e.String(), num: int64(e)}, nil
}

func notifyLines(d *Directive, v, _ value) []rwLine {
	return []rwLine{{text: d.Name + " " + repr(v.text), force: v.num != 0}}
}

// The client classes of client-output-buffer-limit, in Redis's order, with
// the name CONFIG REWRITE writes.
var outputClasses = []struct{ get, rewrite string }{
	{"normal", "normal"}, {"slave", "replica"}, {"pubsub", "pubsub"},
}

// parseOutputBufferLimit reads groups of <class> <hard> <soft> <seconds>;
// classes not named keep their limits. Nothing changes unless every group
// is valid.
func parseOutputBufferLimit(_ *Directive, _ *reader, cur value, args []string) (value, error) {
	if len(args)%4 != 0 {
		return value{}, errors.New("Wrong number of arguments in buffer limit configuration.")
	}
	list := append([]string(nil), cur.list...)
	if len(list) != 4*len(outputClasses) {
		list = []string{"normal", "0", "0", "0", "slave", "0", "0", "0", "pubsub", "0", "0", "0"}
	}
	for i := 0; i+3 < len(args); i += 4 {
		class := -1
		switch strings.ToLower(args[i]) {
		case "normal":
			class = 0
		case "slave", "replica":
			class = 1
		case "pubsub":
			class = 2
		}
		if class < 0 {
			return value{}, errors.New("Invalid client class specified in buffer limit configuration.")
		}
		hard, ok1 := parseMemory(args[i+1])
		soft, ok2 := parseMemory(args[i+2])
		secs, ok3 := strtoll(args[i+3])
		if !ok1 || !ok2 || !ok3 || secs < 0 {
			return value{}, errors.New("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
		}
		copy(list[class*4:], []string{outputClasses[class].get,
			strconv.FormatInt(hard, 10), strconv.FormatInt(soft, 10), strconv.FormatInt(secs, 10)})
	}
	return value{text: strings.Join(list, " "), list: list}, nil
}

// outputBufferLimitLines writes one line per class. They are all written
// when any class differs from its default (Redis writes only those that
// differ): the lines are matched to the file's in order, so writing them
// all keeps each class on its own line from one rewrite to the next.
func outputBufferLimitLines(d *Directive, v, def value) []rwLine {
	var out []rwLine
	for c, cl := range outputClasses {
		got := v.list[c*4 : c*4+4]
		hard, _ := strconv.ParseInt(got[1], 10, 64)
		soft, _ := strconv.ParseInt(got[2], 10, 64)
		out = append(out, rwLine{
			text:  fmt.Sprintf("%s %s %s %s %s", d.Name, cl.rewrite, formatMemory(hard), formatMemory(soft), got[3]),
			force: v.text != def.text,
		})
	}
	return out
}

// checkBind limits bind to 16 addresses, like Redis.
func checkBind(args []string) error {
	if len(args) > 16 {
		return errors.New("Too many bind addresses specified.")
	}
	return nil
}

// checkBaseName refuses paths where a bare file name is expected.
func checkBaseName(pathErr, emptyErr string) func([]string) error {
	return func(args []string) error {
		if emptyErr != "" && args[0] == "" {
			return errors.New(emptyErr)
		}
		if strings.ContainsAny(args[0], `/\`) {
			return errors.New(pathErr)
		}
		return nil
	}
}

// checkHostname allows what Redis allows in cluster-announce-hostname.
func checkHostname(args []string) error {
	s := args[0]
	if len(s) >= 256 {
		return errors.New("Hostnames must be less than 256 characters")
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(isAlnum(c) || c == '-' || c == '.') {
			return errors.New("Hostnames may only contain alphanumeric characters, hyphens or dots")
		}
	}
	return nil
}

// checkNodename allows what Redis allows in cluster-announce-human-nodename.
func checkNodename(args []string) error {
	for i := 0; i < len(args[0]); i++ {
		if c := args[0][i]; !isAlnum(c) && strings.IndexByte("!#$%&()*+:;<>?@[]^{|}~", c) >= 0 {
			return errors.New("Announced human node name contained invalid character")
		}
	}
	return nil
}

func isAlnum(c byte) bool {
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

// checkProcTitle checks a proc-title-template: {{ is a literal brace and
// every {name} must be a variable Redis knows.
func checkProcTitle(args []string) error {
	bad := errors.New("template format is invalid or contains unknown variables")
	s := args[0]
	expanded := false
	for len(s) > 0 {
		i := strings.IndexByte(s, '{')
		if i < 0 {
			expanded = expanded || strings.TrimSpace(s) != ""
			break
		}
		expanded = expanded || strings.TrimSpace(s[:i]) != ""
		s = s[i+1:]
		if s == "" {
			return bad
		}
		if s[0] == '{' {
			s, expanded = s[1:], true
			continue
		}
		j := strings.IndexByte(s, '}')
		if j < 0 {
			return bad
		}
		switch s[:j] {
		case "title":
		case "listen-addr", "port", "tls-port", "config-file":
			expanded = true
		case "server-mode", "unixsocket":
		default:
			return bad
		}
		s = s[j+1:]
	}
	if !expanded {
		return bad
	}
	return nil
}
