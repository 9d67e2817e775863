package server

import (
	"errors"
	"fmt"
	"strings"

	"github.com/cobbledb/cobble/engine"
)

// Error is a reply error: Prefix is the Redis error code (ERR, WRONGTYPE…).
// This file is the only one that knows Redis's error texts.
type Error struct{ Prefix, Msg string }

func (e *Error) Error() string { return e.Prefix + " " + e.Msg }

func errf(format string, args ...any) *Error { return &Error{"ERR", fmt.Sprintf(format, args...)} }

var (
	errSyntax        = &Error{"ERR", "syntax error"}
	errWrongType     = &Error{"WRONGTYPE", "Operation against a key holding the wrong kind of value"}
	errNotInteger    = &Error{"ERR", "value is not an integer or out of range"}
	errNotFloat      = &Error{"ERR", "value is not a valid float"}
	errOverflow      = &Error{"ERR", "increment or decrement would overflow"}
	errNaN           = &Error{"ERR", "increment would produce NaN or Infinity"}
	errNoSuchKey     = &Error{"ERR", "no such key"}
	errSameObject    = &Error{"ERR", "source and destination objects are the same"}
	errDBIndex       = &Error{"ERR", "DB index is out of range"}
	errInvalidExpire = func(cmd string) *Error { return errf("invalid expire time in '%s' command", cmd) }
	errNoAuth        = &Error{"NOAUTH", "Authentication required."}
	errWrongPass     = &Error{"WRONGPASS", "invalid username-password pair or user is disabled."}
	errExecAbort     = &Error{"EXECABORT", "Transaction discarded because of previous errors."}
	errNestedMulti   = &Error{"ERR", "MULTI calls can not be nested"}
	errExecNoMulti   = &Error{"ERR", "EXEC without MULTI"}
	errDiscardNoMult = &Error{"ERR", "DISCARD without MULTI"}
	errWatchInMulti  = &Error{"ERR", "WATCH inside MULTI is not allowed"}
	errBitOffset     = &Error{"ERR", "bit offset is not an integer or out of range"}
	errBitValue      = &Error{"ERR", "bit is not an integer or out of range"}
	errStringTooLong = &Error{"ERR", "string exceeds maximum allowed size (proto-max-bulk-len)"}
	errLCSNotString  = &Error{"ERR", "The specified keys must contain string values"}
	errLCSLenAndIdx  = &Error{"ERR", "If you want both the length and indexes, please just use IDX."}
	errLCSTooLong    = &Error{"ERR", "String too long for LCS"}
	errLCSMemory     = &Error{"ERR", "Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"}
	errOffsetRange   = &Error{"ERR", "offset is out of range"}
	errMisconf       = &Error{"MISCONF", "Errors writing to the AOF file: "}
	errTimeoutNeg    = &Error{"ERR", "timeout is negative"}
	errProtected     = &Error{"DENIED", "Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Set up an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside."}
	errTimeoutFloat  = &Error{"ERR", "timeout is not a float or out of range"}
	errUnblocked     = &Error{"UNBLOCKED", "client unblocked via CLIENT UNBLOCK"}
	errUnblockReason = &Error{"ERR", "CLIENT UNBLOCK reason should be TIMEOUT or ERROR"}
	errTimeoutRange  = &Error{"ERR", "timeout is out of range"}
	errShuttingDown  = &Error{"ERR", "Errors trying to SHUTDOWN. Check logs."}

	// INFO, CONFIG, SLOWLOG, SHUTDOWN, DEBUG, CLIENT, COMMAND.
	errNoSuchClient    = &Error{"ERR", "No such client"}
	errClientIDRange   = &Error{"ERR", "client-id should be greater than 0"}
	errInvalidClientID = &Error{"ERR", "Invalid client ID"}
	errSlowlogCount    = &Error{"ERR", "count should be greater than or equal to -1"}
	errNoShutdown      = &Error{"ERR", "No shutdown in progress."}
	errDebugDisabled   = &Error{"ERR", `DEBUG command not allowed. If the enable-debug-command option is set to "local", you can run it from a local connection, otherwise you need to set this option in the configuration file, and then restart the server.`}
	errInvalidCommand  = &Error{"ERR", "Invalid command specified"}
	errNoKeyArgs       = &Error{"ERR", "The command has no key arguments"}
	errGetKeysArity    = &Error{"ERR", "Invalid number of arguments specified for command"}
	errGetKeysArgs     = &Error{"ERR", "Invalid arguments specified for command"}

	// errStartOnly vetoes CONFIG SET of a directive cobble reads only at
	// start; the config package prefixes it with the directive's name.
	errStartOnly = errors.New("cobble applies it only at start: change the configuration file and restart")
)

func errUnknownClientType(t []byte) *Error { return errf("Unknown client type '%s'", t) }

func errNoSuchUser(u []byte) *Error { return errf("No such user '%s'", u) }

func errClientAttr(attr []byte) *Error {
	return errf("%s cannot contain spaces, newlines or special characters.", attr)
}

func errUnrecognizedOption(opt []byte) *Error { return errf("Unrecognized option '%s'", opt) }

// errSubSyntax is Redis's addReplySubcommandSyntaxError, for commands
// that parse their own subcommands (DEBUG) or their arguments' count.
func errSubSyntax(args [][]byte) *Error {
	return errf("unknown subcommand or wrong number of arguments for '%s'. Try %s HELP.",
		truncate(string(args[1]), 128), strings.ToUpper(string(args[0])))
}

