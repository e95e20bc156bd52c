package waitread_test

import (
	"errors"
	"io"
	"net"
	"testing"
	"time"

	"github.com/meshctl/meshctl/proxy/waitread"
)

func pair(t *testing.T) (client, server *net.TCPConn) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

// TestSendSeesAnAnswerThatCameFirst: the answer arrives, and the runtime's poller takes its edge,
// before the wait begins (send returns only then): the wait still sees it, because the readiness
// was reset before send ran. A wait begun after the message was sent sleeps until its deadline.
func TestSendSeesAnAnswerThatCameFirst(t *testing.T) {
	client, server := pair(t)
	go func() {
		buf := make([]byte, 16)
		for {
			n, err := server.Read(buf)
			if err != nil {
				return
			}
			_, _ = server.Write(buf[:n])
		}
	}()
	rc := waitread.Raw(client)
	if rc == nil {
		t.Fatal("no raw socket for a TCP connection")
	}
	rd := waitread.New(rc)
	var first, buf [16]byte
	// The connection's first read is an ordinary one, as callers do.
	_, _ = client.Write([]byte("one"))
	if n, err := client.Read(first[:]); err != nil || string(first[:n]) != "one" {
		t.Fatalf("first exchange: %q %v", first[:n], err)
	}
	for i := 0; i < 3; i++ {
		_ = client.SetReadDeadline(time.Now().Add(2 * time.Second))
		n, err := rd.Send(buf[:], func() error {
			if _, err := client.Write([]byte("ping")); err != nil {
				return err
			}
			time.Sleep(20 * time.Millisecond) // the echo arrives; the idle poller takes its edge
			return nil
		})
		if err != nil || string(buf[:n]) != "ping" {
			t.Fatalf("exchange %d: %q %v", i, buf[:n], err)
		}
	}
}

// TestSendMissesWhatCameBefore is why callers bound the wait: bytes that arrived (and whose edge
// the poller took) before Send began are not announced to its wait.
func TestSendMissesWhatCameBefore(t *testing.T) {
	client, server := pair(t)
	_, _ = server.Write([]byte("early"))
	time.Sleep(20 * time.Millisecond)
	_ = client.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	var buf [16]byte
	_, err := waitread.New(waitread.Raw(client)).Send(buf[:], func() error { return nil })
	if !waitread.Expired(err) {
		t.Fatalf("wait: %v, want the deadline (the runtime's poller changed: the bound may not be needed)", err)
	}
	_ = client.SetReadDeadline(time.Now().Add(time.Second))
	if n, err := client.Read(buf[:]); err != nil || string(buf[:n]) != "early" {
		t.Errorf("plain read after the wait: %q %v", buf[:n], err)
	}
}

func TestSendReportsTheSendAndTheEnd(t *testing.T) {
	client, server := pair(t)
	rd := waitread.New(waitread.Raw(client))
	var buf [16]byte
	boom := errors.New("boom")
	_, err := rd.Send(buf[:], func() error { return boom })
	var se *waitread.SendError
	if !errors.As(err, &se) || !errors.Is(err, boom) {
		t.Errorf("failed send: %v, want a SendError wrapping it", err)
	}
	_ = client.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err = rd.Send(buf[:], func() error { return server.CloseWrite() })
	if !errors.Is(err, io.EOF) {
		t.Errorf("peer's FIN after the send: %v, want io.EOF", err)
	}
}

func TestRawOnlyForPlainTCP(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if waitread.Raw(a) != nil {
		t.Error("a raw socket for a pipe")
	}
	client, _ := pair(t)
	if waitread.Raw(wrapped{client, client}) == nil {
		t.Error("no raw socket through TCPConn()")
	}
}

type wrapped struct {
	net.Conn
	tc *net.TCPConn
}

func (w wrapped) TCPConn() *net.TCPConn { return w.tc }

// TestReadAfterBound tells bytes that were already there from bytes that came later.
func TestReadAfterBound(t *testing.T) {
	client, server := pair(t)
	rd := waitread.New(waitread.Raw(client))
	_ = client.SetReadDeadline(time.Now().Add(2 * time.Second))
	var buf [16]byte
	_, _ = server.Write([]byte("there"))
	time.Sleep(20 * time.Millisecond)
	if n, early, err := rd.ReadAfterBound(buf[:]); err != nil || !early || string(buf[:n]) != "there" {
		t.Errorf("bytes already there: %q early %v %v, want early", buf[:n], early, err)
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		_, _ = server.Write([]byte("later"))
	}()
	if n, early, err := rd.ReadAfterBound(buf[:]); err != nil || early || string(buf[:n]) != "later" {
		t.Errorf("bytes that came later: %q early %v %v, want not early", buf[:n], early, err)
	}
}
