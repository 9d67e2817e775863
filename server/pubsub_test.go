package server_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/cobbledb/cobble/server/servertest"
)

func receive(t *testing.T, ps *redis.PubSub) *redis.Message {
	t.Helper()
	m, err := ps.ReceiveTimeout(ctx, 5*time.Second)
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	msg, ok := m.(*redis.Message)
	if !ok {
		t.Fatalf("received %T %v", m, m)
	}
	return msg
}

func TestPubSub_ChannelsAndPatterns(t *testing.T) {
	n := servertest.Start(t)
	pub := n.Client
	ps := n.NewClient().Subscribe(ctx, "news")
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil { // subscribe confirmation
		t.Fatal(err)
	}
	pps := n.NewClient().PSubscribe(ctx, "ne*")
	defer pps.Close()
	if _, err := pps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	if got := pub.Publish(ctx, "news", "hello").Val(); got != 2 {
		t.Fatalf("PUBLISH receivers = %d", got)
	}
	if m := receive(t, ps); m.Channel != "news" || m.Payload != "hello" {
		t.Fatalf("message %+v", m)
	}
	if m := receive(t, pps); m.Pattern != "ne*" || m.Channel != "news" || m.Payload != "hello" {
		t.Fatalf("pmessage %+v", m)
	}
	if chs := pub.PubSubChannels(ctx, "*").Val(); len(chs) != 1 || chs[0] != "news" {
		t.Fatalf("PUBSUB CHANNELS = %v", chs)
	}
	if m := pub.PubSubNumSub(ctx, "news", "other").Val(); m["news"] != 1 || m["other"] != 0 {
		t.Fatalf("PUBSUB NUMSUB = %v", m)
	}
	if v := pub.PubSubNumPat(ctx).Val(); v != 1 {
		t.Fatalf("PUBSUB NUMPAT = %d", v)
	}
	ps.Unsubscribe(ctx, "news")
	deadline := time.Now().Add(5 * time.Second)
	for pub.PubSubNumSub(ctx, "news").Val()["news"] != 0 {
		if time.Now().After(deadline) {
			t.Fatal("UNSUBSCRIBE not applied")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPubSub_SubscribedModeRestrictions(t *testing.T) {
	n := servertest.Start(t)
	nc, r := rawConn(t, n.Addr)
	nc.Write([]byte("SUBSCRIBE ch\r\nGET k\r\nPING\r\n"))
	for _, want := range []string{"*3", "$9", "subscribe", "$2", "ch", ":1",
		"-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context",
		"*2", "$4", "pong", "$0", ""} {
		if got := readLine(t, r); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
	nc.Write([]byte("UNSUBSCRIBE\r\nGET k\r\n"))
	for _, want := range []string{"*3", "$11", "unsubscribe", "$2", "ch", ":0", "$-1"} {
		if got := readLine(t, r); got != want {
			t.Fatalf("got %q, want %q", got, want)
		}
	}
}

func TestPubSub_KeyspaceNotifications(t *testing.T) {
	n := servertest.Start(t, servertest.Config("notify-keyspace-events KEA"))
	ps := n.NewClient().PSubscribe(ctx, "__key*__:*")
	defer ps.Close()
	if _, err := ps.Receive(ctx); err != nil {
		t.Fatal(err)
	}
	c := n.Client
	c.Set(ctx, "k", "v", 0)
	want := []struct{ ch, payload string }{
		{"__keyspace@0__:k", "set"}, {"__keyevent@0__:set", "k"},
	}
	for _, w := range want {
		if m := receive(t, ps); m.Channel != w.ch || m.Payload != w.payload {
			t.Fatalf("got %s %s, want %s %s", m.Channel, m.Payload, w.ch, w.payload)
		}
	}
	c.PExpire(ctx, "k", 20*time.Millisecond)
	receive(t, ps)
	receive(t, ps) // expire events
	// The key expires on its own: "expired" events.
	if m := receive(t, ps); m.Channel != "__keyspace@0__:k" || m.Payload != "expired" {
		t.Fatalf("expiry event %s %s", m.Channel, m.Payload)
	}
}

// TestPubSub_ClosedSubscriberForgotten checks that a subscriber that goes
// away without unsubscribing stops counting as a receiver.
func TestPubSub_ClosedSubscriberForgotten(t *testing.T) {
	n := servertest.Start(t)
	nc, r := rawConn(t, n.Addr)
	nc.Write([]byte("SUBSCRIBE gone\r\n"))
	for range 6 { // *3 $9 subscribe $4 gone :1
		readLine(t, r)
	}
	if got := n.Client.PubSubNumSub(ctx, "gone").Val()["gone"]; got != 1 {
		t.Fatalf("PUBSUB NUMSUB = %d before the close", got)
	}
	nc.Close()
	pollFor(t, 5*time.Second, func() error {
		if got := n.Client.Publish(ctx, "gone", "x").Val(); got != 0 {
			return fmt.Errorf("PUBLISH still reaches %d receivers", got)
		}
		return nil
	})
}

// TestPubSub_PublishToSelfAfterReply checks that a RESP3 client publishing
// to a channel it is subscribed to gets the reply first, then the message
// (after the whole EXEC reply inside MULTI), as in Redis.
func TestPubSub_PublishToSelfAfterReply(t *testing.T) {
	n := servertest.Start(t)
	nc, r := rawConn(t, n.Addr)
	nc.Write([]byte("HELLO 3\r\nPING endofhello\r\n"))
	for readLine(t, r) != "endofhello" { // skip HELLO's map
	}
	nc.Write([]byte("SUBSCRIBE ch\r\nPUBLISH ch m1\r\nMULTI\r\nPUBLISH ch m2\r\nPING\r\nEXEC\r\n"))
	var got []string
	for len(got) < 19 {
		got = append(got, readLine(t, r))
	}
	want := []string{">3", "$9", "subscribe", "$2", "ch", ":1", // SUBSCRIBE
		":1", ">3", "$7", "message", "$2", "ch", "$2", "m1", // PUBLISH, then its message
		"+OK", "+QUEUED", "+QUEUED", "*2", ":1"} // MULTI … EXEC
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
	for _, w := range []string{"+PONG", ">3", "$7", "message", "$2", "ch", "$2", "m2"} {
		if l := readLine(t, r); l != w {
			t.Fatalf("after EXEC got %q, want %q", l, w)
		}
	}
}
