// assay's Go test builder: the `compile` step of a Go sample. It runs INSIDE the sandbox, in the
// sample's work dir, and does what `go test -c` and `go vet` do for one package, without the go
// command: it finds the tests with go/parser and go/doc (the go command's own rules), writes a
// main that runs them through assay's harness, and calls the toolchain's compile, vet and link
// directly against the standard library and testify prebuilt once per machine (-shared: the
// package archives and their list, read-only). No cgo, no network, no build cache written.
//
// The sample's package is compiled without the harness: its importcfg (and vet's) lists the
// standard library and testify only, and an import of assay/harness is refused with its line
// (the sample would call harness.Main from its init with tests of its own choosing, and the real
// harness would report them). Only the generated main is compiled and linked with the harness.
// `//go:linkname` (and every `//go:cgo_` directive) is refused: it would reach any symbol of the
// binary by name, the harness's among them; so is `import "unsafe"`, with which a function value
// can be forged from a code address (`runtime.FuncForPC` finds the harness's by name). A file
// go/parser cannot read fails the build even where the compiler accepts it: nothing goes
// unchecked. Diagnostics go to stderr as `file:line:col: message`; vet's findings name their analyzer
// (`[vet:printf]`) and fail the build only when the analyzer is in -vet-reject. Exit status 1 is
// the sample's compile failure; 70 is the builder's own (the sandbox's fault).
// Built once per machine by trusted code (sandbox/languages/go/build.py).
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

const (
	packageName = "solution"
	harnessPath = "assay/harness"
	builderFail = 70
)

var (
	shared    = flag.String("shared", "", "the prebuilt archives' directory")
	tools     = flag.String("tools", "", "the toolchain's tool directory (compile, vet, link)")
	vet       = flag.Bool("vet", false, "run vet's analyzers")
	vetReject = flag.String("vet-reject", "", "the analyzers whose findings reject, comma-separated")
	output    = flag.String("o", "test_solution", "the test binary")
	problems  []string
	archives  = map[string]string{} // import path -> archive file: what the sample may import
	standards = map[string]bool{}
	harness   string // the harness's archive: the generated main's alone
)

// refused are imports the sample's files may not have, and why.
var refused = map[string]string{
	harnessPath: "assay's test harness runs the tests; the sample may not use it",
	"unsafe":    "unsafe code could reach the test harness's internals",
}

func main() {
	flag.Parse()
	if *shared == "" || *tools == "" {
		die("-shared and -tools are required")
	}
	readArchives()
	files := sourceFiles()
	tests, examples, unparsed := collect(files)
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(os.Stderr, p)
		}
		os.Exit(1)
	}
	writeImportcfg("importcfg", nil)
	args := []string{"-o", "solution.a", "-p", packageName, "-pack", "-complete",
		"-trimpath", cwd() + "=>", "-importcfg", "importcfg"}
	run("compile", append(args, files...)...)
	if unparsed != nil { // the compiler's message is the one to show, where it has one
		fmt.Fprintln(os.Stderr, unparsed)
		os.Exit(1)
	}
	if *vet {
		vetPackage(files)
	}
	writeMain(tests, examples)
	writeImportcfg("importcfg.main", map[string]string{packageName: "solution.a", harnessPath: harness})
	run("compile", "-o", "main.a", "-p", "main", "-pack", "-complete",
		"-importcfg", "importcfg.main", "_testmain.go")
	run("link", "-o", *output, "-importcfg", "importcfg.main", "-s", "-w", "-buildmode=exe", "main.a")
}

func die(why string) {
	fmt.Fprintln(os.Stderr, "assay go builder: "+why)
	os.Exit(builderFail)
}

func cwd() string {
	dir, err := os.Getwd()
	if err != nil {
		die(err.Error())
	}
	return dir
}

// readArchives reads the prebuilt packages' list: one `import-path file std|other` a line.
func readArchives() {
	fh, err := os.Open(filepath.Join(*shared, "packages.txt"))
	if err != nil {
		die(err.Error())
	}
	defer fh.Close()
	lines := bufio.NewScanner(fh)
	for lines.Scan() {
		fields := strings.Fields(lines.Text())
		if len(fields) != 3 {
			continue
		}
		file := filepath.Join(*shared, "pkg", fields[1])
		if fields[0] == harnessPath {
			harness = file
			continue
		}
		archives[fields[0]] = file
		standards[fields[0]] = fields[2] == "std"
	}
	if harness == "" {
		die("packages.txt lists no " + harnessPath)
	}
}

