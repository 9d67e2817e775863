package server

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/cobbledb/cobble/engine"
)

// zsetStoreKeys finds the keys of ZUNIONSTORE-style commands: the
// destination, then numkeys source keys after it.
func zsetStoreKeys(args [][]byte) []int {
	return append([]int{1}, mpopKeys(2)(args)...)
}

var zsetCommands = []*Command{
	{Name: "zadd", Arity: -4, Flags: FlagWrite | FlagDenyOOM | FlagFast, Keys: oneKey, Group: "sorted-set", Since: "1.2.0",
		Summary: "Add members to a sorted set or update their scores.", Run: cmdZAdd},
	{Name: "zincrby", Arity: 4, Flags: FlagWrite | FlagDenyOOM | FlagFast, Keys: oneKey, Group: "sorted-set", Since: "1.2.0",
		Summary: "Increment the score of a member of a sorted set.", Run: cmdZIncrBy},
	{Name: "zrem", Arity: -3, Flags: FlagWrite | FlagFast, Keys: oneKey, Group: "sorted-set", Since: "1.2.0",
		Summary: "Remove members from a sorted set.", Run: cmdZRem},
	{Name: "zcard", Arity: 2, Flags: FlagReadOnly | FlagFast, Keys: oneKey, Group: "sorted-set", Since: "1.2.0",
		Summary: "Return the number of members of a sorted set (one metadata read).", Run: cmdZCard},
	{Name: "zscore", Arity: 3, Flags: FlagReadOnly | FlagFast | FlagSnapshot, Keys: oneKey, Group: "sorted-set", Since: "1.2.0",
		Summary: "Return the score of a member (a point read).", Run: cmdZScore},
	{Name: "zmscore", Arity: -3, Flags: FlagReadOnly | FlagFast | FlagSnapshot, Keys: oneKey, Group: "sorted-set", Since: "6.2.0",
		Summary: "Return the scores of several members.", Run: cmdZMScore},
	{Name: "zrank", Arity: -3, Flags: FlagReadOnly | FlagFast | FlagSnapshot, Keys: oneKey, Group: "sorted-set", Since: "2.0.0",
		Summary: "Return the rank of a member by ascending score.", Run: cmdZRank},
	{Name: "zrevrank", Arity: -3, Flags: FlagReadOnly | FlagFast | FlagSnapshot, Keys: oneKey, Group: "sorted-set", Since: "2.0.0",
		Summary: "Return the rank of a member by descending score.", Run: cmdZRank},
	{Name: "zcount", Arity: 4, Flags: FlagReadOnly | FlagFast | FlagSnapshot, Keys: oneKey, Group: "sorted-set", Since: "2.0.0",
		Summary: "Count the members with a score in a range.", Run: cmdZCount},
	{Name: "zlexcount", Arity: 4, Flags: FlagReadOnly | FlagFast | FlagSnapshot, Keys: oneKey, Group: "sorted-set", Since: "2.8.9",
		Summary: "Count the members in a lexicographical range.", Run: cmdZLexCount},
	{Name: "zrange", Arity: -4, Flags: FlagReadOnly | FlagSnapshot, Keys: oneKey, Group: "sorted-set", Since: "1.2.0",
		Summary: "Return members of a sorted set by rank, score or lexicographical range.", Run: cmdZRange},
	{Name: "zrangestore", Arity: -5, Flags: FlagWrite | FlagDenyOOM, Keys: twoKeys, Group: "sorted-set", Since: "6.2.0",
		Summary: "Store a range of a sorted set into another key.", Run: cmdZRange},
	{Name: "zrevrange", Arity: -4, Flags: FlagReadOnly | FlagSnapshot, Keys: oneKey, Group: "sorted-set", Since: "1.2.0",
		Summary: "Return members of a sorted set by rank, highest score first.", Run: cmdZRange},
	{Name: "zrangebyscore", Arity: -4, Flags: FlagReadOnly | FlagSnapshot, Keys: oneKey, Group: "sorted-set", Since: "1.0.5",
		Summary: "Return members of a sorted set with a score in a range.", Run: cmdZRange},
	{Name: "zrevrangebyscore", Arity: -4, Flags: FlagReadOnly | FlagSnapshot, Keys: oneKey, Group: "sorted-set", Since: "2.2.0",
		Summary: "Return members with a score in a range, highest score first.", Run: cmdZRange},
	{Name: "zrangebylex", Arity: -4, Flags: FlagReadOnly | FlagSnapshot, Keys: oneKey, Group: "sorted-set", Since: "2.8.9",
		Summary: "Return members in a lexicographical range.", Run: cmdZRange},
	{Name: "zrevrangebylex", Arity: -4, Flags: FlagReadOnly | FlagSnapshot, Keys: oneKey, Group: "sorted-set", Since: "2.8.9",
		Summary: "Return members in a lexicographical range, in reverse order.", Run: cmdZRange},
	{Name: "zremrangebyrank", Arity: 4, Flags: FlagWrite, Keys: oneKey, Group: "sorted-set", Since: "2.0.0",
		Summary: "Remove the members in a range of ranks.", Run: cmdZRemRange},
	{Name: "zremrangebyscore", Arity: 4, Flags: FlagWrite, Keys: oneKey, Group: "sorted-set", Since: "1.2.0",
		Summary: "Remove the members with a score in a range.", Run: cmdZRemRange},
	{Name: "zremrangebylex", Arity: 4, Flags: FlagWrite, Keys: oneKey, Group: "sorted-set", Since: "2.8.9",
		Summary: "Remove the members in a lexicographical range.", Run: cmdZRemRange},
	{Name: "zpopmin", Arity: -2, Flags: FlagWrite | FlagFast, Keys: oneKey, Group: "sorted-set", Since: "5.0.0",
		Summary: "Remove and return the members with the lowest scores.", Run: cmdZPop},
	{Name: "zpopmax", Arity: -2, Flags: FlagWrite | FlagFast, Keys: oneKey, Group: "sorted-set", Since: "5.0.0",
		Summary: "Remove and return the members with the highest scores.", Run: cmdZPop},
	{Name: "zmpop", Arity: -4, Flags: FlagWrite, Keys: KeySpec{Find: mpopKeys(1)}, Group: "sorted-set", Since: "7.0.0",
		Summary: "Pop members from the first non-empty sorted set of several.", Run: cmdZMPop},
	{Name: "zunion", Arity: -3, Flags: FlagReadOnly | FlagSnapshot, Keys: KeySpec{Find: mpopKeys(1)}, Group: "sorted-set", Since: "6.2.0",
		Summary: "Return the union of sorted sets.", Run: cmdZSetOp},
	{Name: "zinter", Arity: -3, Flags: FlagReadOnly | FlagSnapshot, Keys: KeySpec{Find: mpopKeys(1)}, Group: "sorted-set", Since: "6.2.0",
		Summary: "Return the intersection of sorted sets.", Run: cmdZSetOp},
	{Name: "zdiff", Arity: -3, Flags: FlagReadOnly | FlagSnapshot, Keys: KeySpec{Find: mpopKeys(1)}, Group: "sorted-set", Since: "6.2.0",
		Summary: "Return the members of the first sorted set missing from the others.", Run: cmdZSetOp},
	{Name: "zunionstore", Arity: -4, Flags: FlagWrite | FlagDenyOOM, Keys: KeySpec{First: 1, Last: 1, Step: 1, Find: zsetStoreKeys},
		Group: "sorted-set", Since: "2.0.0", Summary: "Store the union of sorted sets.", Run: cmdZSetOp},
	{Name: "zinterstore", Arity: -4, Flags: FlagWrite | FlagDenyOOM, Keys: KeySpec{First: 1, Last: 1, Step: 1, Find: zsetStoreKeys},
		Group: "sorted-set", Since: "2.0.0", Summary: "Store the intersection of sorted sets.", Run: cmdZSetOp},
	{Name: "zdiffstore", Arity: -4, Flags: FlagWrite | FlagDenyOOM, Keys: KeySpec{First: 1, Last: 1, Step: 1, Find: zsetStoreKeys},
		Group: "sorted-set", Since: "6.2.0", Summary: "Store the difference of sorted sets.", Run: cmdZSetOp},
	{Name: "zintercard", Arity: -3, Flags: FlagReadOnly | FlagSnapshot, Keys: KeySpec{Find: mpopKeys(1)}, Group: "sorted-set", Since: "7.0.0",
		Summary: "Count the members of the intersection of sorted sets.", Run: cmdZSetOp},
	{Name: "zrandmember", Arity: -2, Flags: FlagReadOnly | FlagSnapshot, Keys: oneKey, Group: "sorted-set", Since: "6.2.0",
		Summary: "Return random members of a sorted set.", Run: cmdZRandMember},
	{Name: "zscan", Arity: -3, Flags: FlagReadOnly | FlagSnapshot, Keys: oneKey, Group: "sorted-set", Since: "2.8.0",
		Summary: "Iterate the members of a sorted set with a cursor.", Run: cmdZScan},
}

