package listener

import (
	"bytes"
	"testing"

	"github.com/meshctl/meshctl/proxy/ir"
)

// FuzzClassifyHTTP: the sniffer's decision on a prefix never contradicts its decision on more bytes:
// once it says HTTP/1, h2c or "not HTTP", longer input says the same.
func FuzzClassifyHTTP(f *testing.F) {
	for _, s := range []string{"GET / HTTP/1.1\r\n", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", "\x16\x03\x01", "SSH-2.0-x\r\n", "POST /a b HTTP/1.0\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		final := classifyHTTP(b)
		for i := 1; i < len(b); i++ {
			if got := classifyHTTP(b[:i]); got != "?" && got != final {
				t.Fatalf("%q: %q after %d bytes, %q after all", b, got, i, final)
			}
		}
		if final == ir.ProtocolH2C && !bytes.HasPrefix(b, []byte(h2Preface)) {
			t.Fatalf("%q called h2c", b)
		}
	})
}
