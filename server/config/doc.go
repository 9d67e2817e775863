// Package config is the only code in cobble that reads redis.conf and the
// cobble-server command line, and it answers CONFIG GET, CONFIG SET and
// CONFIG REWRITE. A user who replaces redis-server with cobble-server keeps
// their redis.conf: every directive of Redis 7 is known, Debian's default
// file loads unchanged, and errors read like Redis's.
//
// # One table
//
// Every directive is one row of a table (table.go): its name and aliases
// (slaveof → replicaof), its kind (yes/no, integer, memory with units like
// 1gb, enum, string, list, or special), its default as CONFIG GET prints it,
// its bounds, whether CONFIG SET may change it, and what cobble does with it
// (Support). The table drives parsing, include, the "Bad directive" error,
// CONFIG GET patterns, CONFIG SET (mutable rows only) and CONFIG REWRITE;
// Config.Table returns it for the documentation.
//
// Support says what a directive does in cobble:
//
//   - Honored: it changes what cobble does (port, appendfsync, maxmemory…).
//   - Accepted: it is read, checked, stored, shown and rewritten, but has no
//     effect, because it tunes a part of Redis that cobble does not have
//     (listpack sizes, lazy freeing, I/O threads, defragmentation…).
//   - NotYet: cobble does not do it yet (replicaof, cluster-enabled yes,
//     unixsocket, TLS, ACL files, rename-command, modules, syslog). Any value
//     other than the default stops the start: Config.Unsupported reports it,
//     as in "cobble does not support 'cluster-enabled yes' yet", and
//     CONFIG SET refuses it. Supporting one later is a change of its row.
//
// # Where cobble differs from Redis
//
//   - dir defaults to ./data, not ./ , and appendonly to yes, not no: the
//     log is cobble's source of truth.
//   - cache-size (memory, 256mb) sizes the storage engine's block cache,
//     row-cache-size (memory, 256mb; 0 = off) the cache of recently used
//     keys' metadata and string values, and
//     aof-load-corrupt (yes/no, no) lets a start drop the log from a corrupt
//     record on, as aof-load-truncated does for a torn tail.
//   - loglevel also accepts nothing, as Redis 7.2 does, and the directives
//     Redis 7.2 and 7.4 added are known.
//   - cobble never changes its working directory. Redis chdir()s into dir,
//     so relative paths in the file mean "under dir": a relative dir starts
//     from the previous one, a relative include from the current dir, and
//     Config.Path resolves logfile, pidfile and the like against dir.
//   - Errors name the file and count lines per file (and options on the
//     command line) where Redis counts lines of everything concatenated.
//   - A memory value too large for an int64 is refused rather than wrapped,
//     and CONFIG SET of a directive and its alias together is a duplicate.
//   - CONFIG GET returns names in a stable order: by pattern, then sorted;
//     notify-keyspace-events keeps n next to A (Redis drops it).
//   - CONFIG REWRITE appends missing lines in table order; writes
//     latency-tracking-info-percentiles only when it is not the default
//     (Redis always does); writes all three client-output-buffer-limit
//     lines when one class changed, so a second rewrite changes nothing;
//     and takes the file's last newline as the end of its last line, where
//     Redis reads one more, empty, line.
//
// # Redis quirks kept on purpose
//
// Lines split like sdssplitargs (quotes, \xHH escapes), a # starts a comment
// only at the start of a line, names are case-insensitive, and the last
// line wins — except save, whose lines add up across the file and the
// command line (the first replaces the default, save "" clears it), and
// client-output-buffer-limit, whose lines each set their class. A
// list-valued directive given one argument splits it again, so
// --save "900 1 300 10" works. CONFIG SET splits list values on single
// spaces. hz is capped to 1…500 rather than refused. CONFIG GET answers
// aliases too.
//
// # Errors
//
// Load and Parse return *FileError (Redis's fatal configuration error,
// naming the file and the line), or an error naming a file that cannot be
// read. Set returns *SetError or ErrSyntax, Rewrite ErrNoConfigFile or an
// error starting "Rewriting config file:". Their texts are Redis's without
// the "ERR " the server puts before them on the wire.
//
// # Concurrency
//
// A Config is safe for concurrent use. Readers take a read lock. Set and
// Rewrite are serialised by a second mutex, taken first, which is held
// while the OnSet hooks run; the hooks see the values before the change
// and must not call Set or Rewrite. New values become visible all at once
// after every hook agreed.
package config
