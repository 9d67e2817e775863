// Command cobble-rdb backs up, restores, inspects, converts and verifies
// Redis RDB files, for cobble and for real Redis alike.
//
//	cobble-rdb backup   a running node (SYNC, like redis-cli --rdb), or a stopped node's data directory
//	cobble-rdb restore  into a running node or cluster (RESTORE … REPLACE), or into an empty data directory
//	cobble-rdb inspect  keys by type, sizes, biggest keys, expiry, slots, a memory estimate; --json
//	cobble-rdb convert  to JSON lines, or to a RESP command stream for redis-cli --pipe
//	cobble-rdb verify   structure and checksum
//
// Exit codes, the same for every subcommand:
//
//	0  done; for verify: the file is valid
//	1  the data is bad: a corrupt, truncated or unsupported RDB file, or keys the target refused
//	2  the work could not be done: a bad command line, a file that cannot be opened or written,
//	   a node that cannot be reached
//
// Progress goes to stderr when it is a terminal, or with --progress; the
// summary at the end goes to stderr too, so stdout carries only data
// (inspect's report, convert's output when -o is not given).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/cobbledb/cobble/rdb"
	"github.com/cobbledb/cobble/server"
)

// Exit codes. Scripts rely on them: never renumber.
const (
	exitOK   = 0 // done (verify: valid)
	exitData = 1 // the data is bad
	exitFail = 2 // usage, I/O or network failure
)

// env is what a subcommand reads and writes: the process's streams, or
// buffers in tests.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	stderrTTY      bool // progress redraws one line
}

// command is one subcommand.
type command struct {
	name    string
	summary string
	usage   string // the line after "Usage: cobble-rdb "
	detail  string // what it does, flags aside
	example string
	flags   func(fs *flag.FlagSet)            // declares the flags into the command's options
	run     func(e *env, args []string) error // runs with the options and the positional args
}

func commands() []*command {
	return []*command{backupCommand(), restoreCommand(), inspectCommand(), convertCommand(), verifyCommand()}
}

func main() {
	tty := false
	if st, err := os.Stderr.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
		tty = true
	}
	os.Exit(run(os.Args[1:], &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, stderrTTY: tty}))
}

// run runs one subcommand and returns the exit code.
func run(args []string, e *env) int {
	if len(args) == 0 {
		usage(e.stderr)
		return exitFail
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		if len(args) > 1 {
			if c := lookup(args[1]); c != nil {
				commandUsage(e.stdout, c, newFlagSet(c))
				return exitOK
			}
		}
		usage(e.stdout)
		return exitOK
	case "-v", "-version", "--version", "version":
		fmt.Fprintf(e.stdout, "cobble-rdb %s (redis_version %s, writes RDB version %d)\n", server.CobbleVersion, server.Version, rdb.DefaultVersion)
		return exitOK
	}
	c := lookup(args[0])
	if c == nil {
		fmt.Fprintf(e.stderr, "cobble-rdb: unknown command %q\n\n", args[0])
		usage(e.stderr)
		return exitFail
	}
	fs := newFlagSet(c)
	pos, err := parseInterspersed(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		commandUsage(e.stdout, c, fs)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "cobble-rdb %s: %v\nRun 'cobble-rdb %s --help' for usage.\n", c.name, err, c.name)
		return exitFail
	}
	if err := c.run(e, pos); err != nil {
		var ue usageError
		if errors.As(err, &ue) {
			fmt.Fprintf(e.stderr, "cobble-rdb %s: %v\nRun 'cobble-rdb %s --help' for usage.\n", c.name, err, c.name)
			return exitFail
		}
		fmt.Fprintf(e.stderr, "cobble-rdb %s: %v\n", c.name, err)
		return exitCode(err)
	}
	return exitOK
}

// exitCode maps an error to an exit code: 1 when the data is at fault,
// 2 otherwise.
func exitCode(err error) int {
	var re *rdb.Error
	var de *dataError
	if errors.As(err, &re) || errors.As(err, &de) {
		return exitData
	}
	return exitFail
}

// dataError marks a failure caused by the data (keys the target refused,
// a checksum that is required but absent): exit code 1.
type dataError struct{ msg string }

func (e *dataError) Error() string { return e.msg }

// usageError marks a bad command line: exit code 2 and a hint.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, args ...any) error { return usageError{fmt.Sprintf(format, args...)} }

func lookup(name string) *command {
	for _, c := range commands() {
		if c.name == name {
			return c
		}
	}
	return nil
}

func newFlagSet(c *command) *flag.FlagSet {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are reported by run, help by commandUsage
	c.flags(fs)
	return fs
}

// parseInterspersed parses flags wherever they appear among the
// positional arguments (flag stops at the first one); "--" ends the
// flags.
func parseInterspersed(fs *flag.FlagSet, args []string) ([]string, error) {
	var rest []string
	for i, a := range args {
		if a == "--" {
			args, rest = args[:i], args[i+1:]
			break
		}
	}
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return append(pos, rest...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "cobble-rdb: back up, restore, inspect, convert and verify Redis RDB files.\n\nUsage: cobble-rdb <command> [flags] [args]\n\nCommands:\n")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Run 'cobble-rdb <command> --help' for a command's flags and an example.

Exit codes: 0 done (verify: the file is valid); 1 the data is bad (corrupt,
truncated or unsupported RDB, keys the target refused); 2 the work could not
be done (bad command line, file or network errors).
`)
}

func commandUsage(w io.Writer, c *command, fs *flag.FlagSet) {
	fmt.Fprintf(w, "Usage: cobble-rdb %s\n\n%s\n", c.usage, strings.TrimSpace(c.detail))
	fmt.Fprintln(w, "\nFlags:")
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
	fmt.Fprintf(w, "\nExample:\n%s\n", strings.TrimRight(c.example, "\n"))
}
