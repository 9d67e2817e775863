package server

import (
	"math"
	"strconv"
	"strings"
)

// Int parses argument i as an int64 like Redis's string2ll (no spaces,
// no leading '+', no leading zeros beyond "0").
func (c *Call) Int(i int) (int64, error) {
	n, ok := parseStrictInt(c.Args[i])
	if !ok {
		return 0, errNotInteger
	}
	return n, nil
}

// parseStrictInt is Redis's string2ll.
func parseStrictInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	if b[0] == '+' || (len(b) > 1 && b[0] == '0') || (len(b) > 1 && b[0] == '-' && b[1] == '0') {
		return 0, false
	}
	n, err := strconv.ParseInt(string(b), 10, 64)
	return n, err == nil
}

// Float parses argument i as a float like Redis's getDoubleFromObject:
// "inf", "-inf", "+inf" accepted, NaN and trailing garbage rejected.
func (c *Call) Float(i int) (float64, error) {
	f, ok := parseFloat(c.Args[i])
	if !ok {
		return 0, errNotFloat
	}
	return f, nil
}

func parseFloat(b []byte) (float64, bool) {
	s := string(b)
	if len(s) == 0 || s[0] == ' ' || s[len(s)-1] == ' ' {
		return 0, false
	}
	switch strings.ToLower(s) {
	case "inf", "+inf", "infinity", "+infinity":
		return math.Inf(1), true
	case "-inf", "-infinity":
		return math.Inf(-1), true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange && !math.IsInf(f, 0) {
			return f, true // underflow to 0 is fine, as strtod
		}
		return 0, false
	}
	if strings.ContainsAny(s, "xXpP_") {
		return 0, false // Go accepts hex floats and underscores, strtod-in-Redis does not
	}
	return f, true
}

// expireOpts is the one parser of EX/PX/EXAT/PXAT/KEEPTTL/PERSIST for
// SET, GETEX and friends.
type expireOpts struct {
	atMs    int64 // absolute unix ms, 0 = none
	keepTTL bool
	persist bool
	set     bool // any of EX/PX/EXAT/PXAT given
}

// parseExpireArg parses the value after EX/PX/EXAT/PXAT into an absolute
// unix ms, with Redis's "invalid expire time" errors.
func parseExpireArg(cmd string, unit string, v []byte, now int64) (int64, error) {
	n, ok := parseStrictInt(v)
	if !ok {
		return 0, errNotInteger
	}
	if n <= 0 {
		return 0, errInvalidExpire(cmd)
	}
	switch unit {
	case "ex":
		if n > math.MaxInt64/1000 {
			return 0, errInvalidExpire(cmd)
		}
		n *= 1000
		fallthrough
	case "px":
		if n > math.MaxInt64-now {
			return 0, errInvalidExpire(cmd)
		}
		return now + n, nil
	case "exat":
		if n > math.MaxInt64/1000 {
			return 0, errInvalidExpire(cmd)
		}
		return n * 1000, nil
	}
	return n, nil // pxat
}

func isExpireUnit(s string) bool { return s == "ex" || s == "px" || s == "exat" || s == "pxat" }

// bytesArg is a helper to build effects.
func bytesArg(s string) []byte { return []byte(s) }

func intArg(n int64) []byte { return strconv.AppendInt(nil, n, 10) }
