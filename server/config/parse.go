package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// FileError is a line of the configuration that cobble cannot use. Its
// text is Redis's fatal configuration error, with the file named:
//
//	Reading the configuration file /etc/redis/redis.conf, at line 12
//	>>> 'maxmemory 1x'
//	argument must be a memory value
//
// The command line prints the same block under a banner like Redis's
// "*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***".
type FileError struct {
	File string // the file as named on the command line or by include, StdinName, or CommandLineName
	Line int    // 1-based line, or option number on the command line; 0 when no line is to blame
	Text string // the line, without surrounding blanks
	Err  error  // what is wrong with it, in Redis's words
}

// The names FileError uses for configuration that is not in a file.
const (
	StdinName       = "(stdin)"
	CommandLineName = "(command line)"
)

func (e *FileError) Error() string {
	var b strings.Builder
	switch {
	case e.Line == 0:
	case e.File == CommandLineName:
		fmt.Fprintf(&b, "Reading the command line options, at option %d\n>>> '%s'\n", e.Line, e.Text)
	default:
		fmt.Fprintf(&b, "Reading the configuration file %s, at line %d\n>>> '%s'\n", e.File, e.Line, e.Text)
	}
	b.WriteString(e.Err.Error())
	return b.String()
}

func (e *FileError) Unwrap() error { return e.Err }

// openError is a configuration file that cannot be read.
type openError struct {
	name string
	err  error
}

func (e *openError) Error() string {
	return fmt.Sprintf("Fatal error, can't open config file '%s': %s", e.name, strerror(e.err))
}

func (e *openError) Unwrap() error { return e.err }

// maxIncludeDepth bounds include nesting, so a file that includes itself
// fails instead of recursing forever.
const maxIncludeDepth = 32

// loader reads files, standard input and command-line options into a
// Config.
type loader struct {
	c        *Config
	r        reader
	depth    int
	readFile func(name string) ([]byte, error)
	glob     func(pattern string) ([]string, error)
}

func newLoader(c *Config) *loader {
	wd, err := os.Getwd()
	if err != nil {
		wd = "."
	}
	return &loader{
		c:        c,
		r:        reader{base: wd, fromFile: true},
		readFile: os.ReadFile,
		glob:     filepath.Glob,
	}
}

// Load reads the configuration the way redis-server reads its command line:
// args are os.Args[1:], such as
//
//	/etc/redis/redis.conf --port 7000 --save "" --replicaof 10.0.0.1 6379
//
// The first argument, unless it starts with '-', is the configuration
// file; it is optional. A '-' as the first or last argument reads more
// configuration from standard input after the file. Every --name starts a
// line "name arg…" that is read after the file and standard input, so the
// command line wins. A --name without arguments takes the next argument even
// if it starts with "--", except that --save alone means --save "".
// --sentinel selects Sentinel mode (port 26379, protected-mode no, sentinel
// lines allowed).
//
// The caller handles -v, --version, -h, --help and the like before calling
// Load. Errors are *FileError, or an error naming a file that cannot be read,
// with Redis's texts.
func Load(args []string) (*Config, error) {
	return newLoader(Default()).load(args, os.Stdin)
}

// Parse reads one configuration file from r; name is what errors call it.
// Relative includes start from the working directory. The result has no
// file, so Rewrite refuses it. It is meant for tests and tools.
func Parse(r io.Reader, name string) (*Config, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, &openError{name: name, err: err}
	}
	ld := newLoader(Default())
	if err := ld.parse(name, string(data)); err != nil {
		return nil, err
	}
	if err := ld.finish(); err != nil {
		return nil, err
	}
	return ld.c, nil
}

func (ld *loader) load(args []string, stdin io.Reader) (*Config, error) {
	c := ld.c
	for _, a := range args {
		if a == "--sentinel" {
			c.sentinel = true
		}
	}
	if c.sentinel {
		ld.setDefault("port", "26379")
		ld.setDefault("protected-mode", "no")
	}
	file, hasFile, fromStdin, options := splitCommandLine(args)
	if hasFile {
		abs, err := filepath.Abs(file)
		if err != nil {
			return nil, &openError{name: file, err: err}
		}
		c.file = abs
		data, err := ld.readFile(abs)
		if err != nil {
			return nil, &openError{name: abs, err: err}
		}
		if err := ld.parse(abs, string(data)); err != nil {
			return nil, err
		}
	}
	if fromStdin {
		data, err := io.ReadAll(stdin)
		if err != nil {
			return nil, &openError{name: StdinName, err: err}
		}
		if err := ld.parse(StdinName, string(data)); err != nil {
			return nil, err
		}
	}
	if err := ld.parse(CommandLineName, options); err != nil {
		return nil, err
	}
	if err := ld.finish(); err != nil {
		return nil, err
	}
	return c, nil
}