// zsetErr maps the engine's sorted set errors to replies.
func zsetErr(err error) error {
	if errors.Is(err, engine.ErrScoreNaN) {
		return errScoreNaN
	}
	return err
}

// parseRangeFloat parses a score bound as Redis's zslParseRange does with
// strtod: leading spaces are skipped, an empty string is 0, overflow is an
// infinity, NaN is refused.
func parseRangeFloat(b []byte) (float64, bool) {
	s := strings.TrimLeft(string(b), " \t\n\v\f\r")
	if s == "" {
		return 0, len(b) == 0
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		var ne *strconv.NumError
		if !errors.As(err, &ne) || ne.Err != strconv.ErrRange {
			return 0, false
		}
	}
	if math.IsNaN(f) || strings.ContainsAny(s, "_") {
		return 0, false
	}
	return f, true
}

// parseScoreBound parses "1.5", "(1.5", "-inf", "+inf".
func parseScoreBound(b []byte) (engine.ScoreBound, bool) {
	var sb engine.ScoreBound
	if len(b) > 0 && b[0] == '(' {
		sb.Excl, b = true, b[1:]
	}
	f, ok := parseRangeFloat(b)
	sb.Value = f
	return sb, ok
}

func parseScoreRange(min, max []byte) (engine.ScoreBound, engine.ScoreBound, error) {
	lo, ok1 := parseScoreBound(min)
	hi, ok2 := parseScoreBound(max)
	if !ok1 || !ok2 {
		return lo, hi, errMinMaxFloat
	}
	return lo, hi, nil
}