func errArity(name string) *Error {
	return errf("wrong number of arguments for '%s' command", name)
}

func errUnknownCommand(args [][]byte) *Error {
	var sb strings.Builder
	for _, a := range args[1:] {
		if sb.Len() >= 128 {
			break
		}
		fmt.Fprintf(&sb, "'%s' ", truncate(string(a), 128-sb.Len()))
	}
	return errf("unknown command '%s', with args beginning with: %s", truncate(string(args[0]), 128), sb.String())
}

func errUnknownSub(args [][]byte) *Error {
	return errf("unknown subcommand '%s'. Try %s HELP.", truncate(string(args[1]), 128), strings.ToUpper(string(args[0])))
}

func truncate(s string, n int) string {
	if n < 0 {
		n = 0
	}
	if len(s) > n {
		return s[:n]
	}
	return s
}

// toReply turns any error a handler returns into the reply error.
func toReply(err error) *Error {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, engine.ErrWrongType):
		return errWrongType
	case errors.Is(err, engine.ErrNotInteger):
		return errNotInteger
	case errors.Is(err, engine.ErrNotFloat):
		return errNotFloat
	case errors.Is(err, engine.ErrOverflow):
		return errOverflow
	case errors.Is(err, engine.ErrNaN):
		return errNaN
	default:
		return &Error{"ERR", err.Error()}
	}
}

// Lists and sorted sets.
var (
	errMustBePositive  = &Error{"ERR", "value is out of range, must be positive"}
	errIndexRange      = &Error{"ERR", "index out of range"}
	errLongRange       = &Error{"ERR", "value is out of range, value must between -9223372036854775807 and 9223372036854775807"}
	errValueRange      = &Error{"ERR", "value is out of range"}
	errLPosRankZero    = &Error{"ERR", "RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"}
	errLPosCountNeg    = &Error{"ERR", "COUNT can't be negative"}
	errLPosMaxLenNeg   = &Error{"ERR", "MAXLEN can't be negative"}
	errNumKeysPositive = &Error{"ERR", "numkeys should be greater than 0"}
	errCountPositive   = &Error{"ERR", "count should be greater than 0"}
	errScoreNaN        = &Error{"ERR", "resulting score is not a number (NaN)"}
	errMinMaxFloat     = &Error{"ERR", "min or max is not a float"}
	errMinMaxLex       = &Error{"ERR", "min or max not valid string range item"}
	errZAddNXXX        = &Error{"ERR", "XX and NX options at the same time are not compatible"}
	errZAddGTLTNX      = &Error{"ERR", "GT, LT, and/or NX options at the same time are not compatible"}
	errZAddIncrPair    = &Error{"ERR", "INCR option supports a single increment-element pair"}
	errZRangeLimit     = &Error{"ERR", "syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"}
	errZRangeLexScores = &Error{"ERR", "syntax error, WITHSCORES not supported in combination with BYLEX"}
	errWeightFloat     = &Error{"ERR", "weight value is not a float"}
	errLimitNegative   = &Error{"ERR", "LIMIT can't be negative"}
	errZScanCursor     = &Error{"ERR", "invalid cursor"}
	errSortScore       = &Error{"ERR", "One or more scores can't be converted into double"}
	errAtLeastOneKey   = func(cmd string) *Error { return errf("at least 1 input key is needed for '%s' command", cmd) }
)

// Hash and set errors.
var (
	errHashNotInteger = &Error{"ERR", "hash value is not an integer"}
	errHashNotFloat   = &Error{"ERR", "hash value is not a float"}
	errNaNOrInfinity  = &Error{"ERR", "value is NaN or Infinity"}
	errInvalidCursor  = &Error{"ERR", "invalid cursor"}
	errNumKeysArgs    = &Error{"ERR", "Number of keys can't be greater than number of args"}
)

// Replication errors.
var (
	errReadOnly   = &Error{"READONLY", "You can't write against a read only replica."}
	errMasterDown = &Error{"MASTERDOWN", "Link with MASTER is down and replica-serve-stale-data is set to 'no'."}
	errNoReplicas = &Error{"NOREPLICAS", "Not enough good replicas to write."}
)

// Persistence: SAVE, BGSAVE, DUMP, RESTORE.
var (
	errBGSaveInProgress = &Error{"ERR", "Background save already in progress"}
	errDumpPayload      = &Error{"ERR", "DUMP payload version or checksum are wrong"}
	errBadDataFormat    = &Error{"ERR", "Bad data format"}
	errBusyKey          = &Error{"BUSYKEY", "Target key name already exists."}
	errInvalidTTL       = &Error{"ERR", "Invalid TTL value, must be >= 0"}
	errIdleTimeValue    = &Error{"ERR", "Invalid IDLETIME value, must be >= 0"}
	errFreqValue        = &Error{"ERR", "Invalid FREQ value, must be >= 0 and <= 255"}
	errShuttingDownSave = &Error{"ERR", "server is shutting down"}

	// errRestoreUnsupported is cobble's own: Redis stores every type.
	errRestoreUnsupported = &Error{"ERR", "DUMP payload holds a value cobble does not store (a stream, a module value or hash field TTLs)"}
)

// errSaveFailed is a failed SAVE. Redis answers a bare "-ERR" and logs the
// reason; cobble gives it in the reply too.
func errSaveFailed(err error) *Error { return errf("SAVE failed: %v", err) }