// sourceFiles are the package's files: every .go file of the work dir, as go would take them.
func sourceFiles() []string {
	entries, err := os.ReadDir(".")
	if err != nil {
		die(err.Error())
	}
	var files []string
	for _, e := range entries {
		name := e.Name()
		if e.Type().IsRegular() && strings.HasSuffix(name, ".go") && !strings.HasPrefix(name, "_") &&
			!strings.HasPrefix(name, ".") {
			files = append(files, name)
		}
	}
	sort.Strings(files)
	return files
}

// collect finds the tests and examples of the _test.go files, by the go command's rules, and what
// the sample may not use (`problems`). A file that does not parse is the build's failure after
// the compiler has had its say (its message is the one to show): the error, nil where every file
// parsed.
func collect(files []string) ([]string, []*doc.Example, error) {
	fset := token.NewFileSet()
	var tests []string
	var examples []*doc.Example
	var testFiles []*ast.File
	var unparsed error
	for _, name := range files {
		file, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			if unparsed == nil {
				unparsed = err
			}
			continue
		}
		if file.Name.Name != packageName {
			pos := fset.Position(file.Name.Pos())
			problems = append(problems, fmt.Sprintf("%s:%d:%d: package %s: every file must be package %s",
				name, pos.Line, pos.Column, file.Name.Name, packageName))
		}
		for _, spec := range file.Imports {
			path, err := strconv.Unquote(spec.Path.Value)
			if why, bad := refused[path]; bad || err != nil {
				pos := fset.Position(spec.Path.Pos())
				problems = append(problems, fmt.Sprintf("%s:%d:%d: import %s is not allowed here: %s",
					name, pos.Line, pos.Column, spec.Path.Value, why))
			}
		}
		// go:linkname reaches any symbol of the binary by name, the harness's among them; the
		// compiler takes a directive from any `//go:` line comment (go/parser keeps them all).
		for _, group := range file.Comments {
			for _, c := range group.List {
				for _, directive := range []string{"//go:linkname", "//go:cgo_"} {
					if strings.HasPrefix(c.Text, directive) {
						pos := fset.Position(c.Pos())
						problems = append(problems, fmt.Sprintf("%s:%d:%d: %s is not allowed here",
							name, pos.Line, pos.Column, strings.Fields(c.Text)[0]))
					}
				}
			}
		}
		if !strings.HasSuffix(name, "_test.go") {
			continue
		}
		testFiles = append(testFiles, file)
		for _, decl := range file.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Recv != nil {
				continue
			}
			name := fn.Name.Name
			pos := fset.Position(fn.Pos())
			where := fmt.Sprintf("%s:%d:%d", pos.Filename, pos.Line, pos.Column)
			switch {
			case name == "TestMain" && isTestFunc(fn, "M"):
				problems = append(problems, where+": TestMain is not supported here: the harness runs the tests; remove it")
			case isTest(name, "Test"):
				if !isTestFunc(fn, "T") {
					problems = append(problems, fmt.Sprintf("%s: wrong signature for %s, must be: func %s(t *testing.T)", where, name, name))
					continue
				}
				tests = append(tests, name)
			case isTest(name, "Fuzz"):
				problems = append(problems, where+": fuzz tests are not run here: write TestXxx functions")
			}
		}
	}
	for _, example := range doc.Examples(testFiles...) {
		if example.Output != "" || example.EmptyOutput {
			examples = append(examples, example)
		}
	}
	return tests, examples, unparsed
}

// isTest is the go command's: name starts with prefix and goes on with no lower-case letter.
func isTest(name, prefix string) bool {
	if !strings.HasPrefix(name, prefix) {
		return false
	}
	if len(name) == len(prefix) {
		return true
	}
	r, _ := utf8.DecodeRuneInString(name[len(prefix):])
	return !unicode.IsLower(r)
}

// isTestFunc is the go command's: func(*X.arg) or func(*arg), no results.
func isTestFunc(fn *ast.FuncDecl, arg string) bool {
	if fn.Type.Results != nil && len(fn.Type.Results.List) > 0 ||
		fn.Type.Params.List == nil || len(fn.Type.Params.List) != 1 ||
		len(fn.Type.Params.List[0].Names) > 1 || fn.Type.TypeParams != nil {
		return false
	}
	ptr, ok := fn.Type.Params.List[0].Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	if name, ok := ptr.X.(*ast.Ident); ok && name.Name == arg {
		return true
	}
	if sel, ok := ptr.X.(*ast.SelectorExpr); ok && sel.Sel.Name == arg {
		return true
	}
	return false
}

func writeImportcfg(name string, extra map[string]string) {
	var b strings.Builder
	paths := make([]string, 0, len(archives))
	for path := range archives {
		paths = append(paths, path)
	}
	sort.Strings(paths)
	for _, path := range paths {
		fmt.Fprintf(&b, "packagefile %s=%s\n", path, archives[path])
	}
	for path, file := range extra {
		fmt.Fprintf(&b, "packagefile %s=%s\n", path, file)
	}
	if err := os.WriteFile(name, []byte(b.String()), 0o644); err != nil {
		die(err.Error())
	}
}

