package web

import (
	"net"
	"net/http"
	"net/url"
)

// sameOrigin refuses a request whose Origin (a browser sends it with a
// POST, and with a cross-site fetch) is another site's, so a page on the
// web cannot drive a node on the user's loopback from the user's browser;
// and one whose Host is a name other than an IP address or localhost, so a
// DNS name rebound to 127.0.0.1 cannot either.
func sameOrigin(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !plainHost(r.Host) {
			http.Error(w, "forbidden: reach this page by its IP address or localhost", http.StatusForbidden)
			return
		}
		if o := r.Header.Get("Origin"); o != "" {
			u, err := url.Parse(o)
			if err != nil || u.Host != r.Host {
				http.Error(w, "forbidden: a request from another site's page", http.StatusForbidden)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// plainHost reports whether host (host:port) names an IP address or
// localhost.
func plainHost(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	return host == "localhost" || net.ParseIP(host) != nil
}
