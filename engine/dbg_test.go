package engine

import (
	"encoding/binary"
	"fmt"
	"sort"
	"testing"
	"time"
)

func TestDbgSeeker(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	gens := map[string]func(i int) string{
		"decimal": func(i int) string { return fmt.Sprint(i) },
		"hex":     func(i int) string { return fmt.Sprintf("%016x", uint64(i)*0x9e3779b97f4a7c15) },
		"binary":  func(i int) string { return string(binary.BigEndian.AppendUint64(nil, uint64(i)*0x9e3779b97f4a7c15)) },
		"uuid":    func(i int) string { x := uint64(i) * 0x9e3779b97f4a7c15; return fmt.Sprintf("%08x-%04x-4%03x-a%03x-%012x", x>>32, x>>16&0xffff, x&0xfff, x>>40&0xfff, x*31) },
	}
	const n = 200000
	const per = 2
	for name, gen := range gens {
		key := []byte(name)
		commit(t, db, 1, func(txn *Txn) {
			var members [][]byte
			for i := range n {
				members = append(members, []byte(gen(i)))
			}
			txn.SAdd(0, key, members)
		})
		readView(t, db, func(r *Txn) {
			start := time.Now()
			s, _ := r.newRandomSeeker(elemPrefix(r.phys(0), key), n)
			d := time.Since(start)
			start = time.Now()
			hits := map[string]int{}
			for range per * n {
				s.pick()
				hits[string(s.sub())]++
			}
			el := time.Since(start) / (per * n)
			least, most := 1<<30, 0
			zeros := 0
			for i := range n {
				least, most = min(least, hits[gen(i)]), max(most, hits[gen(i)])
				if hits[gen(i)] == 0 {
					zeros++
				}
			}
			type kv struct{ k string; v int }
			var all []kv
			for k, v := range hits { all = append(all, kv{k, v}) }
			sort.Slice(all, func(i, j int) bool { return all[i].v > all[j].v })
			t.Logf("%s: build %v, model depth %d, pick %v; per member %d..%d (avg %d), never %d; top %v", name, d, len(s.model), el, least, most, per, zeros, all[:5])
			s.close()
		})
	}
}
