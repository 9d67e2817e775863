package server_test

// Replication between in-process nodes: what clients see on masters and
// replicas (WAIT, READONLY, MASTERDOWN, NOREPLICAS, ROLE, INFO), expiry on
// replicas, the db a replica applies the stream in, and idle timeouts.
//
// Failure cases covered: a replica stopped while WAIT waits for it, a
// master that goes away while replica-serve-stale-data is no, a replica
// that falls silent under min-replicas-to-write, a master whose clients
// time out while its replica's link is idle.

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cobbledb/cobble/server/servertest"
)

// replicate makes r a replica of m and waits until it is in sync.
func replicate(t *testing.T, r, m *servertest.Node) {
	t.Helper()
	host, port := hostPort(m.Addr)
	if _, err := r.Do("REPLICAOF", host, port); err != nil {
		t.Fatal(err)
	}
	waitInSync(t, m, r)
}

func replInfo(t *testing.T, n *servertest.Node) map[string]string {
	t.Helper()
	s, err := n.Client.Info(context.Background(), "replication").Result()
	if err != nil {
		t.Fatal(err)
	}
	return infoFields(t, s)
}

// waitInSync waits until every replica's link is up at the master's offset.
func waitInSync(t *testing.T, m *servertest.Node, replicas ...*servertest.Node) {
	t.Helper()
	pollFor(t, 10*time.Second, func() error {
		want := replInfo(t, m)["master_repl_offset"]
		for _, r := range replicas {
			ri := replInfo(t, r)
			if ri["master_link_status"] != "up" || ri["slave_repl_offset"] != want {
				return fmt.Errorf("replica %s: link %s offset %s, master at %s", r.Addr, ri["master_link_status"], ri["slave_repl_offset"], want)
			}
		}
		return nil
	})
}

func wantErrText(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil || err.Error() != want {
		t.Fatalf("error %v, want %q", err, want)
	}
}

func TestWait_CountsAcknowledgingReplicas(t *testing.T) {
	ctx := context.Background()
	m := servertest.Start(t)
	r1, r2 := servertest.Start(t), servertest.Start(t)
	replicate(t, r1, m)
	replicate(t, r2, m)
	m.Client.Set(ctx, "k", "v", 0)
	if n, err := m.Client.Wait(ctx, 2, 5*time.Second).Result(); err != nil || n != 2 {
		t.Fatalf("WAIT 2 5000 = %d, %v; want 2", n, err)
	}
	// A WAIT inside MULTI cannot block: it answers at once.
	m.Client.Set(ctx, "k", "v2", 0)
	var inTx *redis.Cmd
	start := time.Now()
	if _, err := m.Client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "k", "v3", 0)
		inTx = p.Do(ctx, "WAIT", 5, 3000)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n, err := inTx.Int64(); time.Since(start) > 2*time.Second || err != nil || n > 2 {
		t.Fatalf("WAIT inside MULTI took %v and answered %d, %v", time.Since(start), n, err)
	}

	r2.Stop()
	m.Client.Set(ctx, "k", "v4", 0)
	start = time.Now()
	n, err := m.Client.Wait(ctx, 2, 300*time.Millisecond).Result()
	if d := time.Since(start); err != nil || n != 1 || d < 300*time.Millisecond || d > 3*time.Second {
		t.Fatalf("WAIT 2 300 with one replica stopped = %d, %v after %v; want 1 after ~300ms", n, err, d)
	}
	r1.Stop()
	m.Client.Set(ctx, "k", "v5", 0)
	start = time.Now()
	n, err = m.Client.Wait(ctx, 1, 200*time.Millisecond).Result()
	if d := time.Since(start); err != nil || n != 0 || d < 200*time.Millisecond || d > 3*time.Second {
		t.Fatalf("WAIT 1 200 with no replica = %d, %v after %v; want 0 after ~200ms", n, err, d)
	}
	wantErrText(t, m.Client.Do(ctx, "WAIT", 1, -1).Err(), "ERR timeout is negative")
}

