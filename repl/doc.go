// Package repl is master–replica replication with Redis's PSYNC2 protocol.
//
// The replica side (Link) connects to a master — cobble or real Redis —
// runs the handshake (PING, AUTH, REPLCONF listening-port/capa, PSYNC),
// receives a full resync's RDB or continues a partial one, then applies
// the command stream. It never touches the keyspace itself: the server
// implements Applier, loading the RDB beside the live data set (so no
// client ever sees it half loaded) and applying the stream through its
// executor and its own log, byte for byte, so the replica's offsets are
// the master's and chained replicas and promotions work.
//
// The master side (Feed) streams the log to a replica from an offset and
// collects its REPLCONF ACKs. The backlog is the log on disk (package
// aof): a PSYNC can continue whenever its offset is still in the log.
//
// Offsets: a log offset is the number of stream bytes before a point, so
// master_repl_offset is the log's end and a replica asking PSYNC for
// offset N (Redis's 1-based "next byte") is served from log offset N-1.
//
// Concurrency: a Link owns one goroutine (plus a short-lived ACK ticker)
// started by Start and stopped by Stop, which waits for it. A Feed runs on
// the caller's goroutine plus one reader goroutine it waits for.
package repl
