package server

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
)

var updateDocs = flag.Bool("update-docs", false, "rewrite docs/compatibility.md from the command table")

// compatNotes are differences from Redis worth telling users, by command.
var compatNotes = map[string]string{
	"object|encoding": "stable names: int/embstr/raw for strings, hashtable/quicklist/hashtable/skiplist for collections (one storage layout for all sizes)",
	"object|idletime": "access time is not tracked: always 0",
	"object|freq":     "LFU is not tracked: answers Redis's error for non-LFU policies",
	"touch":           "counts existing keys; access time is not tracked",
	"unlink":          "same as DEL: deleting a collection is already one range delete",
	"swapdb":          "O(1): swaps two entries of the logical→physical db table",
	"flushdb":         "range deletes; ASYNC and SYNC behave the same",
	"flushall":        "range deletes; ASYNC and SYNC behave the same",
	"scan":            "numeric cursor backed by a server-side position: never misses a key present for the whole scan",
	"publish":         "not written to the log (Redis propagates it to replicas only)",
	"dbsize":          "a counter kept by every write, never a scan",
}

// TestDocs_Compatibility keeps docs/compatibility.md true: it is generated
// from the command table and the list of Redis 7 commands (testdata).
// Regenerate with: go test ./server -run TestDocs_Compatibility -update-docs
func TestDocs_Compatibility(t *testing.T) {
	f, err := os.Open("testdata/redis-7.0-commands.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type row struct{ name, group string }
	var redis []row
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fs := strings.Fields(sc.Text())
		if len(fs) == 2 {
			redis = append(redis, row{fs[0], fs[1]})
		}
	}
	tab := newTable(allCommands(nil)...)
	have := map[string]*Command{}
	for _, c := range tab.cmds {
		have[c.Name] = c
		for _, s := range c.Subs {
			have[c.Name+"|"+s.Name] = s
		}
	}
	known := map[string]bool{}
	byGroup := map[string][]string{}
	yes, total := 0, 0
	for _, r := range redis {
		known[r.name] = true
		status := "no"
		if _, ok := have[r.name]; ok {
			status = "yes"
			yes++
		}
		total++
		note := compatNotes[r.name]
		byGroup[r.group] = append(byGroup[r.group], fmt.Sprintf("| `%s` | %s | %s |", strings.ToUpper(r.name), status, note))
	}
	var extra []string
	for name := range have {
		if !known[name] {
			extra = append(extra, fmt.Sprintf("| `%s` | yes | newer than Redis 7.0 |", strings.ToUpper(name)))
		}
	}
	sort.Strings(extra)
	var sb strings.Builder
	sb.WriteString("# Compatibility with Redis 7\n\n")
	sb.WriteString("Generated from cobble's command table by `go test ./server -run TestDocs_Compatibility -update-docs`;\n")
	sb.WriteString("the test fails when this file and the table disagree. The command list is Redis 7.0's `COMMAND LIST`.\n\n")
	fmt.Fprintf(&sb, "cobble implements %d of Redis 7.0's %d commands and subcommands.\n\n", yes, total)
	sb.WriteString(compatFeatures)
	groups := make([]string, 0, len(byGroup))
	for g := range byGroup {
		groups = append(groups, g)
	}
	sort.Strings(groups)
	for _, g := range groups {
		fmt.Fprintf(&sb, "\n## %s\n\n| command | cobble | notes |\n|---|---|---|\n", g)
		for _, l := range byGroup[g] {
			sb.WriteString(l + "\n")
		}
	}
	if len(extra) > 0 {
		sb.WriteString("\n## newer commands\n\n| command | cobble | notes |\n|---|---|---|\n")
		for _, l := range extra {
			sb.WriteString(l + "\n")
		}
	}
	want := sb.String()
	const path = "../docs/compatibility.md"
	if *updateDocs {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(path)
	if err != nil || string(got) != want {
		t.Fatalf("docs/compatibility.md is out of date: run go test ./server -run TestDocs_Compatibility -update-docs")
	}
}

const compatFeatures = `## Features

| feature | cobble |
|---|---|
| RESP2 and RESP3 (HELLO 3: maps, sets, doubles, nulls, pushes) | yes |
| pipelining, inline commands | yes |
| protocol limits (proto-max-bulk-len, unauthenticated limits), protocol errors | yes |
| redis.conf and the redis-server command line, CONFIG GET/SET/REWRITE | yes (unsupported directives stop the start) |
| AUTH / requirepass (default user) | yes; ACL users no |
| durability: append-only log, appendfsync always/everysec/no | yes (the log is always on; see README) |
| MULTI/EXEC/DISCARD/WATCH | yes |
| blocking commands (lists, sorted sets) | yes |
| pub/sub, shard channels, keyspace notifications | yes |
| expiry: lazy and active | yes (active expiry reads a time-ordered index, never samples) |
| replication (PSYNC2 full/partial resync, WAIT, ROLE) with real Redis on either side | yes |
| Sentinel, cluster | not yet |
| RDB files (SAVE, BGSAVE, save rules, first start from dump.rdb), DUMP/RESTORE | yes (no fork: a snapshot at an exact log offset; see docs/operations.md) |
| Lua scripting, functions, modules, streams, HyperLogLog, geo | no |
`
