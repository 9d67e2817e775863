package engine

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func BenchmarkKeys_MetaKey(b *testing.B) {
	key := []byte("user:000000012345")
	b.ReportAllocs()
	for b.Loop() {
		_ = metaKey(0, key)
	}
}

func BenchmarkKeySlot(b *testing.B) {
	key := []byte("user:{000000012345}:profile")
	b.ReportAllocs()
	for b.Loop() {
		_ = KeySlot(key)
	}
}

// BenchmarkEngine_SetGroup commits groups of 64 SETs, as the executor does
// under load, of new keys in order.
func BenchmarkEngine_SetGroup(b *testing.B) {
	i := 0
	benchSetGroup(b, func() int { i++; return i % 1000000 })
}

// BenchmarkEngine_SetGroupRandom is SetGroup with keys drawn at random
// from 1M (redis-benchmark -r 1000000): new keys and overwrites mixed.
func BenchmarkEngine_SetGroupRandom(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	benchSetGroup(b, func() int { return rng.IntN(1000000) })
}

func benchSetGroup(b *testing.B, next func() int) {
	now := int64(1000)
	db, err := Open(b.TempDir(), Options{Databases: 16, CacheSize: 64 << 20, Now: func() int64 { return now }})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	val := make([]byte, 64)
	off := int64(0)
	b.ReportAllocs()
	for b.Loop() {
		txn := db.WriteTxn()
		for range 64 {
			txn.SetString(0, fmt.Appendf(nil, "key:%012d", next()), val, SetOptions{})
		}
		off++
		if err := txn.Commit(off); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*64)/b.Elapsed().Seconds(), "keys/s")
}

func BenchmarkEngine_Get(b *testing.B) {
	now := int64(1000)
	db, err := Open(b.TempDir(), Options{Databases: 16, CacheSize: 64 << 20, Now: func() int64 { return now }})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	txn := db.WriteTxn()
	for i := range 100000 {
		txn.SetString(0, fmt.Appendf(nil, "key:%d", i), []byte("value"), SetOptions{})
	}
	txn.Commit(1)
	i := 0
	b.ReportAllocs()
	for b.Loop() {
		r := db.ReadTxn(false)
		if _, ok, err := r.GetString(0, fmt.Appendf(nil, "key:%d", i%100000)); !ok || err != nil {
			b.Fatal("missing key")
		}
		r.Close()
		i++
	}
}
