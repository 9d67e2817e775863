package server

import (
	"net"
	"sync"
)

// multiListener accepts from several listeners (several bind addresses).
type multiListener struct {
	lns  []net.Listener
	ch   chan acceptResult
	done chan struct{}
	once sync.Once
	wg   sync.WaitGroup
}

type acceptResult struct {
	c   net.Conn
	err error
}

func newMultiListener(lns []net.Listener) *multiListener {
	m := &multiListener{lns: lns, ch: make(chan acceptResult), done: make(chan struct{})}
	for _, ln := range lns {
		m.wg.Add(1)
		go func() {
			defer m.wg.Done()
			for {
				c, err := ln.Accept()
				select {
				case m.ch <- acceptResult{c, err}:
				case <-m.done:
					if c != nil {
						c.Close()
					}
					return
				}
				if err != nil {
					return
				}
			}
		}()
	}
	return m
}

func (m *multiListener) Accept() (net.Conn, error) {
	select {
	case r := <-m.ch:
		return r.c, r.err
	case <-m.done:
		return nil, net.ErrClosed
	}
}

func (m *multiListener) Close() error {
	m.once.Do(func() {
		close(m.done)
		for _, ln := range m.lns {
			ln.Close()
		}
	})
	m.wg.Wait()
	return nil
}

func (m *multiListener) Addr() net.Addr { return m.lns[0].Addr() }
