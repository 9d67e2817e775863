package server

import (
	"regexp"
	"strings"
	"testing"
)

var sinceVersion = regexp.MustCompile(`^\d+\.\d+\.\d+$`)

// TestCommandTable_Consistent checks every row of the one command table:
// COMMAND, the dispatcher and the cluster all trust it.
func TestCommandTable_Consistent(t *testing.T) {
	seen := map[string]bool{}
	var check func(cmd *Command, parent *Command)
	check = func(cmd *Command, parent *Command) {
		name := cmd.Name
		if parent != nil {
			name = parent.Name + "|" + cmd.Name
		}
		switch {
		case cmd.Name == "" || cmd.Name != strings.ToLower(cmd.Name) || strings.ContainsAny(cmd.Name, " |"):
			t.Errorf("%q: name must be lower case, without spaces or '|'", name)
		case seen[name]:
			t.Errorf("%s: duplicate row", name)
		case cmd.Run == nil && len(cmd.Subs) == 0:
			t.Errorf("%s: neither a handler nor subcommands", name)
		case cmd.Arity == 0 || parent != nil && cmd.Arity > -2 && cmd.Arity < 2:
			t.Errorf("%s: arity %d cannot count the command's own name(s)", name, cmd.Arity)
		case len(cmd.Subs) > 0 && cmd.Run == nil && cmd.Arity != -2:
			t.Errorf("%s: a container's arity is -2 (name and subcommand), not %d", name, cmd.Arity)
		case !sinceVersion.MatchString(cmd.Since):
			t.Errorf("%s: Since %q is not a version", name, cmd.Since)
		case cmd.Summary == "" || cmd.Group == "":
			t.Errorf("%s: Summary and Group are what COMMAND DOCS reports; both must be set", name)
		case cmd.Flags&FlagWrite != 0 && cmd.Flags&FlagReadOnly != 0:
			t.Errorf("%s: both write and readonly", name)
		case parent != nil && len(cmd.Subs) > 0:
			t.Errorf("%s: subcommands of subcommands are not supported", name)
		}
		seen[name] = true
		k := cmd.Keys
		if k.First < 0 || k.First > 0 && k.Step < 1 || k.First == 0 && (k.Last != 0 || k.Step != 0) ||
			k.First > 0 && k.Last >= 0 && k.Last < k.First {
			t.Errorf("%s: key spec %d,%d,%d is not Redis's (first, last, step)", name, k.First, k.Last, k.Step)
		}
		if n := cmd.Arity; k.First > 0 && n > 0 && k.First >= n {
			t.Errorf("%s: first key %d beyond arity %d", name, k.First, n)
		}
		for _, sub := range cmd.Subs {
			check(sub, cmd)
		}
	}
	for _, group := range allCommands(nil) {
		for _, cmd := range group {
			check(cmd, nil)
		}
	}
	if len(seen) < 50 {
		t.Fatalf("only %d rows: the table did not load", len(seen))
	}
	// newTable wires subcommands to their parents (FullName, stats).
	tbl := newTable(allCommands(nil)...)
	for _, cmd := range tbl.cmds {
		for _, sub := range cmd.Subs {
			if sub.FullName() != cmd.Name+"|"+sub.Name {
				t.Errorf("%s|%s: FullName %q", cmd.Name, sub.Name, sub.FullName())
			}
		}
	}
}
