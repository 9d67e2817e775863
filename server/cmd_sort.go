package server

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/cobbledb/cobble/engine"
)

var sortCommands = []*Command{
	{Name: "sort", Arity: -2, Flags: FlagWrite | FlagDenyOOM, Keys: KeySpec{First: 1, Last: 1, Step: 1, Find: sortKeys},
		Group: "generic", Since: "1.0.0", Run: cmdSort,
		Summary: "Sort a list, set or sorted set, by its elements or by other keys; return or store the result."},
	{Name: "sort_ro", Arity: -2, Flags: FlagReadOnly | FlagSnapshot, Keys: KeySpec{First: 1, Last: 1, Step: 1, Find: sortROKeys},
		Group: "generic", Since: "7.0.0", Run: cmdSort,
		Summary: "Sort a list, set or sorted set without storing: SORT for replicas and read-only clients."},
}

// sortKeys finds SORT's keys as Redis's sortGetKeys does: the key to sort,
// and the destination of the last STORE, skipping the arguments of LIMIT,
// GET and BY. The keys BY and GET patterns form depend on the data, so
// like Redis (which marks them "unknown") it does not report them.
func sortKeys(args [][]byte) []int {
	pos := []int{1}
	store := 0
	for i := 2; i < len(args); i++ {
		switch strings.ToLower(string(args[i])) {
		case "limit":
			i += 2
		case "get", "by":
			i++
		case "store":
			if i+1 < len(args) {
				store = i + 1
			}
		}
	}
	if store > 0 {
		pos = append(pos, store)
	}
	return pos
}

func sortROKeys(args [][]byte) []int { return []int{1} }

// sortArgs are SORT's parsed options.
type sortArgs struct {
	desc, alpha bool
	limitStart  int64
	limitCount  int64  // -1: all
	by          []byte // nil: sort by the elements themselves
	dontSort    bool   // BY a pattern without '*': keep the stored order
	gets        [][]byte
	store       bool   // STORE: store the result instead of replying
	dst         []byte // STORE's destination
}

// parseSort parses SORT's options in the order of Redis's
// sortCommandGeneric: the first bad option is the error.
func parseSort(c *Call, readOnly bool) (sortArgs, error) {
	a := sortArgs{limitCount: -1}
	for i := 2; i < len(c.Args); i++ {
		left := len(c.Args) - i - 1
		switch opt := c.ArgLower(i); {
		case opt == "asc":
			a.desc = false
		case opt == "desc":
			a.desc = true
		case opt == "alpha":
			a.alpha = true
		case opt == "limit" && left >= 2:
			var err error
			if a.limitStart, err = c.Int(i + 1); err != nil {
				return a, err
			}
			if a.limitCount, err = c.Int(i + 2); err != nil {
				return a, err
			}
			i += 2
		case opt == "store" && left >= 1 && !readOnly:
			a.store, a.dst = true, c.Arg(i+1)
			i++
		case opt == "by" && left >= 1:
			a.by = c.Arg(i + 1)
			a.dontSort = bytes.IndexByte(a.by, '*') < 0
			i++
		case opt == "get" && left >= 1:
			a.gets = append(a.gets, c.Arg(i+1))
			i++
		default:
			return a, errSyntax
		}
	}
	return a, nil
}

// sortItem is one element being sorted and what it sorts by.
type sortItem struct {
	elem  []byte
	score float64 // numeric sort
	by    []byte  // ALPHA BY: the looked-up value; nil when missing
}

// cmdSort serves SORT and SORT_RO with Redis 7's semantics. SORT … STORE
// depends on keys other than its own (BY and GET patterns), so it is not
// logged verbatim: its effect is the result, DEL of the destination and
// RPUSHes of the stored list.
func cmdSort(c *Call) error {
	a, err := parseSort(c, c.Cmd.Name == "sort_ro")
	if err != nil {
		return err
	}
	m, exists, err := c.Txn.Lookup(c.DB, c.Arg(1))
	if err != nil {
		return err
	}
	typ := engine.TypeList // a missing key sorts as an empty list
	if exists {
		typ = m.Type
	}
	switch typ {
	case engine.TypeList, engine.TypeSet, engine.TypeZSet:
	default:
		return errWrongType
	}
	if a.dontSort && typ == engine.TypeSet && a.store {
		// A set has no order of its own: what is stored must not depend on
		// how it is kept, so Redis sorts it ALPHA.
		a.dontSort, a.alpha, a.by = false, true, nil
	}
	n := m.Len() // 0 when missing
	start, end := sortWindow(n, a.limitStart, a.limitCount)
	items, err := loadSortItems(c, typ, exists, a, start, end)
	if err != nil {
		return err
	}
	if (typ == engine.TypeList || typ == engine.TypeZSet) && a.dontSort {
		// The loader read just the window.
		end -= start
		start = 0
	}
	if !a.dontSort {
		ok, err := sortItems(c, items, a)
		if err != nil {
			return err
		}
		if !ok {
			return errSortScore
		}
	}
	if start > end {
		items = nil
	} else {
		items = items[start : end+1]
	}
	if !a.store {
		return replySorted(c, items, a.gets)
	}
	return storeSorted(c, items, a)
}

