package rdb

import (
	"bytes"
	"io"
	"strconv"
	"testing"
)

const benchKeys = 100_000

// redisStyleFile writes n keys the way Redis 7 stores small values: integer
// and raw strings, listpack hashes and zsets, intsets, quicklist 2 lists,
// with an expiry time on a tenth of them. This is the file a loader meets
// when it reads a real dump.rdb.
func redisStyleFile(n int) []byte {
	f := newRawFile("REDIS0010")
	f.bytes(opSelectDB).len(0).bytes(opResizeDB).len(uint64(n)).len(uint64(n / 10))
	for i := 0; i < n; i++ {
		key := "key:" + strconv.Itoa(i)
		if i%10 == 0 {
			f.bytes(opExpireTimeMs).u64(farFuture)
		}
		switch i % 6 {
		case 0:
			f.key(ObjString, key).strs("value-" + strconv.Itoa(i*7919))
		case 1:
			f.key(ObjString, key).bytes(0xC2).bytes(byte(i), byte(i>>8), byte(i>>16), 0)
		case 2:
			f.key(ObjHashListpack, key).str(appendListpack(nil, bl("name", "user"+strconv.Itoa(i), "age", strconv.Itoa(i%90), "city", "Lisbon", "visits", strconv.Itoa(i))))
		case 3:
			f.key(ObjZSetListpack, key).str(appendListpack(nil, bl("a", "1", "b", "2.5", "c", strconv.Itoa(i))))
		case 4:
			f.key(ObjSetIntset, key).str(appendIntset(nil, []int64{1, 2, 3, int64(i) + 4}, 4))
		case 5:
			f.key(ObjListQuicklist2, key).len(1).len(qlContainerPacked).str(appendListpack(nil, bl("job:"+strconv.Itoa(i), "queued", "42", "x")))
		}
	}
	return f.finish()
}

// plainEntries returns n entries of the same shapes, for the Encoder.
func plainEntries(n int) []*Entry {
	es := make([]*Entry, n)
	for i := range es {
		e := &Entry{Key: []byte("key:" + strconv.Itoa(i))}
		if i%10 == 0 {
			e.ExpireAtMs = farFuture
		}
		switch i % 6 {
		case 0:
			e.Type, e.String = TypeString, []byte("value-"+strconv.Itoa(i*7919))
		case 1:
			e.Type, e.String = TypeString, []byte(strconv.Itoa(i))
		case 2:
			e.Type = TypeHash
			e.Hash = [][2][]byte{{[]byte("name"), []byte("user" + strconv.Itoa(i))}, {[]byte("age"), []byte(strconv.Itoa(i % 90))},
				{[]byte("city"), []byte("Lisbon")}, {[]byte("visits"), []byte(strconv.Itoa(i))}}
		case 3:
			e.Type, e.ZSet = TypeZSet, []ZMember{{[]byte("a"), 1}, {[]byte("b"), 2.5}, {[]byte("c"), float64(i)}}
		case 4:
			e.Type, e.Set = TypeSet, bl("1", "2", "3", strconv.Itoa(i+4))
		case 5:
			e.Type, e.List = TypeList, bl("job:"+strconv.Itoa(i), "queued", "42", "x")
		}
		es[i] = e
	}
	return es
}

func benchDecode(b *testing.B, file []byte) {
	b.SetBytes(int64(len(file)))
	b.ReportAllocs()
	for b.Loop() {
		sum, err := Decode(bytes.NewReader(file), nopHandler{}, DecodeOptions{})
		if err != nil || sum.Keys[TypeString]+sum.Keys[TypeHash]+sum.Keys[TypeZSet]+sum.Keys[TypeSet]+sum.Keys[TypeList] != benchKeys {
			b.Fatalf("decode: %v %+v", err, sum.Keys)
		}
	}
	b.ReportMetric(float64(benchKeys)*float64(b.N)/b.Elapsed().Seconds(), "keys/s")
}

// BenchmarkDecode_RedisStyle decodes 100k keys in Redis 7's compact
// encodings.
func BenchmarkDecode_RedisStyle(b *testing.B) {
	benchDecode(b, redisStyleFile(benchKeys))
}

// BenchmarkDecode_Plain decodes 100k keys as the Encoder writes them.
func BenchmarkDecode_Plain(b *testing.B) {
	var buf bytes.Buffer
	enc := NewEncoder(&buf, EncoderOptions{})
	must(b, enc.Header())
	for _, e := range plainEntries(benchKeys) {
		must(b, enc.Entry(e))
	}
	must(b, enc.Finish())
	benchDecode(b, buf.Bytes())
}

// BenchmarkEncode writes 100k keys.
func BenchmarkEncode(b *testing.B) {
	es := plainEntries(benchKeys)
	var size int64
	b.ReportAllocs()
	for b.Loop() {
		cw := &countingWriter{}
		enc := NewEncoder(cw, EncoderOptions{})
		must(b, enc.Header())
		for _, e := range es {
			if err := enc.Entry(e); err != nil {
				b.Fatal(err)
			}
		}
		must(b, enc.Finish())
		size = cw.n
	}
	b.SetBytes(size)
	b.ReportMetric(float64(benchKeys)*float64(b.N)/b.Elapsed().Seconds(), "keys/s")
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return io.Discard.Write(p)
}