func TestReplica_RefusesWritesUnlessWritable(t *testing.T) {
	ctx := context.Background()
	m, r := servertest.Start(t), servertest.Start(t)
	replicate(t, r, m)
	wantErrText(t, r.Client.Set(ctx, "k", "v", 0).Err(), "READONLY You can't write against a read only replica.")
	wantErrText(t, r.Client.Wait(ctx, 1, 10).Err(), "ERR WAIT cannot be used with replica instances. Please also note that since Redis 4.0 if a replica is configured to be writable (which is not the default) writes to replicas are just local and are not propagated.")
	// Reads and non-write commands still work.
	m.Client.Set(ctx, "fromMaster", "1", 0)
	waitInSync(t, m, r)
	if v := r.Client.Get(ctx, "fromMaster").Val(); v != "1" {
		t.Fatalf("replica GET = %q", v)
	}

	// Writable: local writes are served, but not logged (the replica's
	// offset stays the master's) nor passed on to its own replicas.
	sub := servertest.Start(t)
	replicate(t, sub, r)
	if err := r.Client.ConfigSet(ctx, "replica-read-only", "no").Err(); err != nil {
		t.Fatal(err)
	}
	before := replInfo(t, r)["master_repl_offset"]
	if err := r.Client.Set(ctx, "local", "1", 0).Err(); err != nil {
		t.Fatalf("SET on a writable replica: %v", err)
	}
	if v := r.Client.Get(ctx, "local").Val(); v != "1" {
		t.Fatalf("local write reads back %q", v)
	}
	if after := replInfo(t, r)["master_repl_offset"]; after != before {
		t.Fatalf("a local write moved the replica's offset %s → %s", before, after)
	}
	m.Client.Set(ctx, "fromMaster", "2", 0)
	waitInSync(t, m, r, sub)
	if n := sub.Client.Exists(ctx, "local").Val(); n != 0 {
		t.Fatal("a local write on a replica reached its own replica")
	}
	if v := sub.Client.Get(ctx, "fromMaster").Val(); v != "2" {
		t.Fatalf("chained replica GET = %q", v)
	}
}

func TestMaster_MinReplicasToWrite(t *testing.T) {
	ctx := context.Background()
	m := servertest.Start(t, servertest.Config("min-replicas-to-write 1", "min-replicas-max-lag 10"))
	wantErrText(t, m.Client.Set(ctx, "k", "v", 0).Err(), "NOREPLICAS Not enough good replicas to write.")
	if v := replInfo(t, m)["min_slaves_good_slaves"]; v != "0" {
		t.Fatalf("min_slaves_good_slaves = %q", v)
	}
	if err := m.Client.Get(ctx, "k").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("reads must still work: %v", err)
	}
	r := servertest.Start(t)
	replicate(t, r, m)
	if err := m.Client.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatalf("SET with a good replica: %v", err)
	}
	if v := replInfo(t, m)["min_slaves_good_slaves"]; v != "1" {
		t.Fatalf("min_slaves_good_slaves = %q", v)
	}
	r.Stop()
	pollFor(t, 10*time.Second, func() error {
		if err := m.Client.Set(ctx, "k", "v", 0).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOREPLICAS") {
			return fmt.Errorf("SET after the replica left: %v", err)
		}
		return nil
	})
}

func TestRole_MasterAndReplica(t *testing.T) {
	ctx := context.Background()
	m, r := servertest.Start(t), servertest.Start(t)
	replicate(t, r, m)
	m.Client.Set(ctx, "k", "v", 0)
	waitInSync(t, m, r)
	host, port := hostPort(m.Addr)
	_, rport := hostPort(r.Addr)
	p, _ := strconv.Atoi(port)
	// The master lists the replica with its last acknowledged offset; the
	// offsets move with the master's PINGs, so both are read until they
	// agree.
	pollFor(t, 5*time.Second, func() error {
		off, _ := strconv.ParseInt(replInfo(t, m)["master_repl_offset"], 10, 64)
		got := fmt.Sprint(m.Client.Do(ctx, "ROLE").Val())
		want := fmt.Sprint([]any{"master", off, []any{[]any{"127.0.0.1", rport, strconv.FormatInt(off, 10)}}})
		if got != want {
			return fmt.Errorf("master ROLE %s, want %s", got, want)
		}
		got = fmt.Sprint(r.Client.Do(ctx, "ROLE").Val())
		if want := fmt.Sprint([]any{"slave", host, int64(p), "connected", off}); got != want {
			return fmt.Errorf("replica ROLE %s, want %s", got, want)
		}
		return nil
	})
}

