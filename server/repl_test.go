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