// parseLexBound parses "-", "+", "[member" and "(member".
func parseLexBound(b []byte) (engine.LexBound, bool) {
	if len(b) == 0 {
		return engine.LexBound{}, false
	}
	switch b[0] {
	case '-', '+':
		if len(b) != 1 {
			return engine.LexBound{}, false
		}
		if b[0] == '-' {
			return engine.LexBound{Inf: -1}, true
		}
		return engine.LexBound{Inf: 1}, true
	case '(':
		return engine.LexBound{Value: b[1:], Excl: true}, true
	case '[':
		return engine.LexBound{Value: b[1:]}, true
	}
	return engine.LexBound{}, false
}

func parseLexRange(min, max []byte) (engine.LexBound, engine.LexBound, error) {
	lo, ok1 := parseLexBound(min)
	hi, ok2 := parseLexBound(max)
	if !ok1 || !ok2 {
		return lo, hi, errMinMaxLex
	}
	return lo, hi, nil
}

// replyScoreMembers writes members, with scores when asked: a flat array
// in RESP2, an array of [member, score] pairs in RESP3, as Redis 7.
func replyScoreMembers(c *Call, items []engine.ScoreMember, withScores bool) {
	r := c.Reply
	switch {
	case !withScores:
		r.Array(len(items))
		for _, e := range items {
			r.Bulk(e.Member)
		}
	case r.resp3():
		r.Array(len(items))
		for _, e := range items {
			r.Array(2)
			r.Bulk(e.Member)
			r.Double(e.Score)
		}
	default:
		r.Array(2 * len(items))
		for _, e := range items {
			r.Bulk(e.Member)
			r.Double(e.Score)
		}
	}
}