func TestInfo_ReplicationFields(t *testing.T) {
	ctx := context.Background()
	m, r := servertest.Start(t), servertest.Start(t)
	replicate(t, r, m)
	m.Client.Set(ctx, "k", "v", 0)
	waitInSync(t, m, r)
	mi, ri := replInfo(t, m), replInfo(t, r)
	_, rport := hostPort(r.Addr)
	host, port := hostPort(m.Addr)
	for k, v := range map[string]string{
		"role": "master", "connected_slaves": "1", "master_failover_state": "no-failover",
		"master_replid2": "0000000000000000000000000000000000000000", "second_repl_offset": "-1",
		"repl_backlog_active": "1", "repl_backlog_first_byte_offset": "1", "repl_backlog_histlen": mi["master_repl_offset"],
	} {
		if mi[k] != v {
			t.Errorf("master %s = %q, want %q", k, mi[k], v)
		}
	}
	if s := mi["slave0"]; !strings.HasPrefix(s, "ip=127.0.0.1,port="+rport+",state=online,offset=") {
		t.Errorf("master slave0 = %q", s)
	}
	for k, v := range map[string]string{
		"role": "slave", "master_host": host, "master_port": port, "master_link_status": "up",
		"master_sync_in_progress": "0", "slave_read_only": "1", "slave_priority": "100", "replica_announced": "1",
		"connected_slaves": "0", "master_failover_state": "no-failover",
		"master_replid": mi["master_replid"], "master_repl_offset": mi["master_repl_offset"],
		"slave_repl_offset": mi["master_repl_offset"], "slave_read_repl_offset": mi["master_repl_offset"],
	} {
		if ri[k] != v {
			t.Errorf("replica %s = %q, want %q", k, ri[k], v)
		}
	}
	if _, ok := ri["master_link_down_since_seconds"]; ok {
		t.Error("master_link_down_since_seconds on a connected replica")
	}
	if n, _ := strconv.Atoi(ri["master_last_io_seconds_ago"]); n < 0 || n > 5 {
		t.Errorf("master_last_io_seconds_ago = %q", ri["master_last_io_seconds_ago"])
	}
}

// TestReplica_ServeStaleDataNo: with the link down, a replica answers
// MASTERDOWN to what needs data, and still to INFO, ROLE, REPLICAOF.
func TestReplica_ServeStaleDataNo(t *testing.T) {
	ctx := context.Background()
	m := servertest.Start(t)
	r := servertest.Start(t, servertest.Config("replica-serve-stale-data no"))
	replicate(t, r, m)
	m.Client.Set(ctx, "k", "v", 0)
	waitInSync(t, m, r)
	if v := r.Client.Get(ctx, "k").Val(); v != "v" {
		t.Fatalf("GET with the link up = %q", v)
	}
	m.Stop()
	masterDown := "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'."
	pollFor(t, 10*time.Second, func() error {
		if err := r.Client.Get(ctx, "k").Err(); err == nil || err.Error() != masterDown {
			return fmt.Errorf("GET with the link down: %v", err)
		}
		return nil
	})
	wantErrText(t, r.Client.Do(ctx, "DBSIZE").Err(), masterDown)
	// READONLY comes first for writes, as in Redis.
	wantErrText(t, r.Client.Set(ctx, "k", "v", 0).Err(), "READONLY You can't write against a read only replica.")
	if ri := replInfo(t, r); ri["master_link_status"] != "down" || ri["master_link_down_since_seconds"] == "" {
		t.Fatalf("INFO with the link down: %v", ri)
	}
	if role := r.Client.Do(ctx, "ROLE").Val().([]any); role[0] != "slave" || role[3] != "connect" && role[3] != "connecting" {
		t.Fatalf("ROLE with the link down: %v", role)
	}
	if _, err := r.Do("REPLICAOF", "NO", "ONE"); err != nil {
		t.Fatal(err)
	}
	if v := r.Client.Get(ctx, "k").Val(); v != "v" {
		t.Fatalf("GET after REPLICAOF NO ONE = %q", v)
	}
}

