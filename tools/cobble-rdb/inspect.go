package main

import (
	"container/heap"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/cobbledb/cobble/engine"
	"github.com/cobbledb/cobble/rdb"
)

func inspectCommand() *command {
	var (
		asJSON       bool
		top          int
		showProgress bool
	)
	return &command{
		name:    "inspect",
		summary: "report keys by type, sizes, biggest keys, expiry, slots and a memory estimate",
		usage:   "inspect [flags] FILE",
		detail: `
Reads an RDB file ("-" is stdin) and reports: keys per db and per type
(elements, bytes of data), the RDB encodings used, the biggest keys, a
histogram of expiry times, key counts per cluster slot (CRC16 of the key or
its {hash tag}, as Redis Cluster and cobble place them), and an estimate
of the memory Redis 7 would need for the data set (jemalloc size classes,
default encoding thresholds; cobble keeps data on disk and needs far less).
Keys already expired are counted in the histogram and left out of
everything else. --json prints the same report as one JSON object.`,
		example: `  cobble-rdb inspect --top 5 dump.rdb
  cobble-rdb inspect --json dump.rdb | jq '.by_type.hash.keys'`,
		flags: func(fs *flag.FlagSet) {
			fs.BoolVar(&asJSON, "json", false, "print the report as JSON")
			fs.IntVar(&top, "top", 10, "how many of the biggest keys to list")
			fs.BoolVar(&showProgress, "progress", false, "report progress on stderr even when it is not a terminal")
		},
		run: func(e *env, args []string) error {
			if len(args) != 1 {
				return usagef("inspect takes one file")
			}
			if top < 0 {
				return usagef("--top must be >= 0")
			}
			in, p, closeIn, err := openInput(e, args[0], showProgress, "inspect")
			if err != nil {
				return err
			}
			ins := newInspector(top, time.Now().UnixMilli())
			ins.p = p
			sum, err := rdb.Decode(in, ins, rdb.DecodeOptions{SkipUnsupported: true})
			closeIn()
			if err != nil {
				return err
			}
			rep := ins.report(args[0], sum)
			if asJSON {
				enc := json.NewEncoder(e.stdout)
				enc.SetIndent("", "  ")
				return enc.Encode(rep)
			}
			rep.print(e.stdout)
			return nil
		},
	}
}

// Report is inspect's result; its JSON form is what --json prints.
// Sizes are bytes.
type Report struct {
	File         string                `json:"file"`
	Bytes        int64                 `json:"bytes"`
	Magic        string                `json:"magic"`
	Version      int                   `json:"rdb_version"`
	Checksum     string                `json:"checksum"` // "verified" or "absent"
	Aux          map[string]string     `json:"aux"`
	Keys         int64                 `json:"keys"`
	KeysByDB     map[string]int64      `json:"keys_by_db"`
	ByType       map[string]*TypeStats `json:"by_type"`
	Encodings    map[string]int        `json:"encodings"`
	NotStored    map[string]int        `json:"not_stored_by_cobble,omitempty"`
	Expiry       []Bucket              `json:"expiry"`
	Slots        SlotStats             `json:"slots"`
	MemoryRedis  int64                 `json:"memory_estimate_redis"`
	Biggest      []BigKey              `json:"biggest_keys"`
	ExpiredSkip  int64                 `json:"expired_keys"`
	Functions    int                   `json:"function_libraries,omitempty"`
	SkippedWarns []string              `json:"warnings,omitempty"`
}

// TypeStats sums the keys of one type.
type TypeStats struct {
	Keys        int64 `json:"keys"`
	Elements    int64 `json:"elements"`
	MaxElements int64 `json:"max_elements"`
	DataBytes   int64 `json:"data_bytes"` // keys, values, fields and members, unencoded
	MemoryRedis int64 `json:"memory_estimate_redis"`
}

// Bucket is one bar of the expiry histogram.
type Bucket struct {
	Label string `json:"ttl"`
	Keys  int64  `json:"keys"`
}

// SlotStats are key counts per cluster slot.
type SlotStats struct {
	NonEmpty int              `json:"non_empty"`
	Min      int64            `json:"min"`
	Max      int64            `json:"max"`
	Mean     float64          `json:"mean"`
	Busiest  []SlotCount      `json:"busiest"`
	PerSlot  map[string]int64 `json:"per_slot"`
}

// SlotCount is the number of keys of a slot.
type SlotCount struct {
	Slot uint16 `json:"slot"`
	Keys int64  `json:"keys"`
}

// BigKey is one of the biggest keys.
type BigKey struct {
	DB          int    `json:"db"`
	Key         string `json:"key"`
	Type        string `json:"type"`
	Elements    int64  `json:"elements"`
	DataBytes   int64  `json:"data_bytes"`
	MemoryRedis int64  `json:"memory_estimate_redis"`
	ExpireAtMs  int64  `json:"expire_at_ms,omitempty"`
}

