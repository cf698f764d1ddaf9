package node

import (
	"slices"
	"strconv"
	"testing"
	"time"
)

// BenchmarkChain3TCPLatency is the node's part of BenchmarkChain3Latency
// (package script): three nodes in one process over loopback TCP, a
// message every millisecond into the first, the time until the last one's
// event, without p2p's input and output around it.
func BenchmarkChain3TCPLatency(b *testing.B) {
	for _, unsigned := range []bool{false, true} {
		b.Run(map[bool]string{false: "signed", true: "unsigned"}[unsigned], func(b *testing.B) {
			nodes := newChain3TCP(b, unsigned)
			for _, nd := range nodes[:2] {
				go func() {
					for range nd.Events() {
					}
				}()
			}
			linkChain(b, nodes)
			base := time.Now()
			var lat []time.Duration
			done := make(chan struct{})
			go func() {
				defer close(done)
				for ev := range nodes[2].Events() {
					if ev.Kind != EventMessage {
						continue
					}
					sent, _ := strconv.ParseInt(ev.Message.Text, 10, 64)
					lat = append(lat, time.Since(base)-time.Duration(sent))
					if len(lat) == b.N {
						return
					}
				}
			}()
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			for range b.N {
				<-tick.C
				if _, err := nodes[0].Send(strconv.FormatInt(int64(time.Since(base)), 10)); err != nil {
					b.Fatal(err)
				}
			}
			<-done
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
		})
	}
}