// TestReplica_ExpiredKeys: a replica never expires keys itself (its
// master's DELs do) but never serves an expired key either.
func TestReplica_ExpiredKeys(t *testing.T) {
	ctx := context.Background()
	m, r := servertest.Start(t, servertest.Config("enable-debug-command yes")), servertest.Start(t)
	replicate(t, r, m)
	if err := m.Client.Do(ctx, "DEBUG", "SET-ACTIVE-EXPIRE", "0").Err(); err != nil {
		t.Fatal(err)
	}
	m.Client.Set(ctx, "k", "v", 100*time.Millisecond)
	m.Client.Set(ctx, "keep", "v", 0)
	waitInSync(t, m, r)
	pollFor(t, 5*time.Second, func() error {
		if n := r.Client.Exists(ctx, "k").Val(); n != 0 {
			return fmt.Errorf("EXISTS of an expired key on the replica = %d", n)
		}
		return nil
	})
	if err := r.Client.Get(ctx, "k").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("GET of an expired key on the replica: %v", err)
	}
	if n := r.Client.DBSize(ctx).Val(); n != 2 {
		t.Fatalf("replica DBSIZE = %d: it deleted the expired key itself", n)
	}
	// The master's active expiry deletes it and sends the DEL.
	if err := m.Client.Do(ctx, "DEBUG", "SET-ACTIVE-EXPIRE", "1").Err(); err != nil {
		t.Fatal(err)
	}
	pollFor(t, 5*time.Second, func() error {
		if n := r.Client.DBSize(ctx).Val(); n != 1 {
			return fmt.Errorf("replica DBSIZE after the master's DEL = %d", n)
		}
		return nil
	})
	if v := r.Client.Get(ctx, "keep").Val(); v != "v" {
		t.Fatalf("replica lost a key without TTL: %q", v)
	}
}

// TestReplica_StreamDBAfterFullSync: the master's stream was in db 5
// before the replica attached; its first command after the full resync
// must still land in db 5.
func TestReplica_StreamDBAfterFullSync(t *testing.T) {
	ctx := context.Background()
	m, r := servertest.Start(t), servertest.Start(t)
	c5 := redis.NewClient(&redis.Options{Addr: m.Addr, Protocol: 2, DisableIdentity: true, DB: 5})
	defer c5.Close()
	c5.Set(ctx, "before", "1", 0)
	replicate(t, r, m)
	c5.Set(ctx, "after", "1", 0)
	waitInSync(t, m, r)
	r5 := redis.NewClient(&redis.Options{Addr: r.Addr, Protocol: 2, DisableIdentity: true, DB: 5})
	defer r5.Close()
	if n := r5.Exists(ctx, "before", "after").Val(); n != 2 {
		t.Fatalf("replica db 5 has %d of 2 keys; db 0 has %d", n, r.Client.DBSize(ctx).Val())
	}
}

// TestMaster_TimeoutSparesReplicas: the master's idle timeout closes idle
// clients, never a replica's link.
func TestMaster_TimeoutSparesReplicas(t *testing.T) {
	ctx := context.Background()
	m := servertest.Start(t, servertest.Config("timeout 1", "repl-ping-replica-period 60"))
	r := servertest.Start(t)
	replicate(t, r, m)
	idle := m.NewClient()
	idle.Ping(ctx)
	// The idle client goes; the replica, connected for longer, stays.
	pollFor(t, 10*time.Second, func() error {
		s := m.Client.ClientList(ctx).Val()
		if n := strings.Count(s, "\n"); n > 2 {
			return fmt.Errorf("%d clients still connected", n)
		}
		return nil
	})
	m.Client.Set(ctx, "k", "v", 0)
	waitInSync(t, m, r)
	if v := r.Client.Get(ctx, "k").Val(); v != "v" {
		t.Fatalf("replica GET = %q", v)
	}
	mi := replInfo(t, m)
	if mi["connected_slaves"] != "1" {
		t.Fatalf("connected_slaves = %s", mi["connected_slaves"])
	}
	if s, _ := m.Client.Info(ctx, "stats").Result(); !strings.Contains(s, "sync_full:1\r\n") || !strings.Contains(s, "sync_partial_ok:0\r\n") {
		t.Fatalf("the replica reconnected: %s", s)
	}
}