// sortWindow applies LIMIT as Redis does: the indexes [start, end] of the
// sorted elements to return (empty when end < start).
func sortWindow(n, limitStart, limitCount int64) (start, end int64) {
	start = min(max(limitStart, 0), n)
	limitCount = min(max(limitCount, -1), n)
	end = n - 1
	if limitCount >= 0 {
		end = start + limitCount - 1
	}
	if start >= n {
		start, end = n-1, n-2
	}
	end = min(end, n-1)
	return start, end
}

// loadSortItems reads the elements to sort. A list or sorted set left in
// its own order (BY without '*') reads only the window [start, end],
// reversed for DESC, as Redis does; everything else reads every element.
func loadSortItems(c *Call, typ engine.Type, exists bool, a sortArgs, start, end int64) ([]sortItem, error) {
	if !exists {
		return nil, nil
	}
	key := c.Arg(1)
	var elems [][]byte
	switch {
	case typ == engine.TypeList && a.dontSort:
		if end < start {
			return nil, nil
		}
		from, to := start, end
		if a.desc {
			from, to = -1-end, -1-start // counted from the tail
		}
		var err error
		if elems, err = c.Txn.ListRange(c.DB, key, from, to); err != nil {
			return nil, err
		}
		if a.desc {
			slices.Reverse(elems)
		}
	case typ == engine.TypeList:
		var err error
		if elems, err = c.Txn.ListRange(c.DB, key, 0, -1); err != nil {
			return nil, err
		}
	case typ == engine.TypeSet:
		var err error
		if elems, err = c.Txn.SMembers(c.DB, key); err != nil {
			return nil, err
		}
	default:
		spec := engine.ZRangeSpec{By: engine.ByRank, Start: 0, Stop: -1, Limit: -1}
		if a.dontSort {
			if end < start {
				return nil, nil
			}
			spec.Start, spec.Stop, spec.Rev = start, end, a.desc
		}
		members, err := c.Txn.ZRange(c.DB, key, spec)
		if err != nil {
			return nil, err
		}
		elems = make([][]byte, len(members))
		for i, e := range members {
			elems[i] = e.Member
		}
	}
	items := make([]sortItem, len(elems))
	for i, e := range elems {
		items[i].elem = e
	}
	return items, nil
}

// sortItems loads what each element sorts by and sorts them with Redis's
// sortCompare. It reports false when a value is not a number for a
// numeric sort (Redis still sorts, then answers the error).
func sortItems(c *Call, items []sortItem, a sortArgs) (bool, error) {
	ok := true
	for i := range items {
		it := &items[i]
		by := it.elem
		if a.by != nil {
			v, found, err := sortLookup(c, a.by, it.elem)
			if err != nil {
				return false, err
			}
			if !found {
				continue // sorts as 0, or first for ALPHA
			}
			by = v
		}
		if a.alpha {
			if a.by != nil {
				it.by = by
			}
			continue
		}
		f, good := parseSortScore(by)
		if !good {
			ok = false
		}
		it.score = f
	}
	cmpItems := func(x, y sortItem) int {
		var r int
		switch {
		case !a.alpha:
			switch {
			case x.score > y.score:
				r = 1
			case x.score < y.score:
				r = -1
			default:
				// Equal scores fall back to the elements, so the result
				// is deterministic.
				r = bytes.Compare(x.elem, y.elem)
			}
		case a.by != nil:
			switch {
			case x.by == nil && y.by == nil:
				r = 0
			case x.by == nil:
				r = -1
			case y.by == nil:
				r = 1
			default:
				r = bytes.Compare(x.by, y.by)
			}
		default:
			r = bytes.Compare(x.elem, y.elem)
		}
		if a.desc {
			return -r
		}
		return r
	}
	// ALPHA compares bytes, as Redis under the C locale (its strcoll is
	// then a byte comparison); ties of an ALPHA BY keep the stored order.
	slices.SortStableFunc(items, cmpItems)
	return ok, nil
}

