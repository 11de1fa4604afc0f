package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// signature is a function's C signature, normalized: types without const
// or spaces ("char*", "int64_t"), parameter names in Go's lowerCamelCase.
type signature struct {
	result string
	params []string // "type name"
}

func (s signature) String() string {
	return s.result + "(" + strings.Join(s.params, ", ") + ")"
}

// TestHeaderMatchesExports checks that include/mlpgo.h declares exactly the
// functions the package exports, with the same result and parameter types
// and names (const aside: cgo cannot express it).
func TestHeaderMatchesExports(t *testing.T) {
	exports := goExports(t)
	header := headerFunctions(t)
	if len(exports) == 0 || len(header) == 0 {
		t.Fatalf("found %d exports and %d header functions, want both > 0", len(exports), len(header))
	}
	for name, want := range exports {
		got, ok := header[name]
		if !ok {
			t.Errorf("%s is exported but not declared in mlpgo.h", name)
			continue
		}
		if got.String() != want.String() {
			t.Errorf("mlpgo.h declares %s as %s, the export is %s", name, got, want)
		}
	}
	for name := range header {
		if _, ok := exports[name]; !ok {
			t.Errorf("mlpgo.h declares %s, which is not exported", name)
		}
	}
}

// goExports parses the package's //export functions.
func goExports(t *testing.T) map[string]signature {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	out := map[string]signature{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Doc == nil || !slices.ContainsFunc(fn.Doc.List, func(c *ast.Comment) bool {
				return c.Text == "//export "+fn.Name.Name
			}) {
				continue
			}
			sig := signature{result: "void"}
			if r := fn.Type.Results; r != nil {
				if len(r.List) != 1 || len(r.List[0].Names) > 1 {
					t.Fatalf("%s: exports return one value", fn.Name.Name)
				}
				sig.result = goCType(t, r.List[0].Type)
			}
			for _, p := range fn.Type.Params.List {
				for _, n := range p.Names {
					sig.params = append(sig.params, goCType(t, p.Type)+" "+n.Name)
				}
			}
			out[fn.Name.Name] = sig
		}
	}
	return out
}

// goCType returns the C type of a cgo type expression: *C.char is "char*".
func goCType(t *testing.T, e ast.Expr) string {
	switch e := e.(type) {
	case *ast.StarExpr:
		return goCType(t, e.X) + "*"
	case *ast.SelectorExpr:
		if x, ok := e.X.(*ast.Ident); ok && x.Name == "C" {
			return e.Sel.Name
		}
		if x, ok := e.X.(*ast.Ident); ok && x.Name == "unsafe" && e.Sel.Name == "Pointer" {
			return "void*"
		}
	}
	t.Fatalf("export parameter of non-C type %T", e)
	return ""
}

var (
	cComment = regexp.MustCompile(`(?s)/\*.*?\*/|//[^\n]*`)
	cDecl    = regexp.MustCompile(`MLPGO_API\s+([^;]*?)\b(mlpgo_\w+)\s*\(([^)]*)\)\s*;`)
	cParam   = regexp.MustCompile(`^(.*?)\s*\b(\w+)$`)
)

// headerFunctions parses the function declarations of include/mlpgo.h.
func headerFunctions(t *testing.T) map[string]signature {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("include", "mlpgo.h"))
	if err != nil {
		t.Fatal(err)
	}
	src := cComment.ReplaceAllString(string(b), " ")
	out := map[string]signature{}
	for _, m := range cDecl.FindAllStringSubmatch(src, -1) {
		name := m[2]
		if _, dup := out[name]; dup {
			t.Errorf("mlpgo.h declares %s twice", name)
		}
		sig := signature{result: cType(m[1])}
		if params := strings.TrimSpace(m[3]); params != "void" {
			for _, p := range strings.Split(params, ",") {
				pm := cParam.FindStringSubmatch(strings.TrimSpace(p))
				if pm == nil {
					t.Fatalf("mlpgo.h: %s: cannot parse parameter %q", name, p)
				}
				sig.params = append(sig.params, cType(pm[1])+" "+lowerCamel(pm[2]))
			}
		}
		out[name] = sig
	}
	return out
}

// cType normalizes a C type: no const, no spaces.
func cType(s string) string {
	s = regexp.MustCompile(`\bconst\b`).ReplaceAllString(s, "")
	return strings.Join(strings.Fields(s), "")
}

// lowerCamel turns buf_len into bufLen.
func lowerCamel(s string) string {
	parts := strings.Split(s, "_")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}
