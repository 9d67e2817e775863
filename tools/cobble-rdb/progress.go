package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// progress reports long work on stderr: redrawn in place on a terminal,
// a line every few seconds otherwise (--progress into a log). Counters are
// atomics, so the worker only adds to them.
type progress struct {
	w     io.Writer
	tty   bool
	on    bool
	label string
	total atomic.Int64 // bytes expected; <= 0 when unknown

	bytes atomic.Int64
	keys  atomic.Int64

	start time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
	width int // of the last line drawn (tty)
}

// newProgress starts reporting when on (stderr is a terminal, or
// --progress). total is the number of bytes expected, 0 when unknown.
func newProgress(e *env, force bool, label string, total int64) *progress {
	p := &progress{w: e.stderr, tty: e.stderrTTY, on: force || e.stderrTTY, label: label,
		start: time.Now(), stop: make(chan struct{})}
	p.total.Store(total)
	if p.on {
		every := 5 * time.Second
		if p.tty {
			every = 250 * time.Millisecond
		}
		p.wg.Add(1)
		go p.loop(every)
	}
	return p
}

func (p *progress) loop(every time.Duration) {
	defer p.wg.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.draw()
		}
	}
}

func (p *progress) draw() {
	el := time.Since(p.start).Seconds()
	b, k, total := p.bytes.Load(), p.keys.Load(), p.total.Load()
	var sb strings.Builder
	sb.WriteString(p.label + ": ")
	if total > 0 {
		fmt.Fprintf(&sb, "%3.0f%% %s of %s", 100*float64(b)/float64(total), humanBytes(b), humanBytes(total))
	} else {
		sb.WriteString(humanBytes(b))
	}
	if k > 0 {
		fmt.Fprintf(&sb, ", %d keys", k)
	}
	if el > 0 {
		fmt.Fprintf(&sb, ", %s/s", humanBytes(int64(float64(b)/el)))
		if k > 0 {
			fmt.Fprintf(&sb, ", %.0f keys/s", float64(k)/el)
		}
	}
	if total > 0 && b > 0 && b < total {
		left := time.Duration(el * float64(total-b) / float64(b) * float64(time.Second))
		fmt.Fprintf(&sb, ", %v left", left.Round(time.Second))
	}
	line := sb.String()
	if p.tty {
		pad := max(p.width-len(line), 0)
		fmt.Fprintf(p.w, "\r%s%s", line, strings.Repeat(" ", pad))
		p.width = len(line)
	} else {
		fmt.Fprintln(p.w, line)
	}
}

// done stops reporting and clears the progress line.
func (p *progress) done() {
	if !p.on {
		return
	}
	close(p.stop)
	p.wg.Wait()
	if p.tty && p.width > 0 {
		fmt.Fprintf(p.w, "\r%s\r", strings.Repeat(" ", p.width))
	}
	p.on = false
}

// countingReader counts the bytes read into a progress. When the size of
// the input is known it also reports what is left through Len, as a
// bytes.Reader does, so the RDB decoder can still check declared lengths
// against the bytes left.
type countingReader struct {
	r io.Reader
	p *progress
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.bytes.Add(int64(n))
	return n, err
}

type sizedCountingReader struct {
	countingReader
	size int64
}

func (c *sizedCountingReader) Len() int { return int(max(c.size-c.p.bytes.Load(), 0)) }

// openInput opens an RDB file ("-" is stdin) and returns a reader that
// counts into a new progress labelled label. The caller must call closeFn;
// calling it again does nothing.
func openInput(e *env, path string, force bool, label string) (r io.Reader, p *progress, closeFn func(), err error) {
	if path == "-" {
		p = newProgress(e, force, label, 0)
		return &countingReader{r: e.stdin, p: p}, p, p.done, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, nil, err
	}
	if st.IsDir() {
		f.Close()
		return nil, nil, nil, fmt.Errorf("%s is a directory, not an RDB file", path)
	}
	p = newProgress(e, force, label, st.Size())
	var once sync.Once
	return &sizedCountingReader{countingReader{r: f, p: p}, st.Size()}, p, func() { once.Do(func() { p.done(); f.Close() }) }, nil
}

// humanBytes renders n as "12.3 MB".
func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	f := float64(n)
	for _, s := range []string{"kB", "MB", "GB", "TB"} {
		f /= unit
		if f < unit || s == "TB" {
			return fmt.Sprintf("%.1f %s", f, s)
		}
	}
	return ""
}

// rate renders n per d as "12.3 MB/s".
func rate(n int64, d time.Duration) string {
	if d <= 0 {
		return "-"
	}
	return humanBytes(int64(float64(n)/d.Seconds())) + "/s"
}

// verifyStat returns the size of a regular file.
func verifyStat(path string) (int64, error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	if !st.Mode().IsRegular() {
		return 0, fmt.Errorf("%s is not a regular file", path)
	}
	return st.Size(), nil
}

func mkdirAll(dir string) error { return os.MkdirAll(dir, 0o755) }
