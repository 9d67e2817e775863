package rdb

// Streams are not stored by cobble: the decoder reads past them, checking
// only that the structure is complete, and reports the key as skipped.
//
// Layout (types 15, 19 = _2, 21 = _3):
//
//	<listpack count> (<master ID: 16-byte string> <listpack string>)...
//	<length> <last ID ms> <last ID seq>
//	_2+: <first ID ms> <first ID seq> <max deleted ms> <max deleted seq> <entries added>
//	<group count>, per group:
//	    <name> <last delivered ms> <seq>  _2+: <entries read>
//	    <PEL count> (<16-byte raw ID> <delivery time: 8 bytes> <delivery count>)...
//	    <consumer count>, per consumer:
//	        <name> <seen time: 8 bytes>  _3+: <active time: 8 bytes>
//	        <PEL count> (<16-byte raw ID>)...
//
// Counts and IDs are RDB lengths. Types 26 and 27 (RDB 13) add fields whose
// layout is not public in a form this package could check, so they are
// reported as unsupported rather than guessed at.

// streamSkipped is the type name Handler.Skipped and Summary.Skipped use.
const streamSkipped = "stream"

func (d *decoder) skipStream(t ObjectType) (objectKind, string, error) {
	if !d.opts.SkipUnsupported {
		return 0, "", d.r.errorf(ErrUnsupported, "cobble does not store streams (DecodeOptions.SkipUnsupported skips them)")
	}
	r := d.r
	lens := func(what string, n int) error {
		for i := 0; i < n; i++ {
			if _, err := r.readCount(what); err != nil {
				return err
			}
		}
		return nil
	}
	nodes, err := r.readCount("stream listpack count")
	if err != nil {
		return 0, "", err
	}
	for i := uint64(0); i < nodes; i++ {
		h, err := r.readStringHeader()
		if err != nil {
			return 0, "", err
		}
		if h.kind != strRaw || h.n != 16 {
			return 0, "", r.corruptf("stream node key is not a 16-byte stream ID")
		}
		if err := r.skip(16); err != nil {
			return 0, "", err
		}
		if err := r.skipString(); err != nil {
			return 0, "", err
		}
	}
	meta := 3
	if t >= ObjStreamListpacks2 {
		meta += 5
	}
	if err := lens("stream metadata", meta); err != nil {
		return 0, "", err
	}
	groups, err := r.readCount("stream group count")
	if err != nil {
		return 0, "", err
	}
	for g := uint64(0); g < groups; g++ {
		if err := r.skipString(); err != nil {
			return 0, "", err
		}
		n := 2
		if t >= ObjStreamListpacks2 {
			n = 3
		}
		if err := lens("stream group id", n); err != nil {
			return 0, "", err
		}
		pel, err := r.readCount("stream PEL size")
		if err != nil {
			return 0, "", err
		}
		for i := uint64(0); i < pel; i++ {
			if err := r.skip(16 + 8); err != nil {
				return 0, "", err
			}
			if _, err := r.readCount("stream delivery count"); err != nil {
				return 0, "", err
			}
		}
		consumers, err := r.readCount("stream consumer count")
		if err != nil {
			return 0, "", err
		}
		for c := uint64(0); c < consumers; c++ {
			if err := r.skipString(); err != nil {
				return 0, "", err
			}
			times := uint64(8)
			if t >= ObjStreamListpacks3 {
				times = 16
			}
			if err := r.skip(times); err != nil {
				return 0, "", err
			}
			cpel, err := r.readCount("stream consumer PEL size")
			if err != nil {
				return 0, "", err
			}
			if cpel > (1<<63)/16 {
				return 0, "", r.corruptf("stream consumer PEL size %d", cpel)
			}
			if err := r.skip(16 * cpel); err != nil {
				return 0, "", err
			}
		}
	}
	return kindSkipped, streamSkipped, nil
}
