package rdb
import ("testing";"time";"bytes")
func TestZZFlipTiming(t *testing.T){
	for name, file := range corpusFiles(t) {
		start := time.Now(); var worst time.Duration; wi := 0
		for i := 9; i < len(file); i++ {
			b := append([]byte(nil), file...)
			b[i] ^= 0xFF
			s := time.Now()
			Decode(bytes.NewReader(b), newCollector(), DecodeOptions{SkipUnsupported: true})
			if d := time.Since(s); d > worst { worst, wi = d, i }
		}
		t.Logf("%s: %d bytes, %v total, worst %v at %d", name, len(file), time.Since(start), worst, wi)
	}
}
