// Package rdb reads and writes the Redis RDB format: snapshot files
// (dump.rdb, the payload of a full resync) and DUMP/RESTORE payloads.
// It owns the format only; it knows nothing of the network or of how cobble
// stores data, and imports nothing else of the project.
//
// # What it does
//
//   - Decode reads every RDB file Redis writes, versions 1–12, the key
//     metadata record of version 13, and Valkey's own versions 80–81. It
//     streams: a Handler receives one key at a time, so memory is bounded by
//     the largest key, not the file. Strings, lists, sets, sorted sets and
//     hashes come out as an Entry whatever their encoding; streams and module
//     values are skipped and reported (DecodeOptions.SkipUnsupported) or
//     fail the decode, naming the key.
//   - Encoder writes files with plain encodings that Redis 5–8 and Valkey
//     load (version 9 by default).
//   - DumpPayload and ParseDumpPayload convert an Entry to and from the
//     DUMP/RESTORE payload format.
//
// # File layout
//
//	"REDIS" <4-digit version>   (Valkey 9+: "VALKEY" <3-digit version>)
//	then opcodes and keys until EOF:
//	  0xFA AUX          <string key> <string value>
//	  0xFB RESIZEDB     <len keys> <len keys with expiry>
//	  0xFC EXPIRETIME_MS <int64 LE ms>         applies to the next key
//	  0xFD EXPIRETIME   <int32 LE seconds>      applies to the next key
//	  0xFE SELECTDB     <len db>
//	  0xF8 IDLE         <len seconds>           LRU, next key
//	  0xF9 FREQ         <byte>                  LFU, next key
//	  0xF7 MODULE_AUX   <len module id> <items…>  skipped, with a warning
//	  0xF6 FUNCTION     Redis 7.0-rc library   skipped, with a warning
//	  0xF5 FUNCTION2    <string library code>  FunctionHandler
//	  0xF4 SLOT_INFO    <len slot> <len keys> <len expires>  (7.4+ cluster) ignored
//	  0xF3 KEY_META     RDB 13: module metadata of the next key, skipped;
//	                    in Valkey files SLOT_IMPORT, skipped
//	  <type byte> <string key> <value>
//	  0xFF EOF          then, from version 5, the CRC64 (LE) of every byte
//	                    before it; 0 means "not computed"
//
// Lengths use the top two bits of their first byte (6, 14, 32 or 64 bits;
// 11 marks a specially encoded string: an 8, 16 or 32-bit integer or an LZF
// block). Value types and their encodings are listed on ObjectType. Where
// things are: decode.go (the file loop, opcodes, dispatch by type),
// string.go (strings, LZF, memory accounting), plain.go (plain collections,
// hashes with field expiry), ziplist.go, listpack.go, intset.go, zipmap.go
// and quicklist.go (the compact encodings, each described in its file),
// stream.go and module.go (skipped values), encode.go and dump.go (writing),
// reader.go (buffered input, offsets, running CRC64), crc64.go, lzf.go.
//
// # Robustness
//
// Input is untrusted. The decoder never panics and never allocates from a
// declared length alone: lengths are checked against the bytes left when
// the input's size is known (bytes.Reader, os.File, …) and otherwise read
// in chunks, so memory grows only with data actually read; LZF output is
// bounded by the compressed size; every ziplist, listpack, intset and zipmap
// is validated (sizes, headers, back lengths, order, duplicates) before its
// elements are used; DecodeOptions.MaxAlloc caps one key. Errors are *Error
// values with the byte offset, wrapping ErrCorrupt, ErrVersion,
// ErrUnsupported or ErrLimit.
//
// # What is not read
//
// Stream types 26–27 of RDB 13 (IDMP, NACK) and Valkey's path hash (type
// 23 in VALKEY files): their layouts are not published in a form this
// package could verify, and a value cannot be skipped without its layout,
// so they fail with ErrUnsupported. Module values of the 4.0 release
// candidates (type 6) are opaque and fail the same way.
//
// # References
//
// Redis's rdb.c/rdb.h, ziplist.c, listpack.c, intset.c, zipmap.c and
// t_stream.c describe the format; the RDB file format notes of the
// redis-rdb-tools project and librdb (Redis's own RDB parser) describe it
// in prose. Interop is tested against a real redis-server (see the tests).
package rdb
