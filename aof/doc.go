// Package aof owns cobble's append-only log: the source of durability and
// of replication. The log is the stream of effect commands, RESP-encoded
// exactly as a Redis replica receives them (SET, DEL, PEXPIREAT…, with SELECT
// when the db changes). A log offset is a byte offset in that endless stream:
// offset N is the position after the first N bytes ever appended, whichever
// file holds them now. EndOffset is Redis's master_repl_offset; a replica's
// "PSYNC <replid> <n>" asks for the bytes from log offset n-1 on.
//
// The package knows nothing of data types or command semantics. It treats its
// content as RESP commands only to validate it (Open, Append) and to replay
// it (Replay, Parser).
//
// # On disk
//
// Options.Dir (e.g. <dir>/appendonlydir) holds segment files named
//
//	<BaseName>.<start offset, 20 decimal digits>.seg
//	appendonly.aof.00000000000000000000.seg
//	appendonly.aof.00000000000067108925.seg
//
// and a lock file, <BaseName>.lock. Each segment is pure RESP, a sequence of
// "*N\r\n" arrays of "$len\r\n<bytes>\r\n" bulk strings, readable by humans
// and by redis-check-aof-like tools; the file name is the only place its
// start offset is kept. Segments are contiguous: each starts where the
// previous one ends. Only the last, active, segment is written; once it holds
// SegmentSize bytes the next group starts a new one, so a group (one Append)
// never spans two files. A segment is fsynced when sealed, and the directory
// is fsynced whenever a segment is created or removed, so only the active
// segment can hold unsynced bytes.
//
// # Recovery
//
// Open validates every segment fully (at disk read speed: payloads are
// skipped, not scanned) and checks contiguity. A command cut by a crash at
// the very end is a torn tail: with LoadTruncated it is cut off (warn log),
// otherwise Open fails. Zero bytes where the last segment should continue
// count as a torn tail too: a filesystem shows the blocks of a crashed file
// that were allocated but never written as zeros. Anything else invalid — bad syntax, a
// gap between segments, a sealed segment ending inside a command — is
// corruption: Open fails with a *CorruptError (errors.Is ErrCorrupt) naming
// the file and offsets, or with LoadCorrupt truncates the log there,
// dropping every later segment (error log). Options.Events.OnTruncate
// reports either.
//
// # Concurrency
//
// One writer goroutine (the server's executor) calls Append; other methods,
// Readers and Wait are safe from any goroutine. With FsyncEverySec the Log
// owns one goroutine that fsyncs once a second; Close stops it and waits for
// it. An fsync runs without blocking Append, except when a segment is sealed.
//
// Locks, always taken in this order: writeMu (serializes Append, Reset,
// TruncateBefore, Close), syncMu (serializes fsyncs with switching the active
// file), mu (the segment list, offsets, readers; never held during I/O except
// while a Reader opens or closes a segment file).
//
// # Errors
//
// A failed write is returned by Append and reported by LastError until an
// Append succeeds; a failed fsync is permanent until the log is reopened or
// Reset, because after one the OS may have dropped data it reports as
// written. The server refuses writes while LastError is set, as Redis does
// with MISCONF.
package aof
