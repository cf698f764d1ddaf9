module github.com/p2p-chat/p2p

go 1.26.8

require (
	github.com/chzyer/readline v1.5.1 // indirect
	github.com/rogpeppe/go-internal v1.16.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/term v0.47.0 // indirect
)
