package config

import (
	"reflect"
	"testing"
)

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		line string
		want []string
		err  bool
	}{
		{line: "", want: nil},
		{line: "   \t ", want: nil},
		{line: "port 6379", want: []string{"port", "6379"}},
		{line: "  save   900 1  ", want: []string{"save", "900", "1"}},
		{line: `requirepass "a b"`, want: []string{"requirepass", "a b"}},
		{line: `x "\n\r\t\b\a\\\"\q"`, want: []string{"x", "\n\r\t\b\a\\\"q"}},
		{line: `x "\x41\x7a\x4"`, want: []string{"x", "Azx4"}}, // \x4" is not a hex escape: \x is x
		{line: `x "\xZZ"`, want: []string{"x", "xZZ"}},
		{line: `x 'it\'s' 'a\nb'`, want: []string{"x", "it's", `a\nb`}},
		{line: `x ""`, want: []string{"x", ""}},
		{line: `x ''`, want: []string{"x", ""}},
		{line: `x foo"bar baz"`, want: []string{"x", "foobar baz"}},
		{line: "x a\vb", want: []string{"x", "a\vb"}}, // \v separates only before an argument
		{line: `x "abc`, err: true},
		{line: `x 'abc`, err: true},
		{line: `x "abc"def`, err: true},
		{line: `x 'abc'def`, err: true},
		{line: `x "abc\"`, err: true},
	}
	for _, tt := range tests {
		got, err := splitArgs(tt.line)
		if (err != nil) != tt.err {
			t.Errorf("splitArgs(%q) error = %v, want error %v", tt.line, err, tt.err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("splitArgs(%q) = %q, want %q", tt.line, got, tt.want)
		}
	}
}

func TestRepr_RoundTrip(t *testing.T) {
	for _, s := range []string{"", "plain", "a b", `q"uote`, `back\slash`, "\x00\x01\xff\n\r\t\a\b", "{title} {listen-addr}"} {
		q := repr(s)
		got, err := splitArgs("x " + q)
		if err != nil || len(got) != 2 || got[1] != s {
			t.Errorf("splitArgs(x %s) = %q, %v; want [x %q]", q, got, err, s)
		}
		got, err = splitArgs("x " + quoteArg(s))
		if err != nil || len(got) != 2 || got[1] != s {
			t.Errorf("splitArgs(x %s) = %q, %v; want [x %q]", quoteArg(s), got, err, s)
		}
	}
	if got := repr("a\"b\x01"); got != `"a\"b\x01"` {
		t.Errorf("repr = %s", got)
	}
}

func TestGlobMatch(t *testing.T) {
	tests := []struct {
		pattern, s string
		want       bool
	}{
		{"*", "port", true},
		{"*", "", true},
		{"po*", "port", true},
		{"PO*", "port", true},
		{"*max-*-entries*", "hash-max-listpack-entries", true},
		{"*max-*-entries*", "maxmemory", false},
		{"p?rt", "port", true},
		{"p?rt", "prt", false},
		{"[pq]ort", "port", true},
		{"[^pq]ort", "port", false},
		{"[a-z]ort", "Port", true},
		{"[z-a]ort", "port", true},
		{`p\*rt`, "p*rt", true},
		{`p\*rt`, "port", false},
		{"port", "ports", false},
		{"ports", "port", false},
		{"[ab", "a", true},
	}
	for _, tt := range tests {
		if got := globMatch(tt.pattern, tt.s); got != tt.want {
			t.Errorf("globMatch(%q, %q) = %v, want %v", tt.pattern, tt.s, got, tt.want)
		}
	}
}
