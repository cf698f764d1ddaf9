package wire

import "strconv"

// Catch-up frames (docs/catch-up.md):
//
//	SUMMARY NODE-ID-SEQ|NODE-ID ...   per origin, the highest sequence number up to which every message was delivered (none: NODE-ID)
//	SUMMARYEND                        the summary is complete
//	CMSG HOPS SIG KEY SEQ TIME NAME TEXT   a message the other side lacks: an SMSG sent by catch-up
//	SYNCED N                          the catch-up answering a summary is complete: N messages were sent
const (
	frameSummary    = "SUMMARY"
	frameSummaryEnd = "SUMMARYEND"
	frameCMsg       = "CMSG"
	frameSynced     = "SYNCED"
)

// EncodeSummary returns a SUMMARY frame of at most MaxRefs references
// (Seq 0 for an origin with nothing delivered in order).
func EncodeSummary(refs []Ref) string { return encodeRefs(frameSummary, refs) }

// EncodeSummaryEnd returns the SUMMARYEND frame.
func EncodeSummaryEnd() string { return frameSummaryEnd + "\n" }

// CatchupLine turns an SMSG line into the CMSG line of the same message
// (the two words have the same length, so it is one copy).
func CatchupLine(smsg string) string { return frameCMsg + smsg[len(frameSMsg):] }

// EncodeSynced returns the SYNCED frame for n messages sent.
func EncodeSynced(n int) string { return frameSynced + " " + strconv.Itoa(n) + "\n" }

// parseSynced decodes "N".
func parseSynced(rest []byte, f *Frame) error {
	n, err := strconv.ParseUint(string(rest), 10, 31)
	if err != nil {
		return Errorf("SYNCED needs: SYNCED COUNT (a number)")
	}
	f.Count = int(n)
	return nil
}

// ParseLine decodes one line (without its newline) into f, as a Reader
// would: for lines read back from a store.
func ParseLine(line []byte, f *Frame) error { return parseFrame(line, f) }