// cmdZAdd serves ZADD, logged verbatim when it changed something (INCR
// included: the sum is deterministic).
func cmdZAdd(c *Call) error {
	var f engine.ZAddFlags
	ch := false
	i := 2
options:
	for ; i < len(c.Args); i++ {
		switch c.ArgLower(i) {
		case "nx":
			f.NX = true
		case "xx":
			f.XX = true
		case "gt":
			f.GT = true
		case "lt":
			f.LT = true
		case "ch":
			ch = true
		case "incr":
			f.Incr = true
		default:
			break options
		}
	}
	elems := len(c.Args) - i
	switch {
	case elems == 0 || elems%2 != 0:
		return errSyntax
	case f.NX && f.XX:
		return errZAddNXXX
	case (f.GT || f.LT) && f.NX || f.GT && f.LT:
		return errZAddGTLTNX
	case f.Incr && elems > 2:
		return errZAddIncrPair
	}
	items := make([]engine.ScoreMember, 0, elems/2)
	for ; i < len(c.Args); i += 2 {
		s, err := c.Float(i)
		if err != nil {
			return err
		}
		items = append(items, engine.ScoreMember{Score: s, Member: c.Arg(i + 1)})
	}
	res, err := c.Txn.ZAdd(c.DB, c.Arg(1), items, f)
	if err != nil {
		return zsetErr(err)
	}
	notifyZAdd(c, res, f.Incr)
	switch {
	case f.Incr && res.Applied:
		c.Reply.Double(res.Score)
	case f.Incr:
		c.Reply.Null()
	case ch:
		c.Reply.Int(res.Added + res.Updated)
	default:
		c.Reply.Int(res.Added)
	}
	return nil
}

func cmdZIncrBy(c *Call) error {
	incr, err := c.Float(2)
	if err != nil {
		return err
	}
	res, err := c.Txn.ZAdd(c.DB, c.Arg(1), []engine.ScoreMember{{Score: incr, Member: c.Arg(3)}}, engine.ZAddFlags{Incr: true})
	if err != nil {
		return zsetErr(err)
	}
	notifyZAdd(c, res, true)
	c.Reply.Double(res.Score)
	return nil
}

// notifyZAdd raises ZADD's and ZINCRBY's event, "zadd" or "zincr" (INCR),
// when a member was added or its score changed.
func notifyZAdd(c *Call, res engine.ZAddResult, incr bool) {
	switch {
	case res.Added+res.Updated == 0:
	case incr:
		c.Notify(eventZSet, "zincr", c.Arg(1))
	default:
		c.Notify(eventZSet, "zadd", c.Arg(1))
	}
}

func cmdZRem(c *Call) error {
	n, err := c.Txn.ZRem(c.DB, c.Arg(1), c.Args[2:]...)
	if err != nil {
		return err
	}
	if n > 0 {
		c.Notify(eventZSet, "zrem", c.Arg(1))
		if err := notifyIfDeleted(c, c.Arg(1)); err != nil {
			return err
		}
	}
	c.Reply.Int(n)
	return nil
}

func cmdZCard(c *Call) error {
	n, err := c.Txn.ZCard(c.DB, c.Arg(1))
	if err != nil {
		return err
	}
	c.Reply.Int(n)
	return nil
}

func cmdZScore(c *Call) error {
	s, ok, err := c.Txn.ZScore(c.DB, c.Arg(1), c.Arg(2))
	if err != nil {
		return err
	}
	if !ok {
		c.Reply.Null()
		return nil
	}
	c.Reply.Double(s)
	return nil
}

func cmdZMScore(c *Call) error {
	scores, found, err := c.Txn.ZScores(c.DB, c.Arg(1), c.Args[2:]...)
	if err != nil {
		return err
	}
	c.Reply.Array(len(scores))
	for i, s := range scores {
		if found[i] {
			c.Reply.Double(s)
		} else {
			c.Reply.Null()
		}
	}
	return nil
}

