package rdb

import "strconv"

// Type is the kind of value an Entry holds: one of the five data types
// cobble stores, whatever encoding the RDB file used for it.
type Type uint8

// The data types an Entry can hold.
const (
	TypeString Type = iota + 1
	TypeList
	TypeSet
	TypeZSet
	TypeHash
)

var typeNames = [...]string{TypeString: "string", TypeList: "list", TypeSet: "set", TypeZSet: "zset", TypeHash: "hash"}

// String returns the name TYPE would reply with ("string", "list", …).
func (t Type) String() string {
	if int(t) < len(typeNames) && typeNames[t] != "" {
		return typeNames[t]
	}
	return "type(" + strconv.Itoa(int(t)) + ")"
}

// ObjectType is the one-byte value type of an RDB key (RDB_TYPE_* in Redis).
// It says both the data type and how the value is encoded.
// Persisted: these numbers are the RDB format.
type ObjectType uint8

// The RDB value types. Types 22–25 mean different things in Valkey files
// (magic "VALKEY", version 80 and later): there 22 is a hash with field
// expiry times and 23 a path hash.
const (
	ObjString            ObjectType = 0
	ObjList              ObjectType = 1
	ObjSet               ObjectType = 2
	ObjZSet              ObjectType = 3 // scores as strings (RDB < 8)
	ObjHash              ObjectType = 4
	ObjZSet2             ObjectType = 5 // scores as binary doubles
	ObjModulePreGA       ObjectType = 6
	ObjModule2           ObjectType = 7
	ObjHashZipmap        ObjectType = 9
	ObjListZiplist       ObjectType = 10
	ObjSetIntset         ObjectType = 11
	ObjZSetZiplist       ObjectType = 12
	ObjHashZiplist       ObjectType = 13
	ObjListQuicklist     ObjectType = 14
	ObjStreamListpacks   ObjectType = 15
	ObjHashListpack      ObjectType = 16
	ObjZSetListpack      ObjectType = 17
	ObjListQuicklist2    ObjectType = 18
	ObjStreamListpacks2  ObjectType = 19
	ObjSetListpack       ObjectType = 20
	ObjStreamListpacks3  ObjectType = 21
	ObjHashMetadataPreGA ObjectType = 22 // Redis 7.4 release candidates
	ObjHashListpackExPre ObjectType = 23 // Redis 7.4 release candidates
	ObjHashMetadata      ObjectType = 24 // hash with field TTLs (Redis 7.4+)
	ObjHashListpackEx    ObjectType = 25 // listpack hash with field TTLs (Redis 7.4+)
	ObjStreamListpacks4  ObjectType = 26 // RDB 13; layout not read
	ObjStreamListpacks5  ObjectType = 27 // RDB 13+; layout not read
)

var objectTypeNames = map[ObjectType]string{
	ObjString: "string", ObjList: "list", ObjSet: "set", ObjZSet: "zset", ObjHash: "hash",
	ObjZSet2: "zset2", ObjModulePreGA: "module_pre_ga", ObjModule2: "module2",
	ObjHashZipmap: "hash_zipmap", ObjListZiplist: "list_ziplist", ObjSetIntset: "set_intset",
	ObjZSetZiplist: "zset_ziplist", ObjHashZiplist: "hash_ziplist", ObjListQuicklist: "list_quicklist",
	ObjStreamListpacks: "stream_listpacks", ObjHashListpack: "hash_listpack", ObjZSetListpack: "zset_listpack",
	ObjListQuicklist2: "list_quicklist_2", ObjStreamListpacks2: "stream_listpacks_2", ObjSetListpack: "set_listpack",
	ObjStreamListpacks3: "stream_listpacks_3", ObjHashMetadataPreGA: "hash_metadata_pre_ga",
	ObjHashListpackExPre: "hash_listpack_ex_pre_ga", ObjHashMetadata: "hash_metadata",
	ObjHashListpackEx: "hash_listpack_ex", ObjStreamListpacks4: "stream_listpacks_4",
	ObjStreamListpacks5: "stream_listpacks_5",
}

// String returns the type's name as Redis's sources spell it, lower case
// without the RDB_TYPE_ prefix ("hash_listpack", "list_quicklist_2", …).
func (t ObjectType) String() string {
	if n, ok := objectTypeNames[t]; ok {
		return n
	}
	return "type_" + strconv.Itoa(int(t))
}

// valkeyHash2 is type 22 in a Valkey (RDB 80+) file: a hash whose fields
// each carry an expiry time. valkeyPathHash is type 23 there.
const (
	valkeyHash2    ObjectType = 22
	valkeyPathHash ObjectType = 23
)

// ZMember is one member of a sorted set.
type ZMember struct {
	Member []byte
	Score  float64
}

// Entry is one key and its value. Exactly one of String, List, Set, Hash and
// ZSet is set, as Type says.
//
// NB: Decode reuses an Entry and the memory behind its slices for the next
// key. A Handler that keeps anything past its Entry call must copy it
// (Clone does).
type Entry struct {
	DB         int
	Key        []byte
	Type       Type
	ExpireAtMs int64 // absolute Unix time in ms; 0 means no expiry (Decode reports a time at or before 1970 as 1)
	IdleSec    int64 // LRU idle time in seconds; -1 when unknown
	Freq       int   // LFU counter (0–255); -1 when unknown

	String []byte
	List   [][]byte
	Set    [][]byte
	Hash   [][2][]byte // field, value
	ZSet   []ZMember

	// HashExpireAtMs holds per-field expiry times (Redis 7.4 HPEXPIRE, Valkey
	// 9): nil when no field has one, else parallel to Hash with 0 for a field
	// without expiry. Fields whose time has passed are still reported.
	HashExpireAtMs []int64

	// Encoding is the RDB value type the key was read from (Decode and
	// ParseDumpPayload set it; the Encoder ignores it).
	Encoding ObjectType
}

// Len returns the number of elements of a collection, or 1 for a string.
func (e *Entry) Len() int {
	switch e.Type {
	case TypeList:
		return len(e.List)
	case TypeSet:
		return len(e.Set)
	case TypeHash:
		return len(e.Hash)
	case TypeZSet:
		return len(e.ZSet)
	}
	return 1
}

// Clone returns a deep copy of e that shares no memory with it.
func (e *Entry) Clone() *Entry {
	c := *e
	c.Key = cloneBytes(e.Key)
	c.String = cloneBytes(e.String)
	c.List = cloneList(e.List)
	c.Set = cloneList(e.Set)
	if e.Hash != nil {
		c.Hash = make([][2][]byte, len(e.Hash))
		for i, p := range e.Hash {
			c.Hash[i] = [2][]byte{cloneBytes(p[0]), cloneBytes(p[1])}
		}
	}
	if e.HashExpireAtMs != nil {
		c.HashExpireAtMs = append([]int64(nil), e.HashExpireAtMs...)
	}
	if e.ZSet != nil {
		c.ZSet = make([]ZMember, len(e.ZSet))
		for i, m := range e.ZSet {
			c.ZSet[i] = ZMember{Member: cloneBytes(m.Member), Score: m.Score}
		}
	}
	return &c
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append(make([]byte, 0, len(b)), b...)
}

func cloneList(l [][]byte) [][]byte {
	if l == nil {
		return nil
	}
	c := make([][]byte, len(l))
	for i, b := range l {
		c[i] = cloneBytes(b)
	}
	return c
}
