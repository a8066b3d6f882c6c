package directory

import (
	"bytes"
	"fmt"
	"testing"
)

// bigCSV is a directory of n people: one CEO, managers of ten each.
func bigCSV(n int) []byte {
	var b bytes.Buffer
	b.WriteString("email,name,active,employment_type,manager,groups,start_date\n")
	for i := range n {
		mgr := ""
		if i > 0 {
			mgr = fmt.Sprintf("p%d@example.com", (i-1)/10)
		}
		fmt.Fprintf(&b, "p%d@example.com,Person %d,true,employee,%s,g%d;all,2024-01-01\n", i, i, mgr, i%50)
	}
	return b.Bytes()
}

func BenchmarkParseCSV10k(b *testing.B) {
	data := bigCSV(10000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, err := Parse("big.csv", bytes.NewReader(data), "csv"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPerson(b *testing.B) {
	f, err := Parse("big.csv", bytes.NewReader(bigCSV(10000)), "csv")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, ok, _ := f.Person("P7777@Example.com"); !ok {
			b.Fatal("not found")
		}
	}
}