// cmdZRank serves ZRANK and ZREVRANK with Redis 7.2's WITHSCORE. The rank
// is counted by walking the score index from the nearer end: O(min(rank,
// n-rank)), where Redis's skiplist is O(log n).
func cmdZRank(c *Call) error {
	if len(c.Args) > 4 {
		return errArity(c.Cmd.Name)
	}
	withScore := false
	if len(c.Args) == 4 {
		if c.ArgLower(3) != "withscore" {
			return errSyntax
		}
		withScore = true
	}
	rank, score, ok, err := c.Txn.ZRank(c.DB, c.Arg(1), c.Arg(2), c.Cmd.Name == "zrevrank")
	switch {
	case err != nil:
		return err
	case !ok && withScore:
		c.Reply.NullArray()
	case !ok:
		c.Reply.Null()
	case withScore:
		c.Reply.Array(2)
		c.Reply.Int(rank)
		c.Reply.Double(score)
	default:
		c.Reply.Int(rank)
	}
	return nil
}

func cmdZCount(c *Call) error {
	lo, hi, err := parseScoreRange(c.Arg(2), c.Arg(3))
	if err != nil {
		return err
	}
	n, err := c.Txn.ZCount(c.DB, c.Arg(1), lo, hi)
	if err != nil {
		return err
	}
	c.Reply.Int(n)
	return nil
}

func cmdZLexCount(c *Call) error {
	lo, hi, err := parseLexRange(c.Arg(2), c.Arg(3))
	if err != nil {
		return err
	}
	n, err := c.Txn.ZLexCount(c.DB, c.Arg(1), lo, hi)
	if err != nil {
		return err
	}
	c.Reply.Int(n)
	return nil
}

// zrangeForm is what a ZRANGE-family command fixes before its options:
// the range kind and direction (when fixed, BYSCORE/BYLEX/REV are syntax
// errors), where its source key is, and whether it stores.
type zrangeForm struct {
	by       engine.ZRangeBy
	fixedBy  bool
	rev      bool
	fixedRev bool
	src      int
	store    bool
}

var zrangeForms = map[string]zrangeForm{
	"zrange":           {src: 1},
	"zrangestore":      {src: 2, store: true},
	"zrevrange":        {by: engine.ByRank, fixedBy: true, rev: true, fixedRev: true, src: 1},
	"zrangebyscore":    {by: engine.ByScore, fixedBy: true, fixedRev: true, src: 1},
	"zrevrangebyscore": {by: engine.ByScore, fixedBy: true, rev: true, fixedRev: true, src: 1},
	"zrangebylex":      {by: engine.ByLex, fixedBy: true, fixedRev: true, src: 1},
	"zrevrangebylex":   {by: engine.ByLex, fixedBy: true, rev: true, fixedRev: true, src: 1},
}

// parseZRange parses a ZRANGE-family command into a spec, in the order of
// Redis's zrangeGenericCommand: options, their conflicts, then the range.
func parseZRange(c *Call, form zrangeForm) (spec engine.ZRangeSpec, withScores bool, err error) {
	by, byGiven, revGiven := form.by, form.fixedBy, form.fixedRev
	spec.Rev = form.rev
	spec.Limit = -1
	limitGiven := false
	for i := form.src + 3; i < len(c.Args); i++ {
		opt := c.ArgLower(i)
		switch {
		case opt == "withscores" && !form.store:
			withScores = true
		case opt == "limit" && i+2 < len(c.Args):
			if spec.Offset, err = c.Int(i + 1); err != nil {
				return spec, false, err
			}
			if spec.Limit, err = c.Int(i + 2); err != nil {
				return spec, false, err
			}
			limitGiven = true
			i += 2
		case opt == "rev" && !revGiven:
			spec.Rev, revGiven = true, true
		case opt == "bylex" && !byGiven:
			by, byGiven = engine.ByLex, true
		case opt == "byscore" && !byGiven:
			by, byGiven = engine.ByScore, true
		default:
			return spec, false, errSyntax
		}
	}
	spec.By = by
	if limitGiven && by == engine.ByRank {
		return spec, false, errZRangeLimit
	}
	if withScores && by == engine.ByLex {
		return spec, false, errZRangeLexScores
	}
	min, max := c.Arg(form.src+1), c.Arg(form.src+2)
	if spec.Rev && by != engine.ByRank {
		min, max = max, min // given as max, min
	}
	switch by {
	case engine.ByRank:
		if spec.Start, err = c.Int(form.src + 1); err != nil {
			return spec, false, err
		}
		if spec.Stop, err = c.Int(form.src + 2); err != nil {
			return spec, false, err
		}
	case engine.ByScore:
		spec.Min, spec.Max, err = parseScoreRange(min, max)
	case engine.ByLex:
		spec.LexMin, spec.LexMax, err = parseLexRange(min, max)
	}
	return spec, withScores, err
}