// setDefault replaces a default value before anything is read (Sentinel
// mode's port and protected-mode).
func (ld *loader) setDefault(name, text string) {
	i, _ := table.lookup(name)
	d := table.rows[i]
	v, err := d.parseValue(&reader{defaults: true}, ld.c.mu.vals[i], []string{text})
	if err != nil {
		panic(err)
	}
	v.src = "sentinel mode"
	ld.c.mu.vals[i] = v
}

// splitCommandLine turns redis-server's arguments into the configuration
// file, whether standard input is read, and the text of the options, one
// "name arg…" line per --name, exactly as Redis builds it.
func splitCommandLine(args []string) (file string, hasFile, fromStdin bool, options string) {
	j := 0
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, hasFile, j = args[0], true, 1
	}
	var b strings.Builder
	lastHasArg := true // the last --name already has an argument
	for ; j < len(args); j++ {
		a := args[j]
		last := j == len(args)-1
		switch {
		case a == "-" && (j == 0 || last):
			fromStdin = true
		case lastHasArg && strings.HasPrefix(a, "--"):
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(a[2:])
			b.WriteByte(' ')
			if words, _ := splitArgs(a); len(words) != 1 {
				break // "--port 6380" as one argument: name and value
			}
			lastHasArg = false
			nextIsOption := !last && strings.HasPrefix(args[j+1], "--")
			switch {
			case strings.EqualFold(a, "--save") && (last || nextIsOption):
				// Like Redis since 7.0.1: a bare --save means save "".
				b.WriteString(`""`)
				lastHasArg = !last
			case strings.EqualFold(a, "--sentinel") && nextIsOption:
				lastHasArg = true
			}
		default:
			b.WriteString(repr(a))
			b.WriteByte(' ')
			lastHasArg = true
		}
	}
	return file, hasFile, fromStdin, b.String()
}

// parse reads the text of one file (or of the command line) line by line.
func (ld *loader) parse(name, text string) error {
	for i, raw := range strings.Split(text, "\n") {
		line := strings.Trim(raw, " \t\r\n")
		if line == "" || line[0] == '#' {
			continue
		}
		args, err := splitArgs(line)
		if err != nil {
			return &FileError{File: name, Line: i + 1, Text: line, Err: errors.New("Unbalanced quotes in configuration line")}
		}
		if len(args) == 0 {
			continue
		}
		src := name + ":" + strconv.Itoa(i+1)
		if name == CommandLineName {
			src = "command line"
		}
		if err := ld.apply(args, src); err != nil {
			var fe *FileError
			if errors.As(err, &fe) {
				return err // from an included file: it knows better
			}
			return &FileError{File: name, Line: i + 1, Text: line, Err: err}
		}
	}
	return nil
}

// apply sets the directive of one line.
func (ld *loader) apply(args []string, src string) error {
	i, ok := table.lookup(args[0])
	if !ok {
		return errBadDirective
	}
	d := table.rows[i]
	vals := args[1:]
	switch {
	case d.Name == "include":
		if len(vals) != 1 {
			return errBadDirective
		}
		return ld.include(vals[0])
	case d.Name == "sentinel":
		if len(vals) == 0 {
			return nil // --sentinel itself
		}
		if !ld.c.sentinel {
			return errors.New("sentinel directive while not in sentinel mode")
		}
		ld.c.sentinelLines = append(ld.c.sentinelLines, append([]string(nil), vals...))
		return nil
	case d.FileOnly:
	case !d.multi && len(vals) != 1:
		return errWrongArgs
	case d.multi && len(vals) == 1 && vals[0] != "":
		// One argument holding several: --save "900 1 300 10".
		split, err := splitArgs(vals[0])
		if err != nil {
			return errors.New("Unbalanced quotes in configuration line")
		}
		vals = split
	}
	v, err := d.parseValue(&ld.r, ld.c.mu.vals[i], vals)
	if err != nil {
		return err
	}
	v.src = src
	ld.c.mu.vals[i] = v
	return nil
}

// include reads another file, or every file a glob matches (none is fine
// then). A relative name starts from the working directory as a dir line
// above has left it, like Redis.
func (ld *loader) include(name string) error {
	if ld.depth >= maxIncludeDepth {
		return fmt.Errorf("include nesting deeper than %d: '%s'", maxIncludeDepth, name)
	}
	path := name
	if !filepath.IsAbs(path) {
		path = filepath.Join(ld.r.base, path)
	}
	paths := []string{path}
	if strings.ContainsAny(name, "*?[") {
		var err error
		if paths, err = ld.glob(path); err != nil {
			return &openError{name: name, err: err}
		}
	}
	ld.depth++
	defer func() { ld.depth-- }()
	for _, p := range paths {
		data, err := ld.readFile(p)
		if err != nil {
			return &openError{name: p, err: err}
		}
		if err := ld.parse(p, string(data)); err != nil {
			return err
		}
	}
	return nil
}

// finish checks what no single line can.
func (ld *loader) finish() error {
	if ld.c.Bool("cluster-enabled") {
		if _, _, ok := ld.c.Replicaof(); ok {
			return &FileError{Err: errors.New("replicaof directive not allowed in cluster mode")}
		}
	}
	return nil
}
