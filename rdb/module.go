package rdb

import "fmt"

// Module values (type 7, RDB 8+) and module AUX data (opcode 247) are
// self-describing: after the module ID comes a sequence of typed items,
// each an opcode (an RDB length) and its value, ending with opcode 0.
// cobble runs no modules, so the decoder reads past them; type 6 (Redis
// 4.0 release candidates) is opaque and cannot be skipped.

// Module item opcodes. Persisted.
const (
	modOpEOF    = 0
	modOpSInt   = 1
	modOpUInt   = 2
	modOpFloat  = 3
	modOpDouble = 4
	modOpString = 5
)

// moduleSkipped is the type name Handler.Skipped and Summary.Skipped use.
const moduleSkipped = "module"

// moduleTypeName returns the 9-character module type name packed in the
// top 54 bits of a module ID (the low 10 bits are the encoding version).
func moduleTypeName(id uint64) string {
	const charset = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var name [9]byte
	id >>= 10
	for i := 8; i >= 0; i-- {
		name[i] = charset[id&63]
		id >>= 6
	}
	return string(name[:])
}

// skipModuleItems reads module items up to and including the EOF opcode.
func (d *decoder) skipModuleItems() error {
	for {
		at := d.r.off()
		op, err := d.r.readCount("module item opcode")
		if err != nil {
			return err
		}
		switch op {
		case modOpEOF:
			return nil
		case modOpSInt, modOpUInt:
			if _, err := d.r.readCount("module integer"); err != nil {
				return err
			}
		case modOpFloat:
			err = d.r.skip(4)
		case modOpDouble:
			err = d.r.skip(8)
		case modOpString:
			err = d.r.skipString()
		default:
			return &Error{Offset: at, Kind: ErrCorrupt, Msg: fmt.Sprintf("unknown module item opcode %d", op)}
		}
		if err != nil {
			return err
		}
	}
}

// skipModuleValue reads past a type 7 value.
func (d *decoder) skipModuleValue() (objectKind, string, error) {
	id, err := d.r.readCount("module id")
	if err != nil {
		return 0, "", err
	}
	if !d.opts.SkipUnsupported {
		return 0, "", d.r.errorf(ErrUnsupported, "value of module type %s: cobble runs no modules (DecodeOptions.SkipUnsupported skips them)", moduleTypeName(id))
	}
	if err := d.skipModuleItems(); err != nil {
		return 0, "", err
	}
	return kindSkipped, moduleSkipped, nil
}

// skipModuleAux reads past a MODULE_AUX record: module ID, the "when"
// field (a UINT item), then the module's items.
func (d *decoder) skipModuleAux() error {
	id, err := d.r.readCount("module id")
	if err != nil {
		return err
	}
	at := d.r.off()
	op, err := d.r.readCount("module aux when opcode")
	if err != nil {
		return err
	}
	if op != modOpUInt {
		return &Error{Offset: at, Kind: ErrCorrupt, Msg: fmt.Sprintf("module aux 'when' opcode %d, want %d", op, modOpUInt)}
	}
	if _, err := d.r.readCount("module aux when"); err != nil {
		return err
	}
	if err := d.skipModuleItems(); err != nil {
		return err
	}
	d.sum.ModuleAux++
	d.warn(fmt.Sprintf("skipped AUX data of module type %s", moduleTypeName(id)))
	return nil
}

// skipKeyMeta reads past the key metadata record of RDB 13 (Redis 8.x),
// which precedes a key's type byte: a class count, then per class a 4-byte
// class spec and module items.
func (d *decoder) skipKeyMeta() error {
	at := d.r.off()
	n, err := d.r.readCount("key metadata class count")
	if err != nil {
		return err
	}
	if n > 64 {
		return &Error{Offset: at, Kind: ErrCorrupt, Msg: fmt.Sprintf("key metadata with %d classes", n)}
	}
	for i := uint64(0); i < n; i++ {
		if err := d.r.skip(4); err != nil {
			return err
		}
		if err := d.skipModuleItems(); err != nil {
			return err
		}
	}
	d.warn("skipped key metadata (module metadata classes)")
	return nil
}
