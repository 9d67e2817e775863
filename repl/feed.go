package repl

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/cobbledb/cobble/aof"
)

// FeedConfig configures the master side of one replica connection.
type FeedConfig struct {
	Timeout time.Duration // repl-timeout: no ACK for this long closes the link
	OnAck   func(offset int64)
	// WaitAck holds the stream back until the replica's first REPLCONF
	// ACK, as Redis does after a disk-less (EOF-marked) RDB: a replica
	// looks for the mark at the end of what it reads, and stream bytes
	// right behind the mark would hide it.
	WaitAck bool
}

// Feed streams the log to a replica from offset from (a log offset) until
// ctx ends, the connection fails or the replica stops acknowledging. in is
// the replica's side of the connection (REPLCONF ACK lines), out the
// socket. It returns the reason it stopped.
func Feed(ctx context.Context, log *aof.Log, from int64, nc net.Conn, in *bufio.Reader, cfg FeedConfig) error {
	if cfg.Timeout <= 0 {
		cfg.Timeout = 60 * time.Second
	}
	r, err := log.NewReader(from)
	if err != nil {
		return err
	}
	defer r.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	readErr := make(chan error, 1)
	acked := make(chan struct{})
	go func() {
		readErr <- readAcks(in, nc, cfg, acked)
		cancel()
	}()
	if cfg.WaitAck {
		select {
		case <-acked:
		case <-ctx.Done():
			nc.Close()
			if err := <-readErr; err != nil {
				return err
			}
			return ctx.Err()
		}
	}
	buf := make([]byte, 256<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			nc.SetWriteDeadline(time.Now().Add(cfg.Timeout))
			if _, werr := nc.Write(buf[:n]); werr != nil {
				nc.Close()
				<-readErr
				return werr
			}
			continue
		}
		if err != nil && !errors.Is(err, io.EOF) {
			nc.Close()
			<-readErr
			return err
		}
		if err := r.Wait(ctx); err != nil {
			nc.Close()
			rerr := <-readErr
			if ctx.Err() != nil && rerr != nil {
				return rerr
			}
			return err
		}
	}
}

// readAcks consumes what the replica sends: REPLCONF ACK <offset> (and
// anything else, ignored as Redis does). It closes acked at the first ACK.
func readAcks(in *bufio.Reader, nc net.Conn, cfg FeedConfig, acked chan struct{}) error {
	p := aof.NewParser(in)
	for {
		nc.SetReadDeadline(time.Now().Add(cfg.Timeout))
		args, err := p.Next()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				return fmt.Errorf("repl: replica timed out (no ACK for %v)", cfg.Timeout)
			}
			return err
		}
		if len(args) >= 3 && equalFold(args[0], "replconf") && equalFold(args[1], "ack") {
			off, err := strconv.ParseInt(string(args[2]), 10, 64)
			if err == nil && cfg.OnAck != nil {
				cfg.OnAck(off)
			}
			if acked != nil {
				close(acked)
				acked = nil
			}
		}
	}
}
