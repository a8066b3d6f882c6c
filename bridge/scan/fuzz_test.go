package scan

import (
	"bytes"
	"errors"
	"os"
	"testing"

	"github.com/accessbridge/accessbridge/policy"
)

// FuzzDecodeTickets: the bridge-ticket export decoder never panics, and
// whatever it decodes scans without panicking.
func FuzzDecodeTickets(f *testing.F) {
	data, err := os.ReadFile("testdata/tickets.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`[{"key":"A-1","status":"Done","fields":{"verdict":"allowed","category":"access_grant","rule":"std","resolved":"x"},"comments":[{"body":"/approve"}]}]`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`[{}`))
	stop := errors.New("stop")
	f.Fuzz(func(t *testing.T, in []byte) {
		s := New(testPolicy(), testDir(), testNow)
		n := 0
		err := DecodeTickets(bytes.NewReader(in), func(tk policy.Ticket) error {
			s.Add(tk)
			if n++; n > 100 {
				return stop
			}
			return nil
		})
		if err == nil && n == 0 && !bytes.Contains(in, []byte("[")) {
			t.Fatalf("accepted %q without an array", in)
		}
		var b bytes.Buffer
		if err := WriteText(&b, s.Report()); err != nil {
			t.Fatal(err)
		}
	})
}