// cmdZRange serves ZRANGE, ZRANGESTORE and the older ZREVRANGE,
// Z[REV]RANGEBYSCORE and Z[REV]RANGEBYLEX. ZRANGESTORE is logged verbatim:
// it is deterministic.
func cmdZRange(c *Call) error {
	form := zrangeForms[c.Cmd.Name]
	spec, withScores, err := parseZRange(c, form)
	if err != nil {
		return err
	}
	items, err := c.Txn.ZRange(c.DB, c.Arg(form.src), spec)
	if err != nil {
		return err
	}
	if form.store {
		return storeZSet(c, items)
	}
	replyScoreMembers(c, items, withScores)
	return nil
}

// cmdZRemRange serves ZREMRANGEBYRANK, ZREMRANGEBYSCORE and
// ZREMRANGEBYLEX.
func cmdZRemRange(c *Call) error {
	var spec engine.ZRangeSpec
	var err error
	switch c.Cmd.Name {
	case "zremrangebyrank":
		spec.By = engine.ByRank
		if spec.Start, err = c.Int(2); err != nil {
			return err
		}
		if spec.Stop, err = c.Int(3); err != nil {
			return err
		}
	case "zremrangebyscore":
		spec.By = engine.ByScore
		if spec.Min, spec.Max, err = parseScoreRange(c.Arg(2), c.Arg(3)); err != nil {
			return err
		}
	default:
		spec.By = engine.ByLex
		if spec.LexMin, spec.LexMax, err = parseLexRange(c.Arg(2), c.Arg(3)); err != nil {
			return err
		}
	}
	n, err := c.Txn.ZRemRange(c.DB, c.Arg(1), spec)
	if err != nil {
		return err
	}
	if n > 0 {
		c.Notify(eventZSet, c.Cmd.Name, c.Arg(1)) // "zremrangebyrank"…
		if err := notifyIfDeleted(c, c.Arg(1)); err != nil {
			return err
		}
	}
	c.Reply.Int(n)
	return nil
}

// replyZPop writes popped elements as ZPOPMIN/ZPOPMAX do: a flat array of
// member, score… — nested [member, score] pairs in RESP3 when nested.
func replyZPop(c *Call, items []engine.ScoreMember, nested bool) {
	r := c.Reply
	if nested {
		r.Array(len(items))
	} else {
		r.Array(2 * len(items))
	}
	for _, e := range items {
		if nested {
			r.Array(2)
		}
		r.Bulk(e.Member)
		r.Double(e.Score)
	}
}

// propagateZPop logs a pop as "ZPOPMIN|ZPOPMAX key n" (as Redis 7 does),
// the effect of ZMPOP and of the blocking pops. The pop is deterministic
// on the same data, and the line stays short whatever the members are.
func propagateZPop(c *Call, key []byte, max bool, n int) {
	cmd := "ZPOPMIN"
	if max {
		cmd = "ZPOPMAX"
	}
	c.PropagateAs(bytesArg(cmd), key, intArg(int64(n)))
}

// cmdZPop serves ZPOPMIN and ZPOPMAX, logged verbatim (deterministic).
func cmdZPop(c *Call) error {
	if len(c.Args) > 3 {
		return errSyntax
	}
	count := int64(1)
	withCount := len(c.Args) == 3
	if withCount {
		n, err := parsePositiveCount(c, 2, errMustBePositive)
		if err != nil {
			return err
		}
		count = n
	}
	max := c.Cmd.Name == "zpopmax"
	items, _, err := c.Txn.ZPop(c.DB, c.Arg(1), max, count)
	if err != nil {
		return err
	}
	if len(items) > 0 {
		if err := notifyZPop(c, c.Arg(1), max); err != nil {
			return err
		}
	}
	replyZPop(c, items, withCount && c.Reply.resp3())
	return nil
}