// TestReplicaOf_InsideMulti: changing the role inside EXEC is refused (it
// would wait for the executor EXEC runs in).
func TestReplicaOf_InsideMulti(t *testing.T) {
	ctx := context.Background()
	m, r := servertest.Start(t), servertest.Start(t)
	replicate(t, r, m)
	_, err := r.Client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Do(ctx, "REPLICAOF", "NO", "ONE")
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "not allowed inside a transaction") {
		t.Fatalf("REPLICAOF inside MULTI: %v", err)
	}
	if err := r.Client.Get(ctx, "k").Err(); !errors.Is(err, redis.Nil) {
		t.Fatalf("the node is stuck: %v", err)
	}
	if role := replInfo(t, r)["role"]; role != "slave" {
		t.Fatalf("role %s", role)
	}
}

// TestPSync_DisklessWaitsForFirstAck plays a replica by hand: after an
// EOF-marked RDB the master must send nothing until the replica's first
// REPLCONF ACK (a replica looks for the mark at the end of each read, so
// stream bytes right behind it would hide it), then the stream, starting
// with a SELECT.
func TestPSync_DisklessWaitsForFirstAck(t *testing.T) {
	ctx := context.Background()
	m := servertest.Start(t)
	m.Client.Set(ctx, "old", "1", 0)
	nc, err := net.Dial("tcp", m.Addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	br := bufio.NewReader(nc)
	send := func(args ...string) {
		t.Helper()
		var sb strings.Builder
		fmt.Fprintf(&sb, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(&sb, "$%d\r\n%s\r\n", len(a), a)
		}
		if _, err := nc.Write([]byte(sb.String())); err != nil {
			t.Fatal(err)
		}
	}
	line := func() string {
		t.Helper()
		nc.SetReadDeadline(time.Now().Add(5 * time.Second))
		l, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimRight(l, "\r\n")
	}
	send("REPLCONF", "capa", "eof", "capa", "psync2")
	if l := line(); l != "+OK" {
		t.Fatalf("REPLCONF: %s", l)
	}
	send("PSYNC", "?", "-1")
	full := line()
	if !strings.HasPrefix(full, "+FULLRESYNC ") {
		t.Fatalf("PSYNC: %s", full)
	}
	// A write right behind the snapshot.
	m.Client.Set(ctx, "new", "1", 0)
	hdr := line()
	if !strings.HasPrefix(hdr, "$EOF:") {
		t.Fatalf("RDB header %q", hdr)
	}
	mark := []byte(hdr[5:])
	var got []byte
	for !bytes.HasSuffix(got, mark) {
		b, err := br.ReadByte()
		if err != nil {
			t.Fatalf("reading the RDB: %v", err)
		}
		got = append(got, b)
	}
	// Nothing may follow the mark before the ACK.
	nc.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if b, err := br.ReadByte(); err == nil {
		t.Fatalf("the master sent %q right behind the EOF mark, before the replica's ACK", b)
	}
	off := strings.Fields(full)[2]
	send("REPLCONF", "ACK", off)
	nc.SetReadDeadline(time.Now().Add(5 * time.Second))
	var stream []byte
	for !bytes.Contains(stream, []byte("$3\r\nnew\r\n")) {
		b, err := br.ReadByte()
		if err != nil {
			t.Fatalf("stream after the ACK: %q, %v", stream, err)
		}
		stream = append(stream, b)
	}
	if !bytes.HasPrefix(stream, []byte("*2\r\n$6\r\nSELECT\r\n")) {
		t.Fatalf("the stream does not start with SELECT: %q", stream)
	}
}

// replConn plays a replica (or a client) by hand, command by command.
type replConn struct {
	t  *testing.T
	nc net.Conn
	br *bufio.Reader
}

func dialRepl(t *testing.T, addr string) *replConn {
	t.Helper()
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &replConn{t: t, nc: nc, br: bufio.NewReaderSize(nc, 64<<10)}
}

func (c *replConn) send(args ...string) {
	c.t.Helper()
	var sb strings.Builder
	fmt.Fprintf(&sb, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&sb, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.nc.Write([]byte(sb.String())); err != nil {
		c.t.Fatal(err)
	}
}

func (c *replConn) line() string {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	l, err := c.br.ReadString('\n')
	if err != nil {
		c.t.Fatal(err)
	}
	return strings.TrimRight(l, "\r\n")
}

// psync sends PSYNC replid offset and returns the master's answer line.
func (c *replConn) psync(replid string, offset int64) string {
	c.t.Helper()
	c.send("REPLCONF", "capa", "eof", "capa", "psync2")
	if l := c.line(); l != "+OK" {
		c.t.Fatalf("REPLCONF capa: %s", l)
	}
	c.send("PSYNC", replid, strconv.FormatInt(offset, 10))
	return c.line()
}

// TestMaster_BacklogRetention: the log on disk is the backlog. Whole
// segments (64 MB) are removed at a checkpoint once they end before both
// the checkpointed offset and master_repl_offset - repl-backlog-size; a
// PSYNC can continue from any offset still in the log
// (repl_backlog_first_byte_offset … master_repl_offset+1) and from no
// other.
func TestMaster_BacklogRetention(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 80 MB")
	}
	ctx := context.Background()
	m := servertest.Start(t, servertest.Config("repl-backlog-size 200mb", "repl-ping-replica-period 3600"))
	big := strings.Repeat("x", 1<<20)
	write := func(prefix string, mb int) {
		t.Helper()
		for i := 0; i < mb; i += 8 {
			if _, err := m.Client.Pipelined(ctx, func(p redis.Pipeliner) error {
				for j := i; j < min(mb, i+8); j++ {
					p.Set(ctx, fmt.Sprintf("%s:%d", prefix, j), big, 0)
				}
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
		// Keep the data set small: a full resync below sends it.
		if err := m.Client.FlushAll(ctx).Err(); err != nil {
			t.Fatal(err)
		}
	}
	infoInt := func(k string) int64 {
		t.Helper()
		v, err := strconv.ParseInt(replInfo(t, m)[k], 10, 64)
		if err != nil {
			t.Fatalf("INFO %s: %v", k, err)
		}
		return v
	}
	// 72 MB: past the first segment, checkpoints every 8 MB; with a 200 MB
	// backlog nothing may go.
	write("a", 72)
	pollFor(t, 10*time.Second, func() error {
		if n := infoInt("master_repl_offset"); n < 72<<20 {
			return fmt.Errorf("offset %d", n)
		}
		return nil
	})
	ckpt := func() {
		// A checkpoint runs every 8 MB of log or 5 s: write past 8 MB.
		write("c", 9)
	}
	ckpt()
	if first := infoInt("repl_backlog_first_byte_offset"); first != 1 {
		t.Fatalf("with a 200 MB backlog the log starts at %d", first)
	}
	if err := m.Client.ConfigSet(ctx, "repl-backlog-size", "1mb").Err(); err != nil {
		t.Fatal(err)
	}
	var first int64
	pollFor(t, 20*time.Second, func() error {
		if first = infoInt("repl_backlog_first_byte_offset"); first == 1 {
			ckpt()
			return errors.New("the first segment is still there")
		}
		return nil
	})
	end := infoInt("master_repl_offset")
	if first-1 < 64<<20 || end-(first-1) < 1<<20 {
		t.Fatalf("log kept from %d to %d: want it to start at a segment boundary (>= 64 MB) with >= 1 MB kept", first-1, end)
	}
	replid := replInfo(t, m)["master_replid"]
	if l := dialRepl(t, m.Addr).psync(replid, first-1); !strings.HasPrefix(l, "+FULLRESYNC ") {
		t.Fatalf("PSYNC one byte before the log: %s", l)
	}
	// With a replica connected the master PINGs once (then not for an
	// hour): wait for it, so the end offset stays put.
	pollFor(t, 10*time.Second, func() error {
		if n := infoInt("master_repl_offset"); n != end+14 {
			return fmt.Errorf("offset %d, want %d", n, end+14)
		}
		return nil
	})
	end += 14
	if l := dialRepl(t, m.Addr).psync(replid, first); l != "+CONTINUE "+replid {
		t.Fatalf("PSYNC at the log's first byte %d: %s", first, l)
	}
	if l := dialRepl(t, m.Addr).psync(replid, end+1); l != "+CONTINUE "+replid {
		t.Fatalf("PSYNC at the log's end %d: %s", end+1, l)
	}
	if l := dialRepl(t, m.Addr).psync(replid, end+2); !strings.HasPrefix(l, "+FULLRESYNC ") {
		t.Fatalf("PSYNC past the log's end: %s", l)
	}
	t.Logf("log kept %d bytes (offsets %d…%d) after %d written, repl-backlog-size 1mb", end-(first-1), first-1, end, end)
}

// TestReplica_MasterAuth: masterauth and masteruser are sent to the
// master, and a change by CONFIG SET applies at the next connection.
func TestReplica_MasterAuth(t *testing.T) {
	ctx := context.Background()
	m := servertest.Start(t, servertest.Config("requirepass secret"))
	mc := redis.NewClient(&redis.Options{Addr: m.Addr, Protocol: 2, DisableIdentity: true, Password: "secret"})
	m.Client.Close()
	m.Client = mc // closed with the node
	mc.Set(ctx, "k", "v", 0)
	conns := func() int64 {
		s := mc.Info(ctx, "stats").Val()
		n, _ := strconv.ParseInt(infoFields(t, s)["total_connections_received"], 10, 64)
		return n
	}
	r := servertest.Start(t, servertest.Config("masterauth wrong"))
	host, port := hostPort(m.Addr)
	if _, err := r.Do("REPLICAOF", host, port); err != nil {
		t.Fatal(err)
	}
	refused := func(what string) {
		t.Helper()
		// Two attempts seen by the master, and no sync.
		base := conns()
		pollFor(t, 10*time.Second, func() error {
			if n := conns(); n < base+2 {
				return fmt.Errorf("%s: %d connection attempts", what, n-base)
			}
			return nil
		})
		if ri := replInfo(t, r); ri["master_link_status"] != "down" {
			t.Fatalf("%s: link %s", what, ri["master_link_status"])
		}
		if s := mc.Info(ctx, "stats").Val(); !strings.Contains(s, "sync_full:0\r\n") {
			t.Fatalf("%s: the master served a sync", what)
		}
	}
	refused("wrong masterauth")
	// masteruser first: the right password alone would let a connection
	// in between succeed.
	r.Client.ConfigSet(ctx, "masteruser", "nobody")
	r.Client.ConfigSet(ctx, "masterauth", "secret")
	refused("masteruser nobody")
	r.Client.ConfigSet(ctx, "masteruser", "default")
	waitInSync(t, m, r)
	if v := r.Client.Get(ctx, "k").Val(); v != "v" {
		t.Fatalf("replica GET = %q", v)
	}
}

// TestReplica_AnnounceIPAndPort: the master lists the replica with
// replica-announce-ip and replica-announce-port.
func TestReplica_AnnounceIPAndPort(t *testing.T) {
	ctx := context.Background()
	m := servertest.Start(t)
	r := servertest.Start(t, servertest.Config("replica-announce-ip 10.1.2.3", "replica-announce-port 7777", "replica-priority 7"))
	replicate(t, r, m)
	if s := replInfo(t, m)["slave0"]; !strings.HasPrefix(s, "ip=10.1.2.3,port=7777,state=online,") {
		t.Fatalf("master slave0 = %q", s)
	}
	role := fmt.Sprint(m.Client.Do(ctx, "ROLE").Val())
	if !strings.Contains(role, "[10.1.2.3 7777 ") {
		t.Fatalf("master ROLE = %s", role)
	}
	// replica-priority is what the replica reports (Sentinel reads it).
	if p := replInfo(t, r)["slave_priority"]; p != "7" {
		t.Fatalf("slave_priority = %s", p)
	}
	r.Client.ConfigSet(ctx, "replica-priority", "0")
	if p := replInfo(t, r)["slave_priority"]; p != "0" {
		t.Fatalf("slave_priority after CONFIG SET = %s", p)
	}
}

// fakeMaster answers a replica's handshake with a full resync of an empty
// RDB and then sends nothing. It reports the time of every connection.
func fakeMaster(t *testing.T) (string, chan time.Time) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan time.Time, 16)
	emptyRDB := "REDIS0011\xff\x00\x00\x00\x00\x00\x00\x00\x00"
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- time.Now()
			go func() {
				defer nc.Close()
				br := bufio.NewReader(nc)
				for {
					line, err := br.ReadString('\n')
					if err != nil {
						return
					}
					n, _ := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "*")))
					var args []string
					for range n {
						br.ReadString('\n') // $len
						a, err := br.ReadString('\n')
						if err != nil {
							return
						}
						args = append(args, strings.TrimRight(a, "\r\n"))
					}
					if len(args) == 0 {
						continue
					}
					switch strings.ToUpper(args[0]) {
					case "PING":
						nc.Write([]byte("+PONG\r\n"))
					case "PSYNC":
						fmt.Fprintf(nc, "+FULLRESYNC %s 0\r\n$%d\r\n%s", strings.Repeat("a", 40), len(emptyRDB), emptyRDB)
					case "REPLCONF":
						if len(args) > 1 && strings.EqualFold(args[1], "ack") {
							continue // no answer to ACKs
						}
						nc.Write([]byte("+OK\r\n"))
					default:
						nc.Write([]byte("+OK\r\n"))
					}
				}
			}()
		}
	}()
	return ln.Addr().String(), accepted
}

