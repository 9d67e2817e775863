package engine

// SlotCount is the number of hash slots, as in Redis Cluster.
const SlotCount = 16384

var crc16tab = makeCRC16Table()

// makeCRC16Table builds the CRC16-CCITT (XMODEM) table, polynomial 0x1021.
func makeCRC16Table() (tab [256]uint16) {
	for i := range 256 {
		crc := uint16(i) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
		tab[i] = crc
	}
	return tab
}

// CRC16 is the XMODEM CRC16 Redis Cluster hashes keys with.
func CRC16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc = crc<<8 ^ crc16tab[byte(crc>>8)^c]
	}
	return crc
}

// KeySlot returns the hash slot of key: CRC16 of the key, or of the part
// between the first '{' and the next '}' when that part is not empty.
func KeySlot(key []byte) uint16 {
	for i, c := range key {
		if c == '{' {
			for j := i + 1; j < len(key); j++ {
				if key[j] == '}' {
					if j == i+1 {
						return CRC16(key) & (SlotCount - 1)
					}
					return CRC16(key[i+1:j]) & (SlotCount - 1)
				}
			}
			break
		}
	}
	return CRC16(key) & (SlotCount - 1)
}
