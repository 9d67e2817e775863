package engine

// GetString returns a string key's value.
func (t *Txn) GetString(db int, key []byte) ([]byte, bool, error) {
	m, ok, err := t.lookupType(db, key, TypeString)
	if err != nil || !ok {
		return nil, false, err
	}
	return m.Value, true, nil
}

// SetOptions says how SetString treats an existing key.
type SetOptions struct {
	ExpireAt int64 // unix ms; 0 = no TTL (unless KeepTTL)
	KeepTTL  bool  // keep an existing TTL
}

// SetString stores a string value, replacing a key of any type. It returns
// the previous metadata (for SET … GET, GETSET) when one existed.
func (t *Txn) SetString(db int, key, val []byte, o SetOptions) (Meta, bool, error) {
	old, exists, err := t.Lookup(db, key)
	if err != nil {
		return Meta{}, false, err
	}
	m := Meta{Type: TypeString, Value: val, ExpireAt: o.ExpireAt}
	if o.KeepTTL && exists {
		m.ExpireAt = old.ExpireAt
	}
	var oldp *Meta
	if exists {
		if old.Type != TypeString {
			// Drop the old collection's elements; the key itself is rewritten.
			if err := t.deleteKey(db, key, &old); err != nil {
				return Meta{}, false, err
			}
		} else {
			oldp = &old
		}
	}
	if err := t.putMeta(db, key, &m, oldp); err != nil {
		return Meta{}, false, err
	}
	t.dirty++
	return old, exists, nil
}
