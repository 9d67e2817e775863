package rdb

import "hash/crc64"

// CRC-64/Jones as Redis computes it (crc64.c): reflected polynomial
// 0x95ac9329ac4bc9b5, initial value 0 and no final xor. The standard
// library's crc64 uses ~0 for both, so inverting around it gives Redis's
// value at the library's speed. Check value: crc64Update(0, "123456789") is
// 0xe9c6d914c4b8d9ca.
var jonesTable = crc64.MakeTable(0x95ac9329ac4bc9b5)

// crc64Update continues a Redis CRC64 over p.
func crc64Update(crc uint64, p []byte) uint64 {
	return ^crc64.Update(^crc, jonesTable, p)
}

// CRC64 returns Redis's CRC64 of p: the checksum at the end of an RDB file
// (of every byte before it) and of a DUMP payload.
func CRC64(p []byte) uint64 {
	return crc64Update(0, p)
}
