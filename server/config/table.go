package config

import "math"

// Bounds written the way Redis declares them (INT_MAX, LONG_MAX…).
const (
	maxInt  = math.MaxInt32
	minInt  = math.MinInt32
	maxUint = math.MaxUint32
	maxLong = math.MaxInt64
)

// Values shared by several enums.
var (
	protectedAction = []string{"no", "yes", "local"}
)

// table is every directive cobble reads, in the order of the sections of
// Redis's redis.conf. CONFIG REWRITE appends new lines in this order.
//
// Names, aliases, defaults, bounds, enums and mutability follow Redis 7.0
// (plus the directives Redis 7.2 and 7.4 added, so newer files load too);
// the tests compare them with a real redis-server when one is installed.
var table = newIndex([]*Directive{
	// Network.
	{Name: "bind", Kind: Strings, Default: "* -::*", Mutable: true, Support: Honored, multi: true, check: checkBind,
		Doc: "Addresses to listen on; '*' is every IPv4 address, '::*' every IPv6 one, and a leading '-' makes an address optional."},
	{Name: "bind-source-addr", Kind: String, Mutable: true, Support: Accepted,
		Doc: "Source address of outgoing connections to a master."},
	{Name: "protected-mode", Kind: Bool, Default: "yes", Mutable: true, Support: Honored,
		Doc: "Without a password and without bind, refuse clients that are not on the loopback interface."},
	{Name: "enable-protected-configs", Kind: Enum, Default: "no", Enum: protectedAction, Support: Honored,
		Doc: "Whether CONFIG SET may change dir and dbfilename: no, yes, or local (only from the loopback interface)."},
	{Name: "enable-debug-command", Kind: Enum, Default: "no", Enum: protectedAction, Support: Honored,
		Doc: "Whether DEBUG may be used: no, yes, or local (only from the loopback interface)."},
	{Name: "enable-module-command", Kind: Enum, Default: "no", Enum: protectedAction, Support: Accepted,
		Doc: "Whether MODULE may be used; cobble has no modules."},
	{Name: "port", Kind: Int, Default: "6379", Min: 0, Max: 65535, Mutable: true, Support: Honored,
		Doc: "TCP port for clients; 0 does not listen on TCP."},
	{Name: "tcp-backlog", Kind: Int, Default: "511", Min: 0, Max: maxInt, Support: Honored,
		Doc: "Length of the queue of connections not yet accepted."},
	{Name: "unixsocket", Kind: String, Support: NotYet,
		Doc: "Path of a Unix socket to listen on."},
	{Name: "unixsocketperm", Kind: Special, Default: "0", Min: 0, Max: 0o777, Support: Accepted, parse: parseOctal, lines: octalLines,
		Doc: "Permissions of the Unix socket, in octal."},
	{Name: "timeout", Kind: Int, Default: "0", Min: 0, Max: maxInt, Mutable: true, Support: Honored,
		Doc: "Close a client connection idle for this many seconds; 0 never does."},
	{Name: "tcp-keepalive", Kind: Int, Default: "300", Min: 0, Max: maxInt, Mutable: true, Support: Honored,
		Doc: "TCP keepalive period of client connections, in seconds; 0 turns it off."},
	{Name: "socket-mark-id", Kind: Int, Default: "0", Min: 0, Max: maxUint, Support: Accepted,
		Doc: "Mark set on listening sockets for routing (SO_MARK)."},

	// TLS. cobble does not speak TLS yet: the settings that turn it on stop the start.
	{Name: "tls-port", Kind: Int, Default: "0", Min: 0, Max: 65535, Mutable: true, Support: NotYet,
		Doc: "TCP port for TLS clients."},
	{Name: "tls-cert-file", Kind: String, Mutable: true, Support: Accepted, Doc: "Server certificate (PEM)."},
	{Name: "tls-key-file", Kind: String, Mutable: true, Support: Accepted, Doc: "Server private key (PEM)."},
	{Name: "tls-key-file-pass", Kind: String, Mutable: true, Sensitive: true, Support: Accepted, Doc: "Passphrase of tls-key-file."},
	{Name: "tls-client-cert-file", Kind: String, Mutable: true, Support: Accepted, Doc: "Client certificate for outgoing connections."},
	{Name: "tls-client-key-file", Kind: String, Mutable: true, Support: Accepted, Doc: "Private key of tls-client-cert-file."},
	{Name: "tls-client-key-file-pass", Kind: String, Mutable: true, Sensitive: true, Support: Accepted, Doc: "Passphrase of tls-client-key-file."},
	{Name: "tls-dh-params-file", Kind: String, Mutable: true, Support: Accepted, Doc: "Diffie-Hellman parameters."},
	{Name: "tls-ca-cert-file", Kind: String, Mutable: true, Support: Accepted, Doc: "CA certificates to trust (file)."},
	{Name: "tls-ca-cert-dir", Kind: String, Mutable: true, Support: Accepted, Doc: "CA certificates to trust (directory)."},
	{Name: "tls-auth-clients", Kind: Enum, Default: "yes", Enum: []string{"no", "yes", "optional"}, Mutable: true, Support: Accepted,
		Doc: "Whether TLS clients must present a certificate."},
	{Name: "tls-replication", Kind: Bool, Default: "no", Mutable: true, Support: NotYet, Doc: "Use TLS for replication links."},
	{Name: "tls-cluster", Kind: Bool, Default: "no", Mutable: true, Support: NotYet, Doc: "Use TLS on the cluster bus."},
	{Name: "tls-protocols", Kind: String, Mutable: true, Support: Accepted, Doc: "TLS protocol versions to allow."},
	{Name: "tls-ciphers", Kind: String, Mutable: true, Support: Accepted, Doc: "TLS 1.2 cipher list."},
	{Name: "tls-ciphersuites", Kind: String, Mutable: true, Support: Accepted, Doc: "TLS 1.3 cipher suites."},
	{Name: "tls-prefer-server-ciphers", Kind: Bool, Default: "no", Mutable: true, Support: Accepted, Doc: "Prefer the server's cipher order."},
	{Name: "tls-session-caching", Kind: Bool, Default: "yes", Mutable: true, Support: Accepted, Doc: "Cache TLS sessions for resumption."},
	{Name: "tls-session-cache-size", Kind: Int, Default: "20480", Min: 0, Max: maxInt, Mutable: true, Support: Accepted, Doc: "Number of cached TLS sessions."},
	{Name: "tls-session-cache-timeout", Kind: Int, Default: "300", Min: 0, Max: maxInt, Mutable: true, Support: Accepted, Doc: "Lifetime of a cached TLS session, in seconds."},

	// General.
	{Name: "daemonize", Kind: Bool, Default: "no", Support: Honored,
		Doc: "Run in the background, detached from the terminal."},
	{Name: "supervised", Kind: Enum, Default: "no", Enum: []string{"upstart", "systemd", "auto", "no"}, Support: Honored,
		Doc: "Tell a supervisor when the server is ready (systemd: READY=1 on NOTIFY_SOCKET)."},
	{Name: "pidfile", Kind: String, Support: Honored,
		Doc: "File to write the process id to; relative to dir."},
	{Name: "loglevel", Kind: Enum, Default: "notice", Enum: []string{"debug", "verbose", "notice", "warning", "nothing"}, Mutable: true, Support: Honored,
		Doc: "Least important log messages to write."},
	{Name: "logfile", Kind: String, Support: Honored,
		Doc: "Log file, relative to dir; empty logs to standard output."},
	{Name: "syslog-enabled", Kind: Bool, Default: "no", Support: NotYet,
		Doc: "Log to syslog."},
	{Name: "syslog-ident", Kind: String, Default: "redis", Support: Accepted, Doc: "Syslog identity."},
	{Name: "syslog-facility", Kind: Enum, Default: "local0", Enum: []string{"user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}, Support: Accepted,
		Doc: "Syslog facility."},
	{Name: "crash-log-enabled", Kind: Bool, Default: "yes", Mutable: true, Support: Accepted, Doc: "Write a crash report on fatal signals."},
	{Name: "crash-memcheck-enabled", Kind: Bool, Default: "yes", Mutable: true, Support: Accepted, Doc: "Test memory after a crash."},
	{Name: "databases", Kind: Int, Default: "16", Min: 1, Max: maxInt, Support: Honored,
		Doc: "Number of databases (SELECT 0 to databases-1)."},
	{Name: "always-show-logo", Kind: Bool, Default: "no", Support: Accepted, Doc: "Print the ASCII logo at start."},
	{Name: "set-proc-title", Kind: Bool, Default: "yes", Support: Accepted, Doc: "Change the process title shown by ps."},
	{Name: "proc-title-template", Kind: String, Default: "{title} {listen-addr} {server-mode}", Mutable: true, Support: Accepted, check: checkProcTitle,
		Doc: "Template of the process title."},
	{Name: "locale-collate", Kind: String, Mutable: true, Support: Accepted, Doc: "Locale used to sort strings (SORT ALPHA)."},

	// Snapshotting.
	{Name: "save", Kind: Special, Default: "3600 1 300 100 60 10000", Mutable: true, Support: Honored, multi: true, parse: parseSave, lines: saveLines,
		Doc: "Write an RDB snapshot after <seconds> if at least <changes> writes happened; save \"\" turns it off."},
	{Name: "stop-writes-on-bgsave-error", Kind: Bool, Default: "yes", Mutable: true, Support: Accepted, Doc: "Refuse writes after a failed background save."},
	{Name: "rdbcompression", Kind: Bool, Default: "yes", Mutable: true, Support: Accepted, Doc: "Compress strings in RDB files with LZF."},
	{Name: "rdbchecksum", Kind: Bool, Default: "yes", Support: Accepted, Doc: "End RDB files with a CRC64 checksum."},
	{Name: "sanitize-dump-payload", Kind: Enum, Default: "no", Enum: []string{"no", "yes", "clients"}, Mutable: true, Support: Accepted,
		Doc: "Deep checks of RESTORE payloads."},
	{Name: "dbfilename", Kind: String, Default: "dump.rdb", Mutable: true, Protected: true, Support: Honored, check: checkBaseName("dbfilename can't be a path, just a filename", ""),
		Doc: "Name of the RDB file, in dir."},
	{Name: "rdb-del-sync-files", Kind: Bool, Default: "no", Mutable: true, Support: Accepted, Doc: "Delete RDB files used only for replication."},
	{Name: "dir", Kind: Special, Default: "./data", Mutable: true, Protected: true, Support: Honored, parse: parseDir, lines: dirLines,
		Doc: "Data directory; CONFIG GET shows it as an absolute path. cobble's default is ./data where Redis's is ./ ."},

	// Replication.
	{Name: "replicaof", Aliases: []string{"slaveof"}, Kind: Special, Support: Honored, multi: true, parse: parseReplicaof, lines: replicaofLines,
		Doc: "Replicate the master at <host> <port>; 'no one' means none."},
	{Name: "masterauth", Kind: String, Mutable: true, Sensitive: true, Support: Honored, Doc: "Password to authenticate to the master."},
	{Name: "masteruser", Kind: String, Mutable: true, Sensitive: true, Support: Honored, Doc: "User name to authenticate to the master."},
	{Name: "replica-serve-stale-data", Aliases: []string{"slave-serve-stale-data"}, Kind: Bool, Default: "yes", Mutable: true, Support: Honored,
		Doc: "Serve reads while the link to the master is down or syncing."},
	{Name: "replica-read-only", Aliases: []string{"slave-read-only"}, Kind: Bool, Default: "yes", Mutable: true, Support: Honored,
		Doc: "Refuse writes from clients on a replica."},
	{Name: "repl-diskless-sync", Kind: Bool, Default: "yes", Mutable: true, Support: Accepted, Doc: "Stream full syncs without a file; cobble always does."},
	{Name: "repl-diskless-sync-delay", Kind: Int, Default: "5", Min: 0, Max: maxInt, Mutable: true, Support: Accepted, Doc: "Seconds to wait for more replicas before a diskless sync."},
	{Name: "repl-diskless-sync-max-replicas", Kind: Int, Default: "0", Min: 0, Max: maxInt, Mutable: true, Support: Accepted, Doc: "Start a diskless sync early once this many replicas wait."},
	{Name: "repl-diskless-load", Kind: Enum, Default: "disabled", Enum: []string{"disabled", "on-empty-db", "swapdb"}, Mutable: true, Support: Accepted,
		Doc: "How a replica loads a full sync."},
	{Name: "repl-ping-replica-period", Aliases: []string{"repl-ping-slave-period"}, Kind: Int, Default: "10", Min: 1, Max: maxInt, Mutable: true, Support: Honored,
		Doc: "Seconds between PINGs from a master to its replicas."},
	{Name: "repl-timeout", Kind: Int, Default: "60", Min: 1, Max: maxInt, Mutable: true, Support: Honored,
		Doc: "Seconds without traffic before a replication link is dropped."},
	{Name: "repl-disable-tcp-nodelay", Kind: Bool, Default: "no", Mutable: true, Support: Accepted, Doc: "Batch small packets to replicas."},
	{Name: "repl-backlog-size", Kind: Memory, Default: "1048576", Min: 1, Max: maxLong, Mutable: true, Support: Honored,
		Doc: "Log kept on disk for partial resyncs, at least; cobble keeps its log segments until this much follows them."},
	{Name: "repl-backlog-ttl", Kind: Int, Default: "3600", Min: 0, Max: maxLong, Mutable: true, Support: Accepted, Doc: "Seconds to keep the backlog without replicas."},
	{Name: "replica-priority", Aliases: []string{"slave-priority"}, Kind: Int, Default: "100", Min: 0, Max: maxInt, Mutable: true, Support: Honored,
		Doc: "Failover preference of a replica, lower first; 0 never becomes master."},
	{Name: "propagation-error-behavior", Kind: Enum, Default: "ignore", Enum: []string{"ignore", "panic", "panic-on-replicas"}, Mutable: true, Support: Accepted,
		Doc: "What to do when a replicated command fails."},
	{Name: "replica-ignore-disk-write-errors", Kind: Bool, Default: "no", Mutable: true, Support: Accepted, Doc: "Keep replicating when the disk cannot be written."},
	{Name: "replica-announced", Kind: Bool, Default: "yes", Mutable: true, Support: Accepted, Doc: "Whether Sentinel lists this replica."},
	{Name: "min-replicas-to-write", Aliases: []string{"min-slaves-to-write"}, Kind: Int, Default: "0", Min: 0, Max: maxInt, Mutable: true, Support: Honored,
		Doc: "Refuse writes unless this many replicas are connected with a lag of at most min-replicas-max-lag."},
	{Name: "min-replicas-max-lag", Aliases: []string{"min-slaves-max-lag"}, Kind: Int, Default: "10", Min: 0, Max: maxInt, Mutable: true, Support: Honored,
		Doc: "Seconds since a replica's last ACK for it to count towards min-replicas-to-write."},
	{Name: "replica-announce-ip", Aliases: []string{"slave-announce-ip"}, Kind: String, Mutable: true, Support: Honored,
		Doc: "Address a replica reports to its master (behind NAT)."},
	{Name: "replica-announce-port", Aliases: []string{"slave-announce-port"}, Kind: Int, Default: "0", Min: 0, Max: 65535, Mutable: true, Support: Honored,
		Doc: "Port a replica reports to its master; 0 is port."},

	// Keys tracking.
	{Name: "tracking-table-max-keys", Kind: Int, Default: "1000000", Min: 0, Max: maxLong, Mutable: true, Support: Accepted, Doc: "Keys remembered for client-side caching."},

	// Security.
	{Name: "acllog-max-len", Kind: Int, Default: "128", Min: 0, Max: maxLong, Mutable: true, Support: Accepted, Doc: "Entries kept by ACL LOG."},
	{Name: "aclfile", Kind: String, Support: NotYet, Doc: "File of ACL users."},
	{Name: "requirepass", Kind: String, Mutable: true, Sensitive: true, Support: Honored,
		Doc: "Password of the default user; empty means no password."},
	{Name: "acl-pubsub-default", Kind: Enum, Default: "resetchannels", Enum: []string{"allchannels", "resetchannels"}, Mutable: true, Support: Accepted,
		Doc: "Channels new ACL users may use."},
	{Name: "rename-command", Kind: Special, FileOnly: true, Support: NotYet, parse: parseRepeated(2, 2),
		Doc: "Rename a command, or hide it with an empty name."},
	{Name: "user", Kind: Special, FileOnly: true, Support: NotYet, parse: parseRepeated(1, -1),
		Doc: "Declare an ACL user."},

	// Clients.
	{Name: "maxclients", Kind: Int, Default: "10000", Min: 1, Max: maxUint, Mutable: true, Support: Honored,
		Doc: "Most clients connected at once."},

	// Memory management.
	{Name: "maxmemory", Kind: Memory, Default: "0", Min: 0, Max: maxLong, Mutable: true, Support: Honored,
		Doc: "Memory limit; 0 is none."},
	{Name: "maxmemory-policy", Kind: Enum, Default: "noeviction", Mutable: true, Support: Honored,
		Enum: []string{"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"},
		Doc:  "What to do at maxmemory: evict keys, or refuse writes (noeviction)."},
	{Name: "maxmemory-samples", Kind: Int, Default: "5", Min: 1, Max: maxInt, Mutable: true, Support: Accepted, Doc: "Keys sampled per eviction."},
	{Name: "maxmemory-eviction-tenacity", Kind: Int, Default: "10", Min: 0, Max: 100, Mutable: true, Support: Accepted, Doc: "Effort spent evicting per command."},
	{Name: "replica-ignore-maxmemory", Aliases: []string{"slave-ignore-maxmemory"}, Kind: Bool, Default: "yes", Mutable: true, Support: Accepted,
		Doc: "Replicas leave eviction to their master."},
	{Name: "active-expire-effort", Kind: Int, Default: "1", Min: 1, Max: 10, Mutable: true, Support: Accepted, Doc: "Effort spent deleting expired keys in the background."},

	// Lazy freeing.
	{Name: "lazyfree-lazy-eviction", Kind: Bool, Default: "no", Mutable: true, Support: Accepted, Doc: "Free evicted values in the background."},
	{Name: "lazyfree-lazy-expire", Kind: Bool, Default: "no", Mutable: true, Support: Accepted, Doc: "Free expired values in the background."},
	{Name: "lazyfree-lazy-server-del", Kind: Bool, Default: "no", Mutable: true, Support: Accepted, Doc: "Free overwritten values in the background."},
	{Name: "replica-lazy-flush", Aliases: []string{"slave-lazy-flush"}, Kind: Bool, Default: "no", Mutable: true, Support: Accepted,
		Doc: "Flush the old data set in the background on a full sync."},
	{Name: "lazyfree-lazy-user-del", Kind: Bool, Default: "no", Mutable: true, Support: Accepted, Doc: "DEL behaves like UNLINK."},
	{Name: "lazyfree-lazy-user-flush", Kind: Bool, Default: "no", Mutable: true, Support: Accepted, Doc: "FLUSHDB and FLUSHALL default to ASYNC."},

	// Threaded I/O.
	{Name: "io-threads", Kind: Int, Default: "1", Min: 1, Max: 128, Support: Accepted, Doc: "I/O threads; cobble serves each connection on its own goroutine."},
	{Name: "io-threads-do-reads", Kind: Bool, Default: "no", Support: Accepted, Doc: "Let I/O threads read and parse too."},

	// Kernel OOM control and transparent huge pages.
	{Name: "oom-score-adj", Kind: Enum, Default: "no", Enum: []string{"no", "yes", "relative", "absolute"}, Mutable: true, Support: Accepted,
		Doc: "Set the process's OOM score from oom-score-adj-values."},
	{Name: "oom-score-adj-values", Kind: Special, Default: "0 200 800", Mutable: true, Support: Accepted, multi: true, parse: parseOOMValues, lines: textLines,
		Doc: "OOM scores of a master, a replica and a background child."},
	{Name: "disable-thp", Kind: Bool, Default: "yes", Support: Accepted, Doc: "Turn transparent huge pages off for the process."},

	// Append only mode.
	{Name: "appendonly", Kind: Bool, Default: "yes", Mutable: true, Support: Honored,
		Doc: "Log every write before acknowledging it. cobble's default is yes where Redis's is no: the log is cobble's source of truth."},
	{Name: "appendfilename", Kind: String, Default: "appendonly.aof", Support: Honored,
		check: checkBaseName("appendfilename can't be a path, just a filename", "appendfilename can't be empty"),
		Doc:   "Base name of the log's segment files."},
	{Name: "appenddirname", Kind: String, Default: "appendonlydir", Support: Honored,
		check: checkBaseName("appenddirname can't be a path, just a dirname", "appenddirname can't be empty"),
		Doc:   "Directory of the log, in dir."},
	{Name: "appendfsync", Kind: Enum, Default: "everysec", Enum: []string{"everysec", "always", "no"}, Mutable: true, Support: Honored,
		Doc: "When the log is flushed to disk: always (before each reply), everysec, or no (left to the OS)."},
	{Name: "no-appendfsync-on-rewrite", Kind: Bool, Default: "no", Mutable: true, Support: Accepted, Doc: "Skip fsync during a rewrite; cobble never rewrites its log."},
	{Name: "auto-aof-rewrite-percentage", Kind: Int, Default: "100", Min: 0, Max: maxInt, Mutable: true, Support: Accepted, Doc: "Log growth that triggers a rewrite."},
	{Name: "auto-aof-rewrite-min-size", Kind: Memory, Default: "67108864", Min: 0, Max: maxLong, Mutable: true, Support: Accepted, Doc: "Smallest log that is rewritten."},
	{Name: "aof-load-truncated", Kind: Bool, Default: "yes", Mutable: true, Support: Honored,
		Doc: "At start, drop a log tail cut short by a crash instead of refusing to start."},
	{Name: "aof-load-corrupt", Kind: Bool, Default: "no", Mutable: true, Support: Honored,
		Doc: "cobble only: at start, drop the log from a corrupt record on instead of refusing to start (loses the writes after it)."},
	{Name: "aof-use-rdb-preamble", Kind: Bool, Default: "yes", Mutable: true, Support: Accepted, Doc: "Start rewritten logs with an RDB image."},
	{Name: "aof-timestamp-enabled", Kind: Bool, Default: "no", Mutable: true, Support: Accepted, Doc: "Write timestamp annotations into the log."},
	{Name: "aof-rewrite-incremental-fsync", Kind: Bool, Default: "yes", Mutable: true, Support: Accepted, Doc: "fsync a log rewrite every 4 MB."},
	{Name: "rdb-save-incremental-fsync", Kind: Bool, Default: "yes", Mutable: true, Support: Accepted, Doc: "fsync an RDB file every 4 MB while writing it."},
	{Name: "aof-disable-auto-gc", Kind: Bool, Default: "no", Mutable: true, Support: Accepted, Doc: "Keep log files made obsolete by a rewrite."},

	// Shutdown.
	{Name: "shutdown-timeout", Kind: Int, Default: "10", Min: 0, Max: maxInt, Mutable: true, Support: Accepted, Doc: "Seconds to wait for replicas to catch up at shutdown."},
	{Name: "shutdown-on-sigint", Kind: Special, Default: "default", Mutable: true, Support: Accepted, multi: true, parse: parseShutdownFlags, lines: textLines,
		Doc: "SHUTDOWN flags used on SIGINT: default, save, nosave, now, force."},
	{Name: "shutdown-on-sigterm", Kind: Special, Default: "default", Mutable: true, Support: Accepted, multi: true, parse: parseShutdownFlags, lines: textLines,
		Doc: "SHUTDOWN flags used on SIGTERM: default, save, nosave, now, force."},

	// Scripts.
	{Name: "busy-reply-threshold", Aliases: []string{"lua-time-limit"}, Kind: Int, Default: "5000", Min: 0, Max: maxLong, Mutable: true, Support: Accepted,
		Doc: "Milliseconds a script runs before other clients get BUSY."},

	// Cluster. cobble does not run as a cluster yet: cluster-enabled yes stops the start.
	{Name: "cluster-enabled", Kind: Bool, Default: "no", Support: NotYet, Doc: "Run as a Redis Cluster node."},
	{Name: "cluster-config-file", Kind: String, Default: "nodes.conf", Support: Honored, Doc: "File where the node keeps the cluster state, in dir."},
	{Name: "cluster-node-timeout", Kind: Int, Default: "15000", Min: 0, Max: maxLong, Mutable: true, Support: Honored,
		Doc: "Milliseconds a node may be unreachable before it is considered failing."},
	{Name: "cluster-port", Kind: Int, Default: "0", Min: 0, Max: 65535, Support: Honored, Doc: "Cluster bus port; 0 is port + 10000."},
	{Name: "cluster-replica-validity-factor", Aliases: []string{"cluster-slave-validity-factor"}, Kind: Int, Default: "10", Min: 0, Max: maxInt, Mutable: true, Support: Honored,
		Doc: "A replica disconnected longer than factor × node timeout does not fail over; 0 always may."},
	{Name: "cluster-migration-barrier", Kind: Int, Default: "1", Min: 0, Max: maxInt, Mutable: true, Support: Honored,
		Doc: "Replicas a master keeps before one may migrate to an orphaned master."},
	{Name: "cluster-allow-replica-migration", Kind: Bool, Default: "yes", Mutable: true, Support: Honored, Doc: "Let replicas migrate to orphaned masters."},
	{Name: "cluster-require-full-coverage", Kind: Bool, Default: "yes", Mutable: true, Support: Honored,
		Doc: "Refuse queries while some slot has no node."},
	{Name: "cluster-replica-no-failover", Aliases: []string{"cluster-slave-no-failover"}, Kind: Bool, Default: "no", Mutable: true, Support: Honored,
		Doc: "Never fail over automatically to this replica."},
	{Name: "cluster-allow-reads-when-down", Kind: Bool, Default: "no", Mutable: true, Support: Honored, Doc: "Serve reads while the cluster is down."},
	{Name: "cluster-allow-pubsubshard-when-down", Kind: Bool, Default: "yes", Mutable: true, Support: Honored, Doc: "Serve sharded pub/sub while the cluster is down."},
	{Name: "cluster-link-sendbuf-limit", Kind: Memory, Default: "0", Min: 0, Max: maxLong, Mutable: true, Support: Accepted, Doc: "Memory limit of a cluster bus link's send buffer."},
	{Name: "cluster-announce-hostname", Kind: String, Mutable: true, Support: Honored, check: checkHostname, Doc: "Host name announced to the cluster."},
	{Name: "cluster-announce-human-nodename", Kind: String, Mutable: true, Support: Accepted, check: checkNodename, Doc: "Node name shown in logs."},
	{Name: "cluster-preferred-endpoint-type", Kind: Enum, Default: "ip", Enum: []string{"ip", "hostname", "unknown-endpoint"}, Mutable: true, Support: Honored,
		Doc: "Endpoint given to clients in MOVED, ASK and CLUSTER SLOTS."},
	{Name: "cluster-announce-ip", Kind: String, Mutable: true, Support: Honored, Doc: "Address announced to the cluster (behind NAT)."},
	{Name: "cluster-announce-port", Kind: Int, Default: "0", Min: 0, Max: 65535, Mutable: true, Support: Honored, Doc: "Client port announced to the cluster; 0 is port."},
	{Name: "cluster-announce-tls-port", Kind: Int, Default: "0", Min: 0, Max: 65535, Mutable: true, Support: Accepted, Doc: "TLS port announced to the cluster."},
	{Name: "cluster-announce-bus-port", Kind: Int, Default: "0", Min: 0, Max: 65535, Mutable: true, Support: Honored, Doc: "Bus port announced to the cluster; 0 is cluster-port."},
	{Name: "cluster-ping-interval", Kind: Int, Default: "0", Min: 0, Max: maxLong, Mutable: true, Hidden: true, Support: Accepted, Doc: "Testing knob of Redis's cluster bus."},

	// Slow log and latency monitor.
	{Name: "slowlog-log-slower-than", Kind: Int, Default: "10000", Min: -1, Max: maxLong, Mutable: true, Support: Honored,
		Doc: "Microseconds a command must take to enter the slow log; 0 logs all, -1 none."},
	{Name: "slowlog-max-len", Kind: Int, Default: "128", Min: 0, Max: maxLong, Mutable: true, Support: Honored, Doc: "Entries kept in the slow log."},
	{Name: "latency-monitor-threshold", Kind: Int, Default: "0", Min: 0, Max: maxLong, Mutable: true, Support: Accepted, Doc: "Milliseconds an event must take to be recorded by LATENCY."},
	{Name: "latency-tracking", Kind: Bool, Default: "yes", Mutable: true, Support: Accepted, Doc: "Track per-command latency percentiles."},
	{Name: "latency-tracking-info-percentiles", Kind: Special, Default: "50 99 99.9", Mutable: true, Support: Accepted, multi: true, parse: parsePercentiles, lines: percentileLines,
		Doc: "Percentiles INFO latencystats reports."},

	// Event notification.
	{Name: "notify-keyspace-events", Kind: Special, Mutable: true, Support: Honored, parse: parseNotify, lines: notifyLines,
		Doc: "Keyspace notifications to publish, as classes K E g $ l s h z x e t m d n A."},

	// Advanced: encodings of small values. cobble stores every value the same way.
	{Name: "hash-max-listpack-entries", Aliases: []string{"hash-max-ziplist-entries"}, Kind: Int, Default: "512", Min: 0, Max: maxLong, Mutable: true, Support: Accepted,
		Doc: "Largest hash kept as a listpack."},
	{Name: "hash-max-listpack-value", Aliases: []string{"hash-max-ziplist-value"}, Kind: Memory, Default: "64", Min: 0, Max: maxLong, Mutable: true, Support: Accepted,
		Doc: "Longest hash field or value kept in a listpack."},
	{Name: "list-max-listpack-size", Aliases: []string{"list-max-ziplist-size"}, Kind: Int, Default: "-2", Min: minInt, Max: maxInt, Mutable: true, Support: Accepted,
		Doc: "Size of a quicklist node: entries if positive, -1…-5 for 4…64 KB."},
	{Name: "list-compress-depth", Kind: Int, Default: "0", Min: 0, Max: maxInt, Mutable: true, Support: Accepted, Doc: "Quicklist nodes left uncompressed at each end."},
	{Name: "set-max-intset-entries", Kind: Int, Default: "512", Min: 0, Max: maxLong, Mutable: true, Support: Accepted, Doc: "Largest set of integers kept as an intset."},
	{Name: "set-max-listpack-entries", Kind: Int, Default: "128", Min: 0, Max: maxLong, Mutable: true, Support: Accepted, Doc: "Largest set kept as a listpack."},
	{Name: "set-max-listpack-value", Kind: Int, Default: "64", Min: 0, Max: maxLong, Mutable: true, Support: Accepted, Doc: "Longest set member kept in a listpack."},
	{Name: "zset-max-listpack-entries", Aliases: []string{"zset-max-ziplist-entries"}, Kind: Int, Default: "128", Min: 0, Max: maxLong, Mutable: true, Support: Accepted,
		Doc: "Largest sorted set kept as a listpack."},
	{Name: "zset-max-listpack-value", Aliases: []string{"zset-max-ziplist-value"}, Kind: Memory, Default: "64", Min: 0, Max: maxLong, Mutable: true, Support: Accepted,
		Doc: "Longest sorted set member kept in a listpack."},
	{Name: "hll-sparse-max-bytes", Kind: Memory, Default: "3000", Min: 0, Max: maxLong, Mutable: true, Support: Accepted, Doc: "Largest sparse HyperLogLog."},
	{Name: "stream-node-max-bytes", Kind: Memory, Default: "4096", Min: 0, Max: maxLong, Mutable: true, Support: Accepted, Doc: "Largest stream radix tree node, in bytes."},
	{Name: "stream-node-max-entries", Kind: Int, Default: "100", Min: 0, Max: maxLong, Mutable: true, Support: Accepted, Doc: "Largest stream radix tree node, in entries."},
	{Name: "activerehashing", Kind: Bool, Default: "yes", Mutable: true, Support: Accepted, Doc: "Rehash the main dictionary in the background."},

	// Advanced: clients and the event loop.
	{Name: "client-output-buffer-limit", Kind: Special, Default: "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", Mutable: true, Support: Accepted,
		multi: true, parse: parseOutputBufferLimit, lines: outputBufferLimitLines,
		Doc: "Disconnect clients of a class (normal, replica, pubsub) whose output buffer passes <hard> bytes, or <soft> bytes for <seconds>."},
	{Name: "client-query-buffer-limit", Kind: Memory, Default: "1073741824", Min: 1024 * 1024, Max: maxLong, Mutable: true, Support: Honored,
		Doc: "Largest query buffer of a client."},
	{Name: "maxmemory-clients", Kind: Special, Default: "0", Min: -100, Max: maxLong, Mutable: true, Support: Accepted, parse: parseMemoryPercent, lines: memoryPercentLines,
		Doc: "Memory all clients may use together, in bytes or as a percentage of maxmemory; 0 is no limit."},
	{Name: "proto-max-bulk-len", Kind: Memory, Default: "536870912", Min: 1024 * 1024, Max: maxLong, Mutable: true, Support: Honored,
		Doc: "Longest bulk string in a request."},
	{Name: "hz", Kind: Int, Default: "10", Min: 0, Max: maxInt, Mutable: true, Support: Honored, adjust: clampHz,
		Doc: "Frequency of background tasks (expiry, timeouts), 1 to 500 times a second; values outside are capped."},
	{Name: "dynamic-hz", Kind: Bool, Default: "yes", Mutable: true, Support: Accepted, Doc: "Raise hz with the number of clients."},
	{Name: "lfu-log-factor", Kind: Int, Default: "10", Min: 0, Max: maxInt, Mutable: true, Support: Accepted, Doc: "LFU counter logarithm factor."},
	{Name: "lfu-decay-time", Kind: Int, Default: "1", Min: 0, Max: maxInt, Mutable: true, Support: Accepted, Doc: "Minutes for the LFU counter to decay."},
	{Name: "max-new-connections-per-cycle", Kind: Int, Default: "10", Min: 1, Max: 1000, Mutable: true, Support: Accepted, Doc: "Connections accepted per event loop cycle."},
	{Name: "max-new-tls-connections-per-cycle", Kind: Int, Default: "1", Min: 1, Max: 1000, Mutable: true, Support: Accepted, Doc: "TLS connections accepted per event loop cycle."},

	// Active defragmentation.
	{Name: "activedefrag", Kind: Bool, Default: "no", Mutable: true, Support: Accepted, Doc: "Defragment memory in the background."},
	{Name: "active-defrag-ignore-bytes", Kind: Memory, Default: "104857600", Min: 1, Max: maxLong, Mutable: true, Support: Accepted, Doc: "Fragmentation waste below which nothing is done."},
	{Name: "active-defrag-threshold-lower", Kind: Int, Default: "10", Min: 0, Max: 1000, Mutable: true, Support: Accepted, Doc: "Fragmentation percentage that starts defragmentation."},
	{Name: "active-defrag-threshold-upper", Kind: Int, Default: "100", Min: 0, Max: 1000, Mutable: true, Support: Accepted, Doc: "Fragmentation percentage of the most effort."},
	{Name: "active-defrag-cycle-min", Kind: Int, Default: "1", Min: 1, Max: 99, Mutable: true, Support: Accepted, Doc: "Least CPU percentage spent defragmenting."},
	{Name: "active-defrag-cycle-max", Kind: Int, Default: "25", Min: 1, Max: 99, Mutable: true, Support: Accepted, Doc: "Most CPU percentage spent defragmenting."},
	{Name: "active-defrag-max-scan-fields", Kind: Int, Default: "1000", Min: 1, Max: maxLong, Mutable: true, Support: Accepted, Doc: "Collections larger than this are defragmented in steps."},
	{Name: "jemalloc-bg-thread", Kind: Bool, Default: "yes", Mutable: true, Support: Accepted, Doc: "jemalloc's background purge thread."},
	{Name: "server-cpulist", Aliases: []string{"server_cpulist"}, Kind: String, Support: Accepted, Doc: "CPUs of the main thread."},
	{Name: "bio-cpulist", Aliases: []string{"bio_cpulist"}, Kind: String, Support: Accepted, Doc: "CPUs of background I/O threads."},
	{Name: "aof-rewrite-cpulist", Aliases: []string{"aof_rewrite_cpulist"}, Kind: String, Support: Accepted, Doc: "CPUs of the log rewrite child."},
	{Name: "bgsave-cpulist", Aliases: []string{"bgsave_cpulist"}, Kind: String, Support: Accepted, Doc: "CPUs of the background save child."},
	{Name: "ignore-warnings", Kind: String, Mutable: true, Support: Accepted, Doc: "Start-up warnings to silence."},
	{Name: "hide-user-data-from-log", Kind: Bool, Default: "no", Mutable: true, Support: Accepted, Doc: "Keep keys and values out of log messages."},

	// Testing knobs of Redis: only their exact names work.
	{Name: "use-exit-on-panic", Kind: Bool, Default: "no", Mutable: true, Hidden: true, Support: Accepted, Doc: "Exit instead of aborting on panic."},
	{Name: "rdb-key-save-delay", Kind: Int, Default: "0", Min: minInt, Max: maxInt, Mutable: true, Hidden: true, Support: Accepted, Doc: "Delay per key while saving."},
	{Name: "key-load-delay", Kind: Int, Default: "0", Min: minInt, Max: maxInt, Mutable: true, Hidden: true, Support: Accepted, Doc: "Delay per key while loading."},
	{Name: "watchdog-period", Kind: Int, Default: "0", Min: 0, Max: maxInt, Mutable: true, Hidden: true, Support: Accepted, Doc: "Software watchdog period."},
	{Name: "loading-process-events-interval-bytes", Kind: Int, Default: "2097152", Min: 1024, Max: maxInt, Mutable: true, Hidden: true, Support: Accepted,
		Doc: "Bytes loaded between serving events."},

	// Lines only a file or the command line may hold.
	{Name: "include", Kind: Special, FileOnly: true, Support: Honored,
		Doc: "Read another file (or every file a glob matches) here; a relative path starts from the working directory, which a dir line above changes."},
	{Name: "loadmodule", Kind: Special, FileOnly: true, Support: NotYet, parse: parseRepeated(1, -1), Doc: "Load a module."},
	{Name: "sentinel", Kind: Special, FileOnly: true, Support: Honored, Doc: "Sentinel state, in Sentinel mode (--sentinel) only."},
	{Name: "list-max-ziplist-entries", Kind: Special, FileOnly: true, Support: Accepted, parse: parseIgnored, Doc: "Removed from Redis; ignored."},
	{Name: "list-max-ziplist-value", Kind: Special, FileOnly: true, Support: Accepted, parse: parseIgnored, Doc: "Removed from Redis; ignored."},
	{Name: "lua-replicate-commands", Kind: Special, FileOnly: true, Support: Accepted, parse: parseIgnored, Doc: "Removed from Redis; ignored."},

	// cobble's own.
	{Name: "cache-size", Kind: Memory, Default: "268435456", Min: 0, Max: maxLong, Support: Honored,
		Doc: "cobble only: size of the storage engine's block cache (256mb by default)."},
	{Name: "row-cache-size", Kind: Memory, Default: "268435456", Min: 0, Max: maxLong, Support: Honored,
		Doc: "cobble only: memory for recently used keys' metadata and string values, hits served without touching the storage engine (256mb by default, 0 = off)."},
})

// clampHz caps hz to what Redis runs at, 1 to 500, as Redis does instead of
// refusing the value.
func clampHz(n int64) int64 {
	return min(max(n, 1), 500)
}