// writeMain writes the test binary's main: the harness imported first, so that its init (which
// reads the run's token) runs before the sample's package is initialised.
func writeMain(tests []string, examples []*doc.Example) {
	var b strings.Builder
	alias := "_test"
	if len(tests) == 0 && len(examples) == 0 {
		alias = "_" // still initialised: its init functions run, as under go test
	}
	b.WriteString("package main\n\nimport (\n\tharness \"" + harnessPath + "\"\n\t" + alias + " \"" + packageName + "\"\n\t\"testing\"\n)\n\n")
	b.WriteString("var tests = []testing.InternalTest{\n")
	for _, name := range tests {
		fmt.Fprintf(&b, "\t{Name: %q, F: _test.%s},\n", name, name)
	}
	b.WriteString("}\n\nvar examples = []testing.InternalExample{\n")
	for _, e := range examples {
		fmt.Fprintf(&b, "\t{Name: %q, F: _test.%s, Output: %q, Unordered: %t},\n",
			"Example"+e.Suffix+e.Name, "Example"+exampleName(e), e.Output, e.Unordered)
	}
	b.WriteString("}\n\nfunc main() { harness.Main(tests, examples) }\n")
	if err := os.WriteFile("_testmain.go", []byte(b.String()), 0o644); err != nil {
		die(err.Error())
	}
}

// exampleName is the function's name after "Example": Name, then _suffix if any.
func exampleName(e *doc.Example) string {
	if e.Suffix == "" {
		return e.Name
	}
	if e.Name == "" {
		return "_" + e.Suffix
	}
	return e.Name + "_" + e.Suffix
}

// run executes one of the toolchain's programs; its output is the sample's diagnostics.
func run(tool string, args ...string) {
	cmd := exec.Command(filepath.Join(*tools, tool), args...)
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		if _, exited := err.(*exec.ExitError); exited {
			os.Exit(1)
		}
		die(fmt.Sprintf("%s: %v", tool, err))
	}
}

type vetConfig struct {
	ID, Compiler, Dir, ImportPath string
	GoFiles, NonGoFiles           []string
	ImportMap, PackageFile        map[string]string
	Standard                      map[string]bool
	PackageVetx                   map[string]string
	VetxOnly                      bool
	VetxOutput                    string
	SucceedOnTypecheckFailure     bool
}

type finding struct {
	Posn    string `json:"posn"`
	Message string `json:"message"`
}

// vetPackage runs vet's analyzers on the package with its tests, as `go vet` does (without facts
// from the dependencies), and reports each finding with its analyzer's name.
func vetPackage(files []string) {
	imports := map[string]string{}
	for path := range archives {
		imports[path] = path
	}
	config := vetConfig{
		ID: packageName, Compiler: "gc", Dir: cwd(), ImportPath: packageName,
		GoFiles: files, NonGoFiles: []string{}, ImportMap: imports, PackageFile: archives,
		Standard: standards, PackageVetx: map[string]string{}, VetxOutput: "vet.out",
	}
	data, _ := json.Marshal(config)
	if err := os.WriteFile("vet.cfg", data, 0o644); err != nil {
		die(err.Error())
	}
	cmd := exec.Command(filepath.Join(*tools, "vet"), "-json", "vet.cfg")
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		if _, exited := err.(*exec.ExitError); exited {
			os.Exit(1)
		}
		die(fmt.Sprintf("vet: %v", err))
	}
	var found map[string]map[string]json.RawMessage
	if err := json.Unmarshal(out, &found); err != nil && len(strings.TrimSpace(string(out))) > 0 {
		die(fmt.Sprintf("vet's output is not JSON: %v", err))
	}
	rejecting := map[string]bool{}
	for _, name := range strings.Split(*vetReject, ",") {
		rejecting[strings.TrimSpace(name)] = true
	}
	failed := false
	var lines []string
	for _, analyzers := range found {
		for analyzer, raw := range analyzers {
			var list []finding
			if json.Unmarshal(raw, &list) != nil {
				continue // {"error": ...}: a type error, which compile has reported
			}
			for _, f := range list {
				kind := "warning"
				if rejecting[analyzer] {
					kind, failed = "error", true
				}
				lines = append(lines, fmt.Sprintf("%s: %s: %s [vet:%s]", f.Posn, kind, f.Message, analyzer))
			}
		}
	}
	sort.Strings(lines)
	for _, line := range lines {
		fmt.Fprintln(os.Stderr, line)
	}
	if failed {
		os.Exit(1)
	}
}