// notifyZPop raises a pop's event, "zpopmin" or "zpopmax", then "del"
// when the pop emptied the sorted set. ZPOPMIN, ZPOPMAX, ZMPOP and the
// blocking pops share it.
func notifyZPop(c *Call, key []byte, max bool) error {
	if max {
		c.Notify(eventZSet, "zpopmax", key)
	} else {
		c.Notify(eventZSet, "zpopmin", key)
	}
	return notifyIfDeleted(c, key)
}

// popFirstZSet pops up to count elements from the first non-empty sorted
// set of keys, failing on the first key of another type met before it
// (skipping it when a parked blocking pop is retried). It is ZMPOP's core
// and the blocking pops call it. ok is false when every key is missing.
func popFirstZSet(c *Call, keys [][]byte, max bool, count int64) (key []byte, items []engine.ScoreMember, ok bool, err error) {
	for _, k := range keys {
		items, exists, err := c.Txn.ZPop(c.DB, k, max, count)
		if errors.Is(err, engine.ErrWrongType) && c.retrying() {
			continue
		}
		if err != nil {
			return nil, nil, false, err
		}
		if exists {
			return k, items, true, nil
		}
	}
	return nil, nil, false, nil
}

func cmdZMPop(c *Call) error {
	a, err := parseMPop(c, 1, func(s string) bool { return s == "min" || s == "max" })
	if err != nil {
		return err
	}
	max := strings.EqualFold(string(a.where), "max")
	key, items, ok, err := popFirstZSet(c, a.keys, max, a.count)
	if err != nil {
		return err
	}
	if !ok {
		c.Reply.NullArray()
		return nil
	}
	propagateZPop(c, key, max, len(items))
	if err := notifyZPop(c, key, max); err != nil {
		return err
	}
	c.Reply.Array(2)
	c.Reply.Bulk(key)
	replyZPop(c, items, true)
	return nil
}

// cmdZSetOp serves ZUNION, ZINTER, ZDIFF, their STORE forms and
// ZINTERCARD, parsing as Redis's zunionInterDiffGenericCommand: numkeys,
// the keys' types, then the options. The STORE forms are logged verbatim.
func cmdZSetOp(c *Call) error {
	name := c.Cmd.Name
	store := strings.HasSuffix(name, "store")
	card := name == "zintercard"
	op := engine.ZSetOp{Kind: engine.ZUnion}
	switch {
	case strings.HasPrefix(name, "zinter"):
		op.Kind = engine.ZInter
	case strings.HasPrefix(name, "zdiff"):
		op.Kind = engine.ZDiff
	}
	numAt := 1
	if store {
		numAt = 2
	}
	n, ok := parseStrictInt(c.Arg(numAt))
	switch {
	case !ok:
		return errNotInteger
	case n < 1:
		return errAtLeastOneKey(name)
	case n > int64(len(c.Args)-numAt-1):
		return errSyntax
	}
	op.Keys = c.Args[numAt+1 : numAt+1+int(n)]
	// Redis checks the types before the options.
	for _, k := range op.Keys {
		m, ok, err := c.Txn.Lookup(c.DB, k)
		if err != nil {
			return err
		}
		if ok && m.Type != engine.TypeZSet && m.Type != engine.TypeSet {
			return errWrongType
		}
	}
	withScores := false
	limit := int64(0)
	for i := numAt + 1 + int(n); i < len(c.Args); i++ {
		opt, left := c.ArgLower(i), len(c.Args)-i-1
		switch {
		case opt == "weights" && op.Kind != engine.ZDiff && !card && left >= len(op.Keys):
			op.Weights = make([]float64, len(op.Keys))
			for j := range op.Weights {
				w, ok := parseFloat(c.Arg(i + 1 + j))
				if !ok {
					return errWeightFloat
				}
				op.Weights[j] = w
			}
			i += len(op.Keys)
		case opt == "aggregate" && op.Kind != engine.ZDiff && !card && left >= 1:
			switch strings.ToLower(string(c.Arg(i + 1))) {
			case "sum":
				op.Aggregate = engine.AggSum
			case "min":
				op.Aggregate = engine.AggMin
			case "max":
				op.Aggregate = engine.AggMax
			default:
				return errSyntax
			}
			i++
		case opt == "withscores" && !store && !card:
			withScores = true
		case opt == "limit" && card && left >= 1:
			l, ok := parseStrictInt(c.Arg(i + 1))
			if !ok || l < 0 {
				return errLimitNegative
			}
			limit = l
			i++
		default:
			return errSyntax
		}
	}
	if card {
		n, err := c.Txn.ZInterCard(c.DB, op.Keys, limit)
		if err != nil {
			return err
		}
		c.Reply.Int(n)
		return nil
	}
	items, err := c.Txn.ZCombine(c.DB, op)
	if err != nil {
		return err
	}
	if store {
		return storeZSet(c, items)
	}
	replyScoreMembers(c, items, withScores)
	return nil
}

