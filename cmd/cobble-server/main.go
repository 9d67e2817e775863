// Command cobble-server runs a cobble node. It takes the same arguments as
// redis-server: an optional redis.conf path followed by --directive value
// pairs. It only wires configuration, logging, daemonizing and signals
// together; everything else lives in package server.
package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	_ "net/http/pprof"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/cobbledb/cobble/server"
	"github.com/cobbledb/cobble/server/config"
)

// envDaemon marks the re-executed child of `daemonize yes`.
const envDaemon = "COBBLE_DAEMON_CHILD"

func main() { os.Exit(run(os.Args[1:])) }

func run(args []string) int {
	if len(args) == 1 {
		switch args[0] {
		case "-v", "--version":
			fmt.Printf("cobble-server v=%s redis_version=%s\n", server.CobbleVersion, server.Version)
			return 0
		case "-h", "--help":
			usage(os.Stdout)
			return 0
		}
	}
	cfg, err := config.Load(args)
	if err != nil {
		var fe *config.FileError
		if errors.As(err, &fe) {
			fmt.Fprintf(os.Stderr, "\n*** FATAL CONFIG FILE ERROR (cobble %s) ***\n", server.CobbleVersion)
		}
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if cfg.Bool("daemonize") && os.Getenv(envDaemon) == "" {
		return daemonize()
	}
	logger, closeLog, err := newLogger(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer closeLog()
	if pf := cfg.String("pidfile"); pf != "" {
		if err := os.WriteFile(pf, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			logger.Warn("could not write pidfile", "path", pf, "err", err)
		} else {
			defer os.Remove(pf)
		}
	}
	if addr := os.Getenv("COBBLE_PPROF"); addr != "" {
		// Profiling endpoint for operators (go tool pprof http://ADDR/debug/pprof/profile).
		go func() { logger.Warn("pprof endpoint stopped", "err", http.ListenAndServe(addr, nil)) }()
	}
	s, err := server.New(cfg, logger, server.Hooks{})
	if err != nil {
		logger.Error("cannot start", "err", err)
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ln, err := s.Listen()
	if err != nil {
		logger.Error("cannot listen", "err", err)
		fmt.Fprintln(os.Stderr, err)
		s.Close()
		return 1
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- s.Serve(ln) }()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	code := 0
	select {
	case got := <-sig:
		logger.Info("received signal, shutting down", "signal", got.String())
	case <-s.Done():
	case err := <-serveErr:
		if err != nil {
			logger.Error("serve failed", "err", err)
			code = 1
		}
	}
	if err := s.Close(); err != nil {
		logger.Error("shutdown", "err", err)
		code = 1
	}
	logger.Info("bye")
	return code
}

// daemonize re-executes this binary detached from the terminal, as
// `daemonize yes` asks; the parent exits at once.
func daemonize() int {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "daemonize:", err)
		return 1
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "daemonize:", err)
		return 1
	}
	cmd := exec.Command(self, os.Args[1:]...)
	cmd.Env = append(os.Environ(), envDaemon+"=1")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = null, null, null
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "daemonize:", err)
		return 1
	}
	return 0
}

// newLogger follows logfile ("" = stdout) and loglevel.
func newLogger(cfg *config.Config) (*slog.Logger, func(), error) {
	var w io.Writer = os.Stdout
	closer := func() {}
	if path := cfg.String("logfile"); path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			return nil, nil, fmt.Errorf("can't open the log file: %w", err)
		}
		w, closer = f, func() { f.Close() }
	} else if os.Getenv(envDaemon) != "" {
		w = io.Discard // a daemon without logfile logs nowhere, as Redis
	}
	var level slog.Level
	switch strings.ToLower(cfg.String("loglevel")) {
	case "debug":
		level = slog.LevelDebug
	case "verbose":
		level = slog.LevelDebug + 2
	case "notice":
		level = slog.LevelInfo
	case "warning":
		level = slog.LevelWarn
	case "nothing":
		level = slog.LevelError + 100
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})), closer, nil
}

func usage(w io.Writer) {
	fmt.Fprint(w, `Usage: cobble-server [/path/to/redis.conf] [options]
       cobble-server -v or --version
       cobble-server -h or --help

Options are redis.conf directives given as --name value, applied after the
config file, exactly like redis-server:

  cobble-server --port 7777
  cobble-server /etc/redis/6379.conf --loglevel verbose --dir /var/lib/cobble
  cobble-server --save 900 1 --appendfsync always
`)
}
