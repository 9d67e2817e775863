package engine

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestKeySlot_MatchesRedis(t *testing.T) {
	// Values from Redis Cluster (CLUSTER KEYSLOT).
	cases := map[string]uint16{
		"foo": 12182, "bar": 5061, "user:1000": 1649, "{user1000}.following": 3443,
		"{user1000}.followers": 3443, "foo{}{bar}": 8363, "foo{{bar}}zap": 4015, "foo{bar}{zap}": 5061, "": 0,
	}
	for k, want := range cases {
		if got := KeySlot([]byte(k)); got != want {
			t.Errorf("KeySlot(%q) = %d, want %d", k, got, want)
		}
	}
	if got := CRC16([]byte("123456789")); got != 0x31c3 {
		t.Errorf("CRC16 check value = %#x, want 0x31c3", got)
	}
}

func TestDecodeKey_RoundTrip(t *testing.T) {
	for _, key := range [][]byte{[]byte("user:1"), {}, {0, 1, 0xff}, bytes.Repeat([]byte("k"), 300)} {
		mk := metaKey(3, key)
		d, err := DecodeKey(mk)
		if err != nil || d.NS != nsData || d.DB != 3 || d.Slot != KeySlot(key) || !bytes.Equal(d.Key, key) || d.Elem {
			t.Fatalf("meta key %q: %+v %v", key, d, err)
		}
		ek := elemKey(elemPrefix(3, key), []byte("field"))
		d, err = DecodeKey(ek)
		if err != nil || !d.Elem || string(d.Sub) != "field" || !bytes.Equal(d.Key, key) {
			t.Fatalf("elem key %q: %+v %v", key, d, err)
		}
		xk := expireKey(1234567, 2, key)
		d, err = DecodeKey(xk)
		if err != nil || d.NS != nsExpire || d.ExpireAt != 1234567 || d.DB != 2 || !bytes.Equal(d.Key, key) {
			t.Fatalf("expire key %q: %+v %v", key, d, err)
		}
	}
	if s := FormatKey(elemKey(elemPrefix(0, []byte("user:1")), []byte("name"))); s != `data db=0 slot=10778 key="user:1" elem="name"` {
		t.Errorf("FormatKey = %s", s)
	}
}

func TestKeys_Ordering(t *testing.T) {
	// A key's metadata sorts before its elements, and a key that prefixes
	// another never interleaves with it.
	a, ab := []byte("{t}a"), []byte("{t}ab")
	ma, ea := metaKey(0, a), elemKey(elemPrefix(0, a), []byte{0xff, 0xff})
	mab := metaKey(0, ab)
	if bytes.Compare(ma, ea) >= 0 {
		t.Fatal("metadata does not sort before elements")
	}
	end := keyRangeEnd(ma)
	if bytes.Compare(ea, end) >= 0 {
		t.Fatal("element beyond the key's range end")
	}
	if bytes.Compare(mab, ma) > 0 && bytes.Compare(mab, end) < 0 {
		t.Fatal("a longer key interleaves with its prefix")
	}
	// One (db, slot) is one contiguous range.
	lo, hi := slotRange(0, KeySlot(a))
	for _, k := range [][]byte{ma, ea, mab} {
		if bytes.Compare(k, lo) < 0 || bytes.Compare(k, hi) >= 0 {
			t.Fatalf("%s outside its slot range", FormatKey(k))
		}
	}
	lo2, hi2 := dbRange(1)
	if bytes.Compare(ma, lo2) >= 0 && bytes.Compare(ma, hi2) < 0 {
		t.Fatal("db 0 key inside db 1 range")
	}
}

func TestMatch(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{
		{"*", "anything", true}, {"h?llo", "hello", true}, {"h?llo", "hllo", false},
		{"h*llo", "heeeello", true}, {"h[ae]llo", "hallo", true}, {"h[ae]llo", "hillo", false},
		{"h[^e]llo", "hallo", true}, {"h[^e]llo", "hello", false}, {"h[a-b]llo", "hbllo", true},
		{`h\*llo`, "h*llo", true}, {`h\*llo`, "hello", false}, {"user:*", "user:1", true}, {"", "", true},
		{"a*b*c", "aXbYc", true}, {"a*b*c", "aXbY", false},
	}
	for _, c := range cases {
		if got := Match([]byte(c.p), []byte(c.s), false); got != c.want {
			t.Errorf("Match(%q, %q) = %v", c.p, c.s, got)
		}
	}
}

// TestMatch_Pathological holds the patterns of Redis's "long nested
// loops" regressions: each must answer at once, not in exponential time.
func TestMatch_Pathological(t *testing.T) {
	cases := []struct {
		p, s string
		want bool
	}{
		{"a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", strings.Repeat("a", 40), false},
		{strings.Repeat("*?", 50000), strings.Repeat("a", 50000), false},
		{"*a*b*c*d*e*f*g*h*i*j*k*l*m*n*o*p*z", strings.Repeat("abcdefghijklmnop", 8), false},
		{"a*a*a*a*a*a*a*a*b", strings.Repeat("a", 30) + "b", true},
		{"*x*y", "axbxcy", true}, {"*x*y", "axbxc", false}, {"*?", "", false}, {"*", "", true},
	}
	for _, c := range cases {
		start := time.Now()
		if got := Match([]byte(c.p), []byte(c.s), false); got != c.want {
			t.Errorf("Match(%.20q, %.20q) = %v", c.p, c.s, got)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("Match(%.20q, %.20q) took %v", c.p, c.s, d)
		}
	}
}

func FuzzDecodeKey(f *testing.F) {
	f.Add(metaKey(0, []byte("k")))
	f.Add(elemKey(elemPrefix(1, []byte("hash")), []byte("f")))
	f.Add(expireKey(99, 0, []byte("x")))
	f.Add([]byte{nsData, 0, 0, 0, 0, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, k []byte) {
		d, err := DecodeKey(k)
		_ = FormatKey(k)
		if err != nil || d.NS != nsData {
			return
		}
		// Re-encoding a decoded data key gives the same bytes.
		var re []byte
		if d.Elem {
			re = elemKey(append(appendDataPrefix(nil, d.DB, d.Slot, d.Key), markElem), d.Sub)
		} else {
			re = append(appendDataPrefix(nil, d.DB, d.Slot, d.Key), markMeta)
		}
		if !bytes.Equal(re, k) && canonicalVarint(k) {
			t.Fatalf("round trip %x -> %x", k, re)
		}
	})
}

// canonicalVarint reports whether the length varint in k is minimally
// encoded (a non-minimal one decodes but re-encodes shorter).
func canonicalVarint(k []byte) bool {
	for i := 5; i < len(k); i++ {
		if k[i]&0x80 == 0 {
			return !(i > 5 && k[i] == 0)
		}
	}
	return false
}