// storeZSet ends ZRANGESTORE and the STORE forms of ZUNION, ZINTER and
// ZDIFF: it replaces the destination (argument 1) with items and answers
// their count. Its event is the command's name, or "del" when an empty
// result deleted the destination.
func storeZSet(c *Call, items []engine.ScoreMember) error {
	dst := c.Arg(1)
	_, existed, err := c.Txn.Lookup(c.DB, dst)
	if err != nil {
		return err
	}
	n, err := c.Txn.ZStore(c.DB, dst, items)
	if err != nil {
		return zsetErr(err)
	}
	switch {
	case n > 0:
		c.Notify(eventZSet, c.Cmd.Name, dst) // "zunionstore"…
	case existed:
		c.Notify(eventGeneric, "del", dst)
	}
	c.Reply.Int(n)
	return nil
}

func cmdZRandMember(c *Call) error {
	key := c.Arg(1)
	if len(c.Args) == 2 {
		items, err := c.Txn.ZRandMember(c.DB, key, 1)
		if err != nil {
			return err
		}
		if len(items) == 0 {
			c.Reply.Null()
			return nil
		}
		c.Reply.Bulk(items[0].Member)
		return nil
	}
	n, ok := parseStrictInt(c.Arg(2))
	switch {
	case !ok:
		return errNotInteger
	case n == math.MinInt64:
		return errLongRange
	}
	withScores := false
	if len(c.Args) > 4 || len(c.Args) == 4 && c.ArgLower(3) != "withscores" {
		return errSyntax
	} else if len(c.Args) == 4 {
		withScores = true
		if n < -math.MaxInt64/2 || n > math.MaxInt64/2 {
			return errValueRange
		}
	}
	items, err := c.Txn.ZRandMember(c.DB, key, n)
	if err != nil {
		return err
	}
	replyScoreMembers(c, items, withScores)
	return nil
}

func cmdZScan(c *Call) error {
	cursor, err := strconv.ParseUint(string(c.Arg(2)), 10, 64)
	if err != nil {
		return errZScanCursor
	}
	// Redis answers an empty scan for a missing key before reading options.
	if m, ok, err := c.Txn.Lookup(c.DB, c.Arg(1)); err != nil {
		return err
	} else if !ok {
		c.Reply.Array(2)
		c.Reply.BulkString("0")
		c.Reply.Array(0)
		return nil
	} else if m.Type != engine.TypeZSet {
		return errWrongType
	}
	var o engine.ZScanOptions
	for i := 3; i < len(c.Args); i += 2 {
		if i+1 >= len(c.Args) {
			return errSyntax
		}
		switch c.ArgLower(i) {
		case "match":
			o.Match = c.Arg(i + 1)
			if len(o.Match) == 1 && o.Match[0] == '*' {
				o.Match = nil
			}
		case "count":
			n, err := c.Int(i + 1)
			if err != nil {
				return err
			}
			if n < 1 {
				return errSyntax
			}
			o.Count = int(min(n, 1<<20))
		default:
			return errSyntax
		}
	}
	next, items, err := c.Txn.ZScan(c.DB, c.Arg(1), cursor, o)
	if err != nil {
		return err
	}
	c.Reply.Array(2)
	c.Reply.BulkString(strconv.FormatUint(next, 10))
	c.Reply.Array(2 * len(items))
	for _, e := range items {
		c.Reply.Bulk(e.Member)
		c.Reply.Bulk(formatFloat(e.Score))
	}
	return nil
}
