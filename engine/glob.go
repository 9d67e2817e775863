package engine

// Match reports whether str matches the glob pattern with Redis's rules
// (KEYS, SCAN MATCH, PSUBSCRIBE, CONFIG GET): * ? [abc] [^a] [a-z] and \x.
func Match(pattern, str []byte, nocase bool) bool {
	skipLonger := false
	return match(pattern, str, nocase, 0, &skipLonger)
}

func lower(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// match is Redis's stringmatchlen. skipLonger is set once the rest of the
// pattern after a '*' failed against every suffix of the string: then no
// earlier '*' can help by taking more of the string, so the search stops.
// Without it, patterns like "a*a*a*…b" take exponential time.
func match(p, s []byte, nocase bool, depth int, skipLonger *bool) bool {
	if depth > 1000 {
		return false // pathological pattern: bounded like Redis's nesting limit
	}
	for len(p) > 0 {
		switch p[0] {
		case '*':
			for len(p) > 1 && p[1] == '*' {
				p = p[1:]
			}
			if len(p) == 1 {
				return true
			}
			for i := 0; i <= len(s); i++ {
				if match(p[1:], s[i:], nocase, depth+1, skipLonger) {
					return true
				}
				if *skipLonger {
					return false
				}
			}
			*skipLonger = true
			return false
		case '?':
			if len(s) == 0 {
				return false
			}
			s = s[1:]
			p = p[1:]
		case '[':
			if len(s) == 0 {
				return false
			}
			p = p[1:]
			not := len(p) > 0 && p[0] == '^'
			if not {
				p = p[1:]
			}
			matched := false
			for {
				if len(p) == 0 {
					break
				}
				if p[0] == '\\' && len(p) >= 2 {
					p = p[1:]
					if p[0] == s[0] {
						matched = true
					}
				} else if p[0] == ']' {
					break
				} else if len(p) >= 3 && p[1] == '-' {
					start, end := p[0], p[2]
					c := s[0]
					if start > end {
						start, end = end, start
					}
					if nocase {
						start, end, c = lower(start), lower(end), lower(c)
					}
					p = p[2:]
					if c >= start && c <= end {
						matched = true
					}
				} else {
					if nocase {
						if lower(p[0]) == lower(s[0]) {
							matched = true
						}
					} else if p[0] == s[0] {
						matched = true
					}
				}
				p = p[1:]
			}
			if len(p) > 0 {
				p = p[1:] // the closing ']'
			}
			if not {
				matched = !matched
			}
			if !matched {
				return false
			}
			s = s[1:]
		case '\\':
			if len(p) >= 2 {
				p = p[1:]
			}
			fallthrough
		default:
			if len(s) == 0 {
				return false
			}
			if nocase {
				if lower(p[0]) != lower(s[0]) {
					return false
				}
			} else if p[0] != s[0] {
				return false
			}
			s = s[1:]
			p = p[1:]
		}
	}
	return len(s) == 0
}
