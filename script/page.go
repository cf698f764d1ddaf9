package script

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/p2p-chat/p2p/node/web"
)

// livePage is a session's page (-http): what the node sees, served by
// package web.
type livePage struct {
	srv  *web.NodeServer
	hs   *http.Server
	done chan struct{} // closed when the server has stopped
}

type httpLine struct {
	Addr string `json:"addr"`
	URL  string `json:"url"`
}

// startPage serves the node's page at addr and says where.
func (s *Session) startPage(addr string, pages int) error {
	ln, err := net.Listen("tcp", loopbackUnlessSaid(addr))
	if err != nil {
		return err
	}
	pg := &livePage{srv: web.NewNode(sessionNode{s}, web.NodeOptions{MaxPages: pages}), done: make(chan struct{})}
	pg.hs = &http.Server{Handler: pg.srv.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		defer close(pg.done)
		if err := pg.hs.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.out.warn("p2p: -http: " + err.Error())
		}
	}()
	s.page.Store(pg)
	url := "http://" + ln.Addr().String() + "/"
	s.out.print("http", func(b []byte) []byte {
		return append(b, "page: "+url+"\n"...)
	}, httpLine{Addr: ln.Addr().String(), URL: url})
	return nil
}

// stopPage ends the page's streams and its server.
func (s *Session) stopPage() {
	pg := s.page.Swap(nil)
	if pg == nil {
		return
	}
	pg.srv.Close()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if pg.hs.Shutdown(ctx) != nil {
		pg.hs.Close()
	}
	<-pg.done
}

// sessionNode is the session as the page sees it: the same JSON as the
// peers, known and stats commands print with -json, and send.
type sessionNode struct{ s *Session }

type pageState struct {
	Name  string    `json:"name"`
	ID    string    `json:"id"`
	Addr  string    `json:"addr"`
	Mode  string    `json:"mode"`
	Peers peersLine `json:"peers"`
	Known knownLine `json:"known"`
	Stats statsLine `json:"stats"`
}

func (n sessionNode) State() ([]byte, error) {
	nd := n.s.n
	return json.Marshal(pageState{Name: nd.Name(), ID: nd.ID(), Addr: nd.Addr(), Mode: nd.Config().Mode,
		Peers: newPeersLine(nd.Peers(), n.s.out.treeMode), Known: newKnownLine(nd.Known()), Stats: newStatsLine(nd.Stats())})
}

// Send sends as the send command does, and prints the same.
func (n sessionNode) Send(text string) ([]byte, error) {
	sent, err := n.s.n.Send(text)
	if err != nil {
		return nil, err
	}
	if n.s.out.json {
		n.s.out.sent(sent)
	} else {
		// Whoever is at the terminal sees what the page sent as this node.
		n.s.out.notice("sent", fmt.Sprintf("sent from the page to %d peers: %s", sent.Peers, sent.Text))
	}
	return json.Marshal(sentLine{ID: sent.ID, Origin: sent.Origin, Text: sent.Text, Peers: sent.Peers})
}
