// Package engine owns the keyspace: Pebble with a slot-prefixed key
// encoding, the data types, the expiry index, per-slot key counts and scans.
// It knows nothing of sockets, RESP or replication.
//
// # Key encoding (the only description; keys.go is the only codec)
//
//	user data : 'd' <db:2 BE> <slot:2 BE> <uvarint len(key)> <key> 0x00            → metadata
//	            'd' <db:2 BE> <slot:2 BE> <uvarint len(key)> <key> 0x01 <sub>      → an element
//	expiry    : 'e' <expire-at ms:8 BE> <db:2 BE> <slot:2 BE> <key>                 → (empty)
//	internal  : 'm' "applied"                   → log offset the state reflects (8 BE)
//	            'm' "format"                    → on-disk format version (8 BE)
//	            'm' "dbmap"                     → logical→physical db ids, 2 BE each (SWAPDB)
//	            'm' "count/" <db:2> <slot:2>    → keys in that slot (8 BE)
//	            'm' "expires/" <db:2>           → keys with a TTL in that db (8 BE)
//
// Properties the tests check: everything of one (db, slot) is one
// contiguous range (so a slot is counted, moved or deleted as a range);
// a key's metadata sorts before its elements and 0x02 after the key bounds
// all of them; the length prefix keeps a key that prefixes another from
// interleaving with it. The slot is CRC16(key or {hashtag}) mod 16384 in
// standalone mode too, so a standalone node's data can join a cluster.
//
// The metadata value is described on Meta (type byte with an expire flag,
// optional expire-at, then the inline string value or the collection size /
// list bounds). Deleting a collection is one range delete of its elements.
//
// Element records (<sub> above) of lists and sorted sets, detailed in
// list.go and zset.go:
//
//	list : <index:8 BE>                       → element; index in [Meta.Head, Meta.Tail)
//	zset : 'm' <member>                       → score (IEEE 754 bits, 8 BE)
//	       's' <score:8, order-preserving> <member> → (empty): the score index
//
// # Concurrency
//
// Reads run on any goroutine through read Txns; one goroutine (the server's
// executor) writes through a write Txn: an indexed batch, so a command sees
// the effects of the ones before it in the same group. Commit writes the
// per-slot counts and the applied log offset in the same batch, so the
// persisted state always says which log offset it reflects. Pebble's WAL is
// off: the log is the source of durability, and after a crash the server
// replays the log from AppliedOffset.
package engine
