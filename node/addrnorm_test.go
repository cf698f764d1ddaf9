package node

import "testing"

func TestNormalizeAddr(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:80":              "127.0.0.1:80",
		"127.0.0.1:080":             "127.0.0.1:80",
		"127.0.0.1:00080":           "127.0.0.1:80",
		"[::ffff:127.0.0.1]:80":     "127.0.0.1:80",
		"[::FFFF:7f00:1]:80":        "127.0.0.1:80",
		"[::1]:80":                  "[::1]:80",
		"[0:0:0:0:0:0:0:1]:80":      "[::1]:80",
		"[fe80::1%eth0]:80":         "[fe80::1]:80",
		"10.0.0.1:65535":            "10.0.0.1:65535",
		"localhost:80":              "",
		"LOCALHOST:80":              "",
		"example.com:80":            "",
		"127.000.000.001:80":        "",
		"0x7f.0.0.1:80":             "",
		"2130706433:80":             "",
		"127.0.0.1:0":               "",
		"127.0.0.1:65536":           "",
		"0.0.0.0:80":                "",
		"[::]:80":                   "",
		"224.0.0.1:80":              "",
		"255.255.255.255:80":        "",
		"127.0.0.1":                 "",
		"[::ffff:0.0.0.0]:80":       "",
		"127.0.0.1:80 ":             "",
		"[::ffff:127.0.0.1%x]:0080": "127.0.0.1:80",
	} {
		got, err := normalizeAddr(in)
		if want == "" {
			if err == nil {
				t.Errorf("normalizeAddr(%q) = %q, want an error", in, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("normalizeAddr(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}
