package main

import (
	"flag"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/cobbledb/cobble/rdb"
)

func verifyCommand() *command {
	var (
		requireChecksum bool
		showProgress    bool
	)
	return &command{
		name:    "verify",
		summary: "check an RDB file's structure and checksum",
		usage:   "verify [flags] FILE",
		detail: `
Reads the whole file ("-" is stdin) the way a load would: every opcode,
length and encoding (ziplist, listpack, intset, zipmap, quicklist, LZF), no
duplicate members or fields, then the CRC64 trailer. Prints one summary
line. Streams and module values are reported but do not fail the check
(cobble skips them when it loads a file).

Exit codes: 0 the file is valid; 1 it is corrupt, truncated, of an unknown
version, or (with --require-checksum) written without a checksum; 2 it
could not be read.`,
		example: `  cobble-rdb verify /var/lib/redis/dump.rdb && echo OK
  OK dump.rdb: REDIS version 10, 1000000 keys (hash 1000, string 999000), 24.8 MB, CRC64 verified, 310ms`,
		flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&requireChecksum, "require-checksum", false, "fail (exit 1) when the file has no checksum (written with rdbchecksum no)")
			fs.BoolVar(&showProgress, "progress", false, "report progress on stderr even when it is not a terminal")
		},
		run: func(e *env, args []string) error {
			if len(args) != 1 {
				return usagef("verify takes one file")
			}
			start := time.Now()
			in, p, closeIn, err := openInput(e, args[0], showProgress, "verify")
			if err != nil {
				return err
			}
			h := &countHandler{p: p}
			sum, err := rdb.Decode(in, h, rdb.DecodeOptions{SkipUnsupported: true})
			closeIn()
			if err != nil {
				fmt.Fprintf(e.stdout, "CORRUPT %s: %v\n", args[0], err)
				return &dataError{fmt.Sprintf("%s is not a valid RDB file", args[0])}
			}
			check := "CRC64 verified"
			if !sum.ChecksumChecked {
				check = "no checksum (written with rdbchecksum no)"
			}
			fmt.Fprintf(e.stdout, "OK %s: %s %s, %s, %s, %s, %s\n", args[0], sum.Magic, versionText(sum), keysText(sum),
				humanBytes(sum.Bytes), check, time.Since(start).Round(time.Millisecond))
			for _, w := range sum.Warnings {
				fmt.Fprintf(e.stderr, "warning: %s\n", w)
			}
			if !sum.ChecksumChecked && requireChecksum {
				return &dataError{"the file has no checksum"}
			}
			return nil
		},
	}
}

// countHandler only counts (into a progress, when set); Summary has the
// rest.
type countHandler struct {
	keys int64
	p    *progress
}

func (h *countHandler) Aux(k, v []byte) error                    { return nil }
func (h *countHandler) ResizeDB(int, uint64, uint64) error       { return nil }
func (h *countHandler) Skipped(db int, k []byte, t string) error { return nil }
func (h *countHandler) Entry(*rdb.Entry) error {
	h.keys++
	if h.p != nil {
		h.p.keys.Add(1)
	}
	return nil
}

func versionText(sum rdb.Summary) string {
	return fmt.Sprintf("version %d", sum.Version)
}

// keysText is "1000 keys (string 900, hash 100), 2 skipped (stream 2)".
func keysText(sum rdb.Summary) string {
	total := 0
	var parts []string
	for t, n := range sum.Keys {
		total += n
		parts = append(parts, fmt.Sprintf("%s %d", t, n))
	}
	sort.Strings(parts)
	s := fmt.Sprintf("%d keys", total)
	if len(parts) > 0 {
		s += " (" + strings.Join(parts, ", ") + ")"
	}
	skipped := 0
	var sp []string
	for t, n := range sum.Skipped {
		skipped += n
		sp = append(sp, fmt.Sprintf("%s %d", t, n))
	}
	if skipped > 0 {
		sort.Strings(sp)
		s += fmt.Sprintf(", %d not stored by cobble (%s)", skipped, strings.Join(sp, ", "))
	}
	return s
}
