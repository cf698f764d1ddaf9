package web

import (
	"embed"
	"io/fs"
	"net/http"
)

//go:embed assets
var embedded embed.FS

// assets is the page files: HTML, script, style and the vendored layout
// library.
var assets, _ = fs.Sub(embedded, "assets")

// serveAssets serves the embedded files under /assets/.
func serveAssets() http.Handler {
	return http.StripPrefix("/assets/", http.FileServerFS(assets))
}

// servePage serves one embedded HTML file.
func servePage(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		page, err := fs.ReadFile(assets, name)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.Write(page)
	}
}