// TestReplica_ReplTimeout: a master that falls silent is dropped after
// repl-timeout seconds, and the replica connects again.
func TestReplica_ReplTimeout(t *testing.T) {
	addr, accepted := fakeMaster(t)
	r := servertest.Start(t, servertest.Config("repl-timeout 1"))
	host, port := hostPort(addr)
	if _, err := r.Do("REPLICAOF", host, port); err != nil {
		t.Fatal(err)
	}
	first := <-accepted
	pollFor(t, 5*time.Second, func() error {
		if s := replInfo(t, r)["master_link_status"]; s != "up" {
			return fmt.Errorf("link %s", s)
		}
		return nil
	})
	select {
	case second := <-accepted:
		// 1 s of silence, then the retry interval (1 s).
		if d := second.Sub(first); d < 900*time.Millisecond || d > 8*time.Second {
			t.Fatalf("reconnected %v after the first connection, want ~2 s", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the replica kept a silent master for 10 s with repl-timeout 1")
	}
}

// TestMaster_ReplTimeout: a replica that stops acknowledging is dropped
// after repl-timeout seconds, even while the master PINGs it.
func TestMaster_ReplTimeout(t *testing.T) {
	m := servertest.Start(t, servertest.Config("repl-timeout 1", "repl-ping-replica-period 1"))
	c := dialRepl(t, m.Addr)
	full := c.psync("?", -1)
	if !strings.HasPrefix(full, "+FULLRESYNC ") {
		t.Fatalf("PSYNC: %s", full)
	}
	hdr := c.line()
	mark := []byte(strings.TrimPrefix(hdr, "$EOF:"))
	var got []byte
	for !bytes.HasSuffix(got, mark) {
		b, err := c.br.ReadByte()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, b)
	}
	c.send("REPLCONF", "ACK", strings.Fields(full)[2])
	start := time.Now()
	c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	_, err := io.Copy(io.Discard, c.br) // PINGs, then the close
	if d := time.Since(start); err != nil || d < 900*time.Millisecond || d > 8*time.Second {
		t.Fatalf("the master closed the silent replica's link after %v (%v), want ~1 s", d, err)
	}
	pollFor(t, 5*time.Second, func() error {
		if n := replInfo(t, m)["connected_slaves"]; n != "0" {
			return fmt.Errorf("connected_slaves %s", n)
		}
		return nil
	})
}

// TestMaster_PingReplicaPeriod: an idle master with replicas logs a PING
// every repl-ping-replica-period seconds (14 bytes each), which the
// replicas apply like any stream command.
func TestMaster_PingReplicaPeriod(t *testing.T) {
	ctx := context.Background()
	m := servertest.Start(t, servertest.Config("repl-ping-replica-period 1"))
	r := servertest.Start(t)
	replicate(t, r, m)
	off := func() int64 {
		n, _ := strconv.ParseInt(replInfo(t, m)["master_repl_offset"], 10, 64)
		return n
	}
	base := off()
	start := time.Now()
	pollFor(t, 10*time.Second, func() error {
		if d := off() - base; d < 2*14 {
			return fmt.Errorf("offset moved by %d", d)
		}
		return nil
	})
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Fatalf("two PINGs within %v with repl-ping-replica-period 1", d)
	}
	if d := off() - base; d%14 != 0 {
		t.Fatalf("offset moved by %d: not whole PINGs", d)
	}
	waitInSync(t, m, r)
	// A long period: the offset stays put (an observation window, not a wait).
	m.Client.ConfigSet(ctx, "repl-ping-replica-period", "3600")
	pollFor(t, 5*time.Second, func() error {
		base = off()
		time.Sleep(1500 * time.Millisecond)
		if d := off() - base; d != 0 {
			return fmt.Errorf("offset moved by %d in 1.5 s with repl-ping-replica-period 3600", d)
		}
		return nil
	})
}
