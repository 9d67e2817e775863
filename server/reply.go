package server

import (
	"math"
	"strconv"

	"github.com/tidwall/redcon"
)

// Reply is the one reply writer: every handler writes through it and it
// speaks the connection's protocol, RESP2 or RESP3 (HELLO 3). Aggregate
// types that RESP2 lacks fall back the way Redis does: a map is a flat
// array, a set an array, a double a bulk string, a null "$-1" (or "*-1"
// for a null array), a push message an array.
type Reply struct {
	buf   []byte
	proto int // 2 or 3
}

func (r *Reply) resp3() bool { return r.proto == 3 }

// OK writes +OK.
func (r *Reply) OK() { r.buf = append(r.buf, "+OK\r\n"...) }

// Simple writes a status reply.
func (r *Reply) Simple(s string) { r.buf = redcon.AppendString(r.buf, s) }

// Error writes an error reply; msg starts with its prefix (ERR, WRONGTYPE…).
func (r *Reply) Error(msg string) {
	r.buf = append(r.buf, '-')
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		if c == '\r' || c == '\n' {
			c = ' '
		}
		r.buf = append(r.buf, c)
	}
	r.buf = append(r.buf, '\r', '\n')
}

// Int writes an integer.
func (r *Reply) Int(n int64) { r.buf = redcon.AppendInt(r.buf, n) }

// Bulk writes a bulk string.
func (r *Reply) Bulk(b []byte) { r.buf = redcon.AppendBulk(r.buf, b) }

// BulkString writes a bulk string.
func (r *Reply) BulkString(s string) { r.buf = redcon.AppendBulkString(r.buf, s) }

// BulkInt writes an integer as a bulk string.
func (r *Reply) BulkInt(n int64) { r.buf = redcon.AppendBulkInt(r.buf, n) }

// Null writes the null reply ("$-1" in RESP2, "_" in RESP3).
func (r *Reply) Null() {
	if r.resp3() {
		r.buf = append(r.buf, "_\r\n"...)
	} else {
		r.buf = append(r.buf, "$-1\r\n"...)
	}
}

// NullArray writes a null array ("*-1" in RESP2, "_" in RESP3).
func (r *Reply) NullArray() {
	if r.resp3() {
		r.buf = append(r.buf, "_\r\n"...)
	} else {
		r.buf = append(r.buf, "*-1\r\n"...)
	}
}

// Array starts an array of n elements.
func (r *Reply) Array(n int) { r.buf = redcon.AppendArray(r.buf, n) }

// Map starts a map of n pairs (an array of 2n in RESP2).
func (r *Reply) Map(n int) {
	if r.resp3() {
		r.buf = append(r.buf, '%')
		r.buf = strconv.AppendInt(r.buf, int64(n), 10)
		r.buf = append(r.buf, '\r', '\n')
	} else {
		r.Array(2 * n)
	}
}

// Set starts a set of n elements (an array in RESP2).
func (r *Reply) Set(n int) {
	if r.resp3() {
		r.buf = append(r.buf, '~')
		r.buf = strconv.AppendInt(r.buf, int64(n), 10)
		r.buf = append(r.buf, '\r', '\n')
	} else {
		r.Array(n)
	}
}

// Push starts an out-of-band push message (an array in RESP2).
func (r *Reply) Push(n int) {
	if r.resp3() {
		r.buf = append(r.buf, '>')
		r.buf = strconv.AppendInt(r.buf, int64(n), 10)
		r.buf = append(r.buf, '\r', '\n')
	} else {
		r.Array(n)
	}
}

// Double writes a float (",1.5" in RESP3, a bulk string in RESP2), in
// Redis's formatting: shortest representation, inf/-inf/nan.
func (r *Reply) Double(f float64) {
	if r.resp3() {
		r.buf = append(r.buf, ',')
		r.buf = appendRESP3Double(r.buf, f)
		r.buf = append(r.buf, '\r', '\n')
		return
	}
	r.buf = redcon.AppendBulk(r.buf, formatFloat(f))
}

// Bool writes a boolean ("#t" in RESP3, 1/0 in RESP2).
func (r *Reply) Bool(b bool) {
	switch {
	case r.resp3() && b:
		r.buf = append(r.buf, "#t\r\n"...)
	case r.resp3():
		r.buf = append(r.buf, "#f\r\n"...)
	case b:
		r.Int(1)
	default:
		r.Int(0)
	}
}

// Verbatim writes verbatim text ("=" in RESP3, a bulk string in RESP2),
// as INFO and CLIENT LIST do.
func (r *Reply) Verbatim(s string) {
	if !r.resp3() {
		r.BulkString(s)
		return
	}
	r.buf = append(r.buf, '=')
	r.buf = strconv.AppendInt(r.buf, int64(len(s)+4), 10)
	r.buf = append(r.buf, "\r\ntxt:"...)
	r.buf = append(r.buf, s...)
	r.buf = append(r.buf, '\r', '\n')
}

// Raw appends pre-encoded RESP.
func (r *Reply) Raw(b []byte) { r.buf = append(r.buf, b...) }

// BulkStrings writes an array of bulk strings.
func (r *Reply) BulkStrings(items [][]byte) {
	r.Array(len(items))
	for _, it := range items {
		r.Bulk(it)
	}
}

// formatFloat renders a float as Redis 7.2+ does for replies (ZSCORE,
// INCRBYFLOAT): the shortest text that reads back as the same double, no
// exponent for ordinary magnitudes, "inf"/"-inf".
func formatFloat(f float64) []byte { return appendFloat(nil, f) }

func appendFloat(b []byte, f float64) []byte {
	switch {
	case math.IsInf(f, 1):
		return append(b, "inf"...)
	case math.IsInf(f, -1):
		return append(b, "-inf"...)
	case math.IsNaN(f):
		return append(b, "nan"...)
	}
	if a := math.Abs(f); a == 0 || (a >= 1e-5 && a < 1e17) {
		return strconv.AppendFloat(b, f, 'f', -1, 64)
	}
	return strconv.AppendFloat(b, f, 'g', -1, 64)
}

func appendRESP3Double(b []byte, f float64) []byte { return appendFloat(b, f) }