// sortLookup resolves a BY or GET pattern for one element as Redis's
// lookupKeyByPattern: "#" is the element itself; otherwise the first '*'
// is replaced by the element to form a key, whose string value is the
// result, or with "->field" after the '*' the value of that field of the
// hash at the key. A pattern without '*', a missing key or one of another
// type finds nothing.
func sortLookup(c *Call, pattern, elem []byte) ([]byte, bool, error) {
	if len(pattern) == 1 && pattern[0] == '#' {
		return elem, true, nil
	}
	star := bytes.IndexByte(pattern, '*')
	if star < 0 {
		return nil, false, nil
	}
	post := pattern[star+1:]
	var field []byte
	if f := bytes.Index(post, []byte("->")); f >= 0 && f+2 < len(post) {
		field, post = post[f+2:], post[:f]
	}
	key := make([]byte, 0, star+len(elem)+len(post))
	key = append(append(append(key, pattern[:star]...), elem...), post...)
	m, ok, err := c.Txn.Lookup(c.DB, key)
	if err != nil || !ok {
		return nil, false, err
	}
	if field == nil {
		if m.Type != engine.TypeString {
			return nil, false, nil
		}
		return m.Value, true, nil
	}
	if m.Type != engine.TypeHash {
		return nil, false, nil
	}
	return c.Txn.HGet(c.DB, key, field)
}

// parseSortScore parses a value to sort by as Redis does with strtod: the
// whole string (up to a NUL byte) must be a number, leading white space
// and hexadecimal are accepted, an empty string is 0, and NaN or a result
// out of the normal range (overflow, underflow) is refused.
func parseSortScore(b []byte) (float64, bool) {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	if len(b) == 0 {
		return 0, true
	}
	s := strings.TrimLeft(string(b), " \t\n\v\f\r")
	if s == "" || strings.ContainsRune(s, '_') {
		return 0, false
	}
	digits := strings.TrimLeft(s, "+-")
	hex := len(digits) > 1 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')
	if hex && !strings.ContainsAny(digits, "pP") {
		s += "p0" // strtod takes hex without an exponent, ParseFloat does not
	}
	f, err := strconv.ParseFloat(s, 64)
	var ne *strconv.NumError
	switch {
	case err != nil && !(errors.As(err, &ne) && ne.Err == strconv.ErrRange):
		return 0, false
	case err != nil, math.IsNaN(f):
		return 0, false
	case f != 0 && math.Abs(f) < 0x1p-1022:
		return 0, false // a subnormal result: strtod reports ERANGE
	case f == 0 && nonZeroMantissa(digits, hex):
		return 0, false // underflow to zero
	}
	return f, true
}

// nonZeroMantissa reports whether a number's digits before its exponent
// are not all zero.
func nonZeroMantissa(s string, hex bool) bool {
	exp := "eE"
	if hex {
		s, exp = s[2:], "pP"
	}
	if i := strings.IndexAny(s, exp); i >= 0 {
		s = s[:i]
	}
	return strings.Trim(s, "0.") != ""
}

// replySorted answers SORT without STORE: the elements, or for each one
// the values of the GET patterns (nil when missing).
func replySorted(c *Call, items []sortItem, gets [][]byte) error {
	if len(gets) == 0 {
		c.Reply.Array(len(items))
		for _, it := range items {
			c.Reply.Bulk(it.elem)
		}
		return nil
	}
	vals := make([][]byte, 0, len(items)*len(gets))
	found := make([]bool, 0, cap(vals))
	for _, it := range items {
		for _, g := range gets {
			v, ok, err := sortLookup(c, g, it.elem)
			if err != nil {
				return err
			}
			vals, found = append(vals, v), append(found, ok)
		}
	}
	c.Reply.Array(len(vals))
	for i, v := range vals {
		if found[i] {
			c.Reply.Bulk(v)
		} else {
			c.Reply.Null()
		}
	}
	return nil
}

// sortStoreChunk is how many elements one RPUSH of SORT … STORE's effect
// carries at most.
const sortStoreChunk = 512

// storeSorted replaces the destination with the result as a list (missing
// GET values become empty strings), or deletes it when the result is
// empty, and answers the list's length.
func storeSorted(c *Call, items []sortItem, a sortArgs) error {
	var vals [][]byte
	if len(a.gets) == 0 {
		vals = make([][]byte, len(items))
		for i, it := range items {
			vals[i] = it.elem
		}
	} else {
		vals = make([][]byte, 0, len(items)*len(a.gets))
		for _, it := range items {
			for _, g := range a.gets {
				v, ok, err := sortLookup(c, g, it.elem)
				if err != nil {
					return err
				}
				if !ok {
					v = []byte{}
				}
				vals = append(vals, v)
			}
		}
	}
	dst := a.dst
	deleted, err := c.Txn.Delete(c.DB, dst)
	if err != nil {
		return err
	}
	switch {
	case len(vals) > 0:
		if _, err := c.Txn.ListPush(c.DB, dst, false, false, vals...); err != nil {
			return err
		}
		c.PropagateAs(bytesArg("DEL"), dst)
		for chunk := range slices.Chunk(vals, sortStoreChunk) {
			c.PropagateAs(append([][]byte{bytesArg("RPUSH"), dst}, chunk...)...)
		}
		c.Notify(eventList, "sortstore", dst)
	case deleted:
		c.PropagateAs(bytesArg("DEL"), dst)
		c.Notify(eventGeneric, "del", dst)
	default:
		c.NoPropagate()
	}
	c.Reply.Int(int64(len(vals)))
	return nil
}
