package engine

import (
	"strconv"
	"testing"
	"time"
)

func TestZAddMillionTiming(t *testing.T) {
	now := int64(1000)
	db := openTest(t, &now)
	start := time.Now()
	items := make([]ScoreMember, 5000)
	for i := 0; i < 1000000; i += 100000 {
		txn := db.WriteTxn()
		for j := i; j < i+100000; j += 5000 {
			for k := range 5000 {
				items[k] = ScoreMember{Member: []byte(strconv.Itoa(j + k)), Score: float64(j + k)}
			}
			if _, err := txn.ZAdd(0, []byte("big"), items, ZAddFlags{}); err != nil {
				t.Fatal(err)
			}
		}
		if err := txn.Commit(int64(i + 1)); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("zadd 1M: %v", time.Since(start))
	start = time.Now()
	for i := 0; i < 1000000; i += 100000 {
		txn := db.WriteTxn()
		for j := i; j < i+100000; j += 5000 {
			vals := make([][]byte, 5000)
			for k := range 5000 {
				vals[k] = []byte(strconv.Itoa(j + k))
			}
			if _, err := txn.ListPush(0, []byte("l"), false, false, vals...); err != nil {
				t.Fatal(err)
			}
		}
		if err := txn.Commit(int64(i + 1)); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("rpush 1M: %v", time.Since(start))
}
