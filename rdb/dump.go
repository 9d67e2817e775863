package rdb

import (
	"encoding/binary"
	"fmt"
)

// DUMP/RESTORE payloads: <type> <value> <RDB version: u16 LE> <CRC64 LE of
// everything before it>. No key, no expiry (RESTORE takes the TTL as an
// argument).

// DumpVersion is the RDB version DumpPayload writes: 9, the newest Redis 5
// and 6 accept in RESTORE (a Redis refuses payloads newer than its own RDB
// version: 7.0 takes up to 10, 7.2 up to 11, 7.4/8.x up to 12).
const DumpVersion = 9

// DumpPayload returns e's value as a DUMP payload that Redis 5+ and Valkey
// RESTORE. It writes the same encodings as the Encoder at version 9;
// ExpireAtMs, IdleSec and Freq are not part of a payload.
func DumpPayload(e *Entry) ([]byte, error) {
	if err := validateEntry(e, DumpVersion); err != nil {
		return nil, err
	}
	vw := valueWriter{version: DumpVersion, compress: true}
	vw.writeValue(e, false)
	b := binary.LittleEndian.AppendUint16(vw.buf, DumpVersion)
	return binary.LittleEndian.AppendUint64(b, CRC64(b)), nil
}

// ParseDumpPayload decodes a DUMP payload of RDB version 1–13 (Redis) or
// 80–81 (Valkey), after checking its CRC64. It returns ErrChecksum for a
// bad checksum, ErrVersion for an unknown version, ErrUnsupported for a
// stream or module value, and ErrCorrupt otherwise. The Entry shares no
// memory with b. DB, Key, ExpireAtMs are left zero and IdleSec, Freq -1.
func ParseDumpPayload(b []byte) (*Entry, error) {
	if len(b) < 11 {
		return nil, &Error{Offset: 0, Kind: ErrCorrupt, Msg: fmt.Sprintf("DUMP payload of %d bytes is too short", len(b))}
	}
	body, footer := b[:len(b)-10], b[len(b)-10:]
	version := int(binary.LittleEndian.Uint16(footer))
	valkey := version >= minValkeyVersion
	if version < 1 || (version > maxRedisVersion && !valkey) || version > maxValkeyVersion {
		return nil, &Error{Offset: int64(len(body)), Kind: ErrVersion, Msg: fmt.Sprintf("DUMP payload of RDB version %d is not supported", version)}
	}
	if got, want := binary.LittleEndian.Uint64(footer[2:]), CRC64(b[:len(b)-8]); got != want {
		return nil, &Error{Offset: int64(len(b) - 8), Kind: ErrChecksum,
			Msg: fmt.Sprintf("DUMP payload checksum mismatch: payload says %016x, data gives %016x", got, want)}
	}
	d := newDecoder(newBytesReader(body), DecodeOptions{})
	d.version, d.valkey = version, valkey
	t, err := d.r.byte1()
	if err != nil {
		return nil, err
	}
	if t == opKeyMeta && !valkey && version >= 13 {
		if err := d.skipKeyMeta(); err != nil {
			return nil, err
		}
		if t, err = d.r.byte1(); err != nil {
			return nil, err
		}
	}
	if !d.knownType(ObjectType(t)) {
		return nil, d.unknownType(0, ObjectType(t))
	}
	kind, _, err := d.readValue(ObjectType(t))
	if err != nil {
		return nil, err
	}
	if kind == kindEmpty {
		return nil, &Error{Offset: d.r.off(), Kind: ErrCorrupt, Msg: "DUMP payload holds an empty collection"}
	}
	if d.r.off() != int64(len(body)) {
		return nil, &Error{Offset: d.r.off(), Kind: ErrCorrupt, Msg: fmt.Sprintf("%d bytes of garbage after the value", int64(len(body))-d.r.off())}
	}
	d.e.Encoding, d.e.IdleSec, d.e.Freq = ObjectType(t), -1, -1
	return d.e.Clone(), nil
}
