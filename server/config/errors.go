package config

import (
	"errors"
	"fmt"
)

// The texts below are Redis's, word for word, without the "ERR " prefix the
// server adds on the wire.

// ErrSyntax is returned by Set when its arguments are not name/value pairs.
var ErrSyntax = errors.New("syntax error")

// ErrNoConfigFile is returned by Rewrite when the configuration did not come
// from a file.
var ErrNoConfigFile = errors.New("The server is running without a config file")

var (
	errImmutable = errors.New("can't set immutable config")
	errProtected = errors.New("can't set protected config")
	errDuplicate = errors.New("duplicate parameter")
)

// SetError is why Set changed nothing.
type SetError struct {
	Arg     string // the directive it is about, as Redis names it in the reply
	Unknown bool   // no such directive (or one CONFIG SET cannot see)
	Err     error  // what is wrong, unless Unknown
}

func (e *SetError) Error() string {
	if e.Unknown {
		return fmt.Sprintf("Unknown option or number of arguments for CONFIG SET - '%s'", e.Arg)
	}
	return fmt.Sprintf("CONFIG SET failed (possibly related to argument '%s') - %s", e.Arg, e.Err)
}

func (e *SetError) Unwrap() error { return e.Err }

// UnsupportedError is a directive cobble does not support yet set to
// something other than its default.
type UnsupportedError struct {
	Name   string // the directive
	Value  string // its value, as CONFIG GET prints it
	Source string // where it was set ("/etc/redis/redis.conf:12", "command line"), if known
}

func (e *UnsupportedError) Error() string {
	s := fmt.Sprintf("cobble does not support '%s %s' yet", e.Name, e.Value)
	if e.Source != "" {
		s += " (" + e.Source + ")"
	}
	return s
}

// rewriteError is a configuration file that could not be rewritten.
type rewriteError struct{ err error }

func (e *rewriteError) Error() string { return "Rewriting config file: " + strerror(e.err) }

func (e *rewriteError) Unwrap() error { return e.err }