// expiryBounds are the histogram's upper bounds (time left), after the
// "none" and "expired" bars.
var expiryBounds = []struct {
	label string
	d     time.Duration
}{
	{"<1m", time.Minute}, {"<1h", time.Hour}, {"<1d", 24 * time.Hour},
	{"<7d", 7 * 24 * time.Hour}, {"<30d", 30 * 24 * time.Hour}, {">=30d", 1<<63 - 1},
}

// inspector is the rdb.Handler that gathers a Report.
type inspector struct {
	now         int64
	top         int
	keys        int64
	byDB        map[int]int64
	expiresByDB map[int]int64
	byType      map[string]*TypeStats
	expiry      []int64 // none, expired, then expiryBounds
	slots       [engine.SlotCount]int64
	memory      int64
	biggest     bigHeap
	p           *progress // counts keys read, when set
}

func newInspector(top int, now int64) *inspector {
	return &inspector{now: now, top: top, byDB: map[int]int64{}, expiresByDB: map[int]int64{}, byType: map[string]*TypeStats{},
		expiry: make([]int64, 2+len(expiryBounds))}
}

func (in *inspector) Aux(k, v []byte) error                    { return nil }
func (in *inspector) ResizeDB(int, uint64, uint64) error       { return nil }
func (in *inspector) Skipped(db int, k []byte, t string) error { return nil }

func (in *inspector) Entry(e *rdb.Entry) error {
	if in.p != nil {
		in.p.keys.Add(1)
	}
	switch {
	case e.ExpireAtMs == 0:
		in.expiry[0]++
	case e.ExpireAtMs <= in.now:
		in.expiry[1]++
		return nil
	default:
		left := time.Duration(e.ExpireAtMs-in.now) * time.Millisecond
		for i, b := range expiryBounds {
			if left < b.d || i == len(expiryBounds)-1 {
				in.expiry[2+i]++
				break
			}
		}
	}
	in.keys++
	in.byDB[e.DB]++
	if e.ExpireAtMs != 0 {
		in.expiresByDB[e.DB]++
	}
	in.slots[engine.KeySlot(e.Key)]++
	ts := in.byType[e.Type.String()]
	if ts == nil {
		ts = &TypeStats{}
		in.byType[e.Type.String()] = ts
	}
	mem, n, data := estimateMemory(e), elements(e), valueBytes(e)
	ts.Keys++
	ts.Elements += n
	ts.MaxElements = max(ts.MaxElements, n)
	ts.DataBytes += data
	ts.MemoryRedis += mem
	in.memory += mem
	if in.top > 0 && (len(in.biggest) < in.top || mem > in.biggest[0].MemoryRedis) {
		bk := BigKey{DB: e.DB, Key: printable(e.Key), Type: e.Type.String(), Elements: n, DataBytes: data,
			MemoryRedis: mem, ExpireAtMs: e.ExpireAtMs}
		if len(in.biggest) < in.top {
			heap.Push(&in.biggest, bk)
		} else {
			in.biggest[0] = bk
			heap.Fix(&in.biggest, 0)
		}
	}
	return nil
}

// bigHeap is a min-heap on estimated memory: the smallest of the biggest
// keys is on top, ready to be replaced.
type bigHeap []BigKey

