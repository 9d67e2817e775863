package config

import (
	"errors"
	"strings"
)

// errUnbalanced is what splitArgs reports; the parser turns it into Redis's
// "Unbalanced quotes in configuration line".
var errUnbalanced = errors.New("unbalanced quotes")

// splitArgs splits one configuration line into arguments with the rules of
// Redis's sdssplitargs, so every redis.conf means the same to cobble:
//
//   - arguments are separated by blanks (space, \t, \n, \r, \v, \f);
//   - "double quotes" understand \n \r \t \b \a \xHH and \<any> (the character
//     itself);
//   - 'single quotes' understand only \' ;
//   - a closing quote must be followed by a blank or the end of the line,
//     and a quote that is never closed is an error;
//   - a quote may start in the middle of an argument: foo"bar baz" is one
//     argument, foobar baz.
//
// An empty or all-blank line gives no arguments and no error.
func splitArgs(line string) ([]string, error) {
	var args []string
	i, n := 0, len(line)
	for {
		for i < n && isSpace(line[i]) {
			i++
		}
		if i >= n {
			return args, nil
		}
		var cur []byte
		inDouble, inSingle := false, false
		for done := false; !done; {
			switch {
			case inDouble:
				switch {
				case i >= n:
					return nil, errUnbalanced
				case line[i] == '\\' && i+3 < n && line[i+1] == 'x' && isHex(line[i+2]) && isHex(line[i+3]):
					cur = append(cur, unhex(line[i+2])<<4|unhex(line[i+3]))
					i += 3
				case line[i] == '\\' && i+1 < n:
					i++
					cur = append(cur, unescape(line[i]))
				case line[i] == '"':
					// NB: the closing quote must end the argument.
					if i+1 < n && !isSpace(line[i+1]) {
						return nil, errUnbalanced
					}
					done = true
				default:
					cur = append(cur, line[i])
				}
			case inSingle:
				switch {
				case i >= n:
					return nil, errUnbalanced
				case line[i] == '\\' && i+1 < n && line[i+1] == '\'':
					i++
					cur = append(cur, '\'')
				case line[i] == '\'':
					if i+1 < n && !isSpace(line[i+1]) {
						return nil, errUnbalanced
					}
					done = true
				default:
					cur = append(cur, line[i])
				}
			default:
				if i >= n {
					done = true
					break
				}
				switch line[i] {
				case ' ', '\n', '\r', '\t':
					done = true
				case '"':
					inDouble = true
				case '\'':
					inSingle = true
				default:
					cur = append(cur, line[i])
				}
			}
			if i < n {
				i++
			}
		}
		args = append(args, string(cur))
	}
}

// isSpace is C's isspace in the "C" locale.
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')
}

func unhex(c byte) byte {
	switch {
	case c >= '0' && c <= '9':
		return c - '0'
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}

func unescape(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 'b':
		return '\b'
	case 'a':
		return '\a'
	default:
		return c
	}
}

// repr quotes s the way Redis's sdscatrepr does, so that splitArgs reads it
// back unchanged: always in double quotes, with \\ \" \n \r \t \a \b escaped
// and other non-printable bytes as \xHH.
func repr(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '\\', '"':
			b.WriteByte('\\')
			b.WriteByte(c)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '\a':
			b.WriteString(`\a`)
		case '\b':
			b.WriteString(`\b`)
		default:
			if c >= 0x20 && c < 0x7f {
				b.WriteByte(c)
			} else {
				const hex = "0123456789abcdef"
				b.WriteString(`\x`)
				b.WriteByte(hex[c>>4])
				b.WriteByte(hex[c&0xf])
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// quoteArg returns s as is when splitArgs would read it back as one argument,
// and repr(s) otherwise. It keeps messages and rewritten lines readable.
func quoteArg(s string) string {
	if s == "" {
		return `""`
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || c == '"' || c == '\'' || c == '\\' {
			return repr(s)
		}
	}
	return s
}

// joinArgs quotes each argument with quoteArg and joins them with spaces.
func joinArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = quoteArg(a)
	}
	return strings.Join(q, " ")
}

// hasGlob reports whether a CONFIG GET argument is a pattern rather than a
// name, with Redis's test (any of [ * ?).
func hasGlob(s string) bool {
	return strings.ContainsAny(s, "[*?")
}

// globMatch matches s against a Redis glob pattern (*, ?, [abc], [^abc],
// [a-z], \x), ignoring ASCII case as CONFIG GET does.
func globMatch(pattern, s string) bool {
	for len(pattern) > 0 {
		switch pattern[0] {
		case '*':
			for len(pattern) > 1 && pattern[1] == '*' {
				pattern = pattern[1:]
			}
			if len(pattern) == 1 {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if globMatch(pattern[1:], s[i:]) {
					return true
				}
			}
			return false
		case '?':
			if len(s) == 0 {
				return false
			}
			s = s[1:]
		case '[':
			if len(s) == 0 {
				return false
			}
			p := pattern[1:]
			not := len(p) > 0 && p[0] == '^'
			if not {
				p = p[1:]
			}
			match := false
			c := lower(s[0])
			for {
				if len(p) == 0 {
					break // unterminated class: Redis treats the end as ']'
				}
				if p[0] == '\\' && len(p) >= 2 {
					if lower(p[1]) == c {
						match = true
					}
					p = p[2:]
					continue
				}
				if p[0] == ']' {
					break
				}
				if len(p) >= 3 && p[1] == '-' {
					lo, hi := lower(p[0]), lower(p[2])
					if lo > hi {
						lo, hi = hi, lo
					}
					if c >= lo && c <= hi {
						match = true
					}
					p = p[3:]
					continue
				}
				if lower(p[0]) == c {
					match = true
				}
				p = p[1:]
			}
			if not {
				match = !match
			}
			if !match {
				return false
			}
			s = s[1:]
			if len(p) > 0 {
				p = p[1:] // the ']'
			}
			pattern = p
			continue
		case '\\':
			if len(pattern) >= 2 {
				pattern = pattern[1:]
			}
			fallthrough
		default:
			if len(s) == 0 || lower(pattern[0]) != lower(s[0]) {
				return false
			}
			s = s[1:]
		}
		pattern = pattern[1:]
	}
	return len(s) == 0
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}