func (h bigHeap) Len() int           { return len(h) }
func (h bigHeap) Less(i, j int) bool { return h[i].MemoryRedis < h[j].MemoryRedis }
func (h bigHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *bigHeap) Push(x any)        { *h = append(*h, x.(BigKey)) }
func (h *bigHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (in *inspector) report(file string, sum rdb.Summary) *Report {
	r := &Report{File: file, Bytes: sum.Bytes, Magic: sum.Magic, Version: sum.Version, Aux: map[string]string{},
		Keys: in.keys, KeysByDB: map[string]int64{}, ByType: in.byType, Encodings: map[string]int{},
		MemoryRedis: in.memory, ExpiredSkip: in.expiry[1], Functions: sum.Functions, SkippedWarns: sum.Warnings}
	r.Checksum = "absent"
	if sum.ChecksumChecked {
		r.Checksum = "verified"
	}
	for _, a := range sum.Aux {
		r.Aux[a.Key] = a.Value
	}
	for db, n := range in.byDB {
		r.KeysByDB[strconv.Itoa(db)] = n
		// Each db's keyspace and expires dicts have a bucket table.
		r.MemoryRedis += dictTable(n) + dictTable(in.expiresByDB[db])
	}
	for t, n := range sum.Encodings {
		r.Encodings[t.String()] = n
	}
	if len(sum.Skipped) > 0 {
		r.NotStored = sum.Skipped
	}
	r.Expiry = []Bucket{{"none", in.expiry[0]}, {"expired", in.expiry[1]}}
	for i, b := range expiryBounds {
		r.Expiry = append(r.Expiry, Bucket{b.label, in.expiry[2+i]})
	}
	r.Slots.PerSlot = map[string]int64{}
	r.Slots.Min = -1
	var all []SlotCount
	for s, n := range in.slots {
		if n == 0 {
			continue
		}
		r.Slots.NonEmpty++
		r.Slots.PerSlot[strconv.Itoa(s)] = n
		r.Slots.Max = max(r.Slots.Max, n)
		if r.Slots.Min < 0 || n < r.Slots.Min {
			r.Slots.Min = n
		}
		all = append(all, SlotCount{uint16(s), n})
	}
	if r.Slots.Min < 0 {
		r.Slots.Min = 0
	}
	if r.Slots.NonEmpty > 0 {
		r.Slots.Mean = float64(in.keys) / float64(r.Slots.NonEmpty)
	}
	sort.Slice(all, func(i, j int) bool {
		return all[i].Keys > all[j].Keys || all[i].Keys == all[j].Keys && all[i].Slot < all[j].Slot
	})
	r.Slots.Busiest = all[:min(len(all), 10)]
	r.Biggest = append([]BigKey(nil), in.biggest...)
	sort.Slice(r.Biggest, func(i, j int) bool { return r.Biggest[i].MemoryRedis > r.Biggest[j].MemoryRedis })
	if r.Biggest == nil {
		r.Biggest = []BigKey{}
	}
	return r
}

// print writes the report as text.
func (r *Report) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "file\t%s (%s, %s version %d, checksum %s)\n", r.File, humanBytes(r.Bytes), r.Magic, r.Version, r.Checksum)
	if v := r.Aux["redis-ver"]; v != "" {
		fmt.Fprintf(tw, "written by\tredis_version %s", v)
		if cv := r.Aux["cobble-ver"]; cv != "" {
			fmt.Fprintf(tw, " (cobble %s, log offset %s)", cv, r.Aux["repl-offset"])
		}
		fmt.Fprintln(tw)
	}
	var dbs []string
	for db, n := range r.KeysByDB {
		dbs = append(dbs, fmt.Sprintf("db%s %d", db, n))
	}
	sort.Strings(dbs)
	fmt.Fprintf(tw, "keys\t%d\t%s\n", r.Keys, strings.Join(dbs, ", "))
	if r.ExpiredSkip > 0 {
		fmt.Fprintf(tw, "expired\t%d\tnot counted below: a load drops them\n", r.ExpiredSkip)
	}
	for k, n := range r.NotStored {
		fmt.Fprintf(tw, "not stored by cobble\t%d\t%s keys\n", n, k)
	}
	fmt.Fprintf(tw, "memory\t~%s\testimate for Redis 7 (cobble keeps data on disk)\n", humanBytes(r.MemoryRedis))
	tw.Flush()

	fmt.Fprintln(w, "\nby type:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "type\tkeys\telements\tmax elements\tdata\tmemory (Redis)\t")
	var types []string
	for t := range r.ByType {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		s := r.ByType[t]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%s\t%s\t\n", t, s.Keys, s.Elements, s.MaxElements, humanBytes(s.DataBytes), humanBytes(s.MemoryRedis))
	}
	tw.Flush()

	var encs []string
	for e, n := range r.Encodings {
		encs = append(encs, fmt.Sprintf("%s %d", e, n))
	}
	sort.Strings(encs)
	fmt.Fprintf(w, "\nencodings: %s\n", strings.Join(encs, ", "))

	fmt.Fprintln(w, "\nexpiry (time left):")
	for _, b := range r.Expiry {
		bar := ""
		if r.Keys+r.ExpiredSkip > 0 {
			bar = strings.Repeat("#", int(40*b.Keys/(r.Keys+r.ExpiredSkip)))
		}
		fmt.Fprintf(w, "  %-8s %10d %s\n", b.Label, b.Keys, bar)
	}

	fmt.Fprintf(w, "\nslots: %d of %d hold keys; keys per slot min %d, mean %.1f, max %d\n",
		r.Slots.NonEmpty, engine.SlotCount, r.Slots.Min, r.Slots.Mean, r.Slots.Max)
	if len(r.Slots.Busiest) > 0 {
		var parts []string
		for _, s := range r.Slots.Busiest {
			parts = append(parts, fmt.Sprintf("%d (%d)", s.Slot, s.Keys))
		}
		fmt.Fprintf(w, "  busiest: %s\n", strings.Join(parts, ", "))
	}

	if len(r.Biggest) > 0 {
		fmt.Fprintln(w, "\nbiggest keys (estimated Redis memory):")
		tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
		for _, b := range r.Biggest {
			ttl := ""
			if b.ExpireAtMs > 0 {
				ttl = "expires " + time.UnixMilli(b.ExpireAtMs).UTC().Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "  db%d\t%s\t%s\t%d elements\t%s data\t~%s\t%s\n", b.DB, b.Key, b.Type, b.Elements,
				humanBytes(b.DataBytes), humanBytes(b.MemoryRedis), ttl)
		}
		tw.Flush()
	}
}
