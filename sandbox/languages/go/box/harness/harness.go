// Package harness is assay's Go test runner: it runs INSIDE the sandbox, linked into the sample's
// test binary by the generated main (box/builder), and speaks assay's report protocol
// (sandbox/isolation/channel.py).
//
// Its init reads the run's token from descriptor 4. The generated main imports this package
// before the sample's, and Go 1.19 initialises a main package's imports in that order, so the
// token is read before any of the sample's package-level variables or init functions run. Every
// message is then a `<token> <json>` line on descriptor 3: start, collected (every test
// function), begin and case for each test, and end only after testing.M.Run has returned.
//
// Each test runs through testing's own machinery (subtests, t.Parallel, Cleanup, Skip), wrapped:
// a panic becomes that test's `error` (with its stack) instead of ending the binary, os.Exit(0)
// in a test panics (-test.paniconexit0) and is caught the same way, and a test that ends by
// runtime.Goexit or panic(nil) without failing is failed. The case is sent from the test's first
// Cleanup, which runs after its subtests and other cleanups. The failure message is what the
// test logged (t.Errorf, testify's "expected/actual"), read from testing.T's buffer. Examples
// with an output comment run after the tests as tests of their own (`example`), reported alike.
// Built once per machine by trusted code (sandbox/languages/go/build.py); runs in the box.
package harness

import (
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"testing/internal/testdeps"
)

const (
	resultFD      = 3
	tokenFD       = 4
	tokenChars    = 32
	stubEnv       = "ASSAY_STRENGTH_CHECK_STUB"
	harnessFailed = 70 // the harness failed before the tests: the sandbox's fault
	maxField      = 2000
	maxDetail     = 6000
)

var (
	token [tokenChars]byte
	mu    sync.Mutex
	seq   int
)

func fail(why string) {
	os.Stderr.WriteString("assay harness: " + why + "\n")
	os.Exit(harnessFailed)
}

func init() {
	got := 0
	for got < tokenChars {
		n, err := syscall.Read(tokenFD, token[got:])
		if err == syscall.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			fail("no run token on descriptor 4")
		}
		got += n
	}
	// The strength check's switch: '1' after the token in the stub's run (`Step.stub`). It goes
	// to the switch's file (assay_stub.go, the sample package's first, so its variables are
	// initialised before any other of the package's) through this process's own copy of the
	// environment, which that file clears again: no test sees it, nor /proc/self/environ.
	var stub [1]byte
	for {
		n, err := syscall.Read(tokenFD, stub[:])
		if err == syscall.EINTR {
			continue
		}
		if err == nil && n == 1 && stub[0] == '1' {
			os.Setenv(stubEnv, "1")
		}
		break
	}
	syscall.Close(tokenFD)
	var stat syscall.Stat_t
	if syscall.Fstat(resultFD, &stat) != nil {
		fail("no result channel on descriptor 3")
	}
	send("start", nil)
}

func clip(text string, limit int) string {
	if len(text) > limit {
		return text[:limit] + "..."
	}
	return text
}

// send writes one authenticated message; json.Marshal replaces invalid UTF-8.
func send(kind string, fields map[string]any) {
	mu.Lock()
	defer mu.Unlock()
	message := map[string]any{"seq": seq, "t": kind}
	for k, v := range fields {
		message[k] = v
	}
	seq++
	body, err := json.Marshal(message)
	if err != nil {
		body = []byte(fmt.Sprintf(`{"seq": %d, "t": %q}`, seq-1, kind))
	}
	line := append(append(append([]byte{}, token[:]...), ' '), body...)
	line = append(line, '\n')
	for len(line) > 0 {
		n, err := syscall.Write(resultFD, line)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || n <= 0 {
			return // the channel is gone: the judge sees an incomplete report
		}
		line = line[n:]
	}
}

// A test's run, as its wrapper saw it.
type run struct {
	returned bool
	panicked bool
	early    bool // runtime.Goexit or panic(nil) without a failure
	value    any
	stack    []byte
}

// logged is what the test wrote with t.Log/t.Error (and its failed subtests' reports): testing
// keeps it in an unexported buffer until the test ends.
func logged(t *testing.T) (text string) {
	defer func() {
		if recover() != nil {
			text = ""
		}
	}()
	field := reflect.ValueOf(t).Elem().FieldByName("output")
	if !field.IsValid() || field.Kind() != reflect.Slice {
		return ""
	}
	return tidy(string(field.Bytes()))
}

// tidy makes testing's indented log compact: testify's "Error Trace"/"Test" lines go (the
// failure's file:line and the test's name are said already), tabs and indentation collapse.
func tidy(text string) string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		line = strings.Join(strings.Fields(line), " ")
		if line == "" || strings.HasPrefix(line, "Error Trace:") || strings.HasPrefix(line, "Test: ") {
			continue
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// panicStack is the stack of a panic from the panicking frame to the test's function: the
// harness's and the runtime's own frames left out.
func panicStack(stack string) string {
	lines := strings.Split(strings.TrimRight(stack, "\n"), "\n")
	var out []string
	inside := false
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if strings.HasPrefix(line, "panic(") {
			inside = true
			i++ // its file:line
			continue
		}
		if inside && strings.HasPrefix(line, "assay/harness.") {
			break
		}
		if inside {
			out = append(out, line)
		}
	}
	if len(out) == 0 {
		return stack
	}
	return strings.Join(out, "\n")
}

func report(t *testing.T, name string, r *run) {
	outcome, kind, message, detail := "passed", "", "", ""
	switch {
	case r.panicked:
		outcome, kind = "error", "panic"
		message = clip(fmt.Sprintf("panic: %v", r.value), maxField)
		detail = clip(panicStack(string(r.stack)), maxDetail)
	case r.early:
		outcome, kind = "error", "test ended early"
		message = "the test ended before its end without failing (runtime.Goexit or panic(nil))"
	case t.Failed():
		outcome, kind = "failed", "test failed"
		detail = clip(logged(t), maxDetail)
		message = clip(detail, maxField)
	case t.Skipped():
		outcome = "skipped"
		message = clip(logged(t), maxField)
	}
	fields := map[string]any{"id": name, "outcome": outcome, "message": message, "detail": detail}
	if kind != "" {
		fields["kind"] = kind
	}
	send("case", fields)
}

func wrap(name string, test func(*testing.T)) func(*testing.T) {
	return func(t *testing.T) {
		send("begin", map[string]any{"id": name})
		r := &run{}
		t.Cleanup(func() { report(t, name, r) }) // the first registered runs last
		defer func() {
			if r.returned {
				return
			}
			if value := recover(); value != nil {
				r.panicked, r.value, r.stack = true, value, debug.Stack()
				t.Fail()
				return
			}
			if !t.Failed() && !t.Skipped() {
				r.early = true
				t.Fail()
			}
		}()
		test(t)
		r.returned = true
	}
}

// example runs an example as a test, as `go test` judges it: what it prints to os.Stdout, spaces
// trimmed at both ends (its lines in any order for `// Unordered output:`), must be its output
// comment's; a failure says what it got and what was wanted.
func example(e testing.InternalExample) func(*testing.T) {
	return func(t *testing.T) {
		got := strings.TrimSpace(printed(t, e.F))
		want := strings.TrimSpace(e.Output)
		if e.Unordered {
			if sortedLines(got) != sortedLines(want) {
				t.Errorf("got:\n%s\nwant (unordered):\n%s", got, want)
			}
		} else if got != want {
			t.Errorf("got:\n%s\nwant:\n%s", got, want)
		}
	}
}

// printed runs f with os.Stdout going to a pipe, and returns what it wrote there. A panic in f
// goes on up (wrap reports it) after os.Stdout is put back.
func printed(t *testing.T, f func()) string {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatalf("assay harness: no pipe for the example's output: %v", err)
	}
	out := make(chan string, 1) // a panic in f leaves it unread
	go func() {
		var b strings.Builder
		buf := make([]byte, 4096)
		for {
			n, err := r.Read(buf)
			b.Write(buf[:n])
			if err != nil {
				break
			}
		}
		r.Close()
		out <- b.String()
	}()
	stdout := os.Stdout
	os.Stdout = w
	func() {
		defer func() {
			os.Stdout = stdout
			w.Close()
		}()
		f()
	}()
	return <-out
}

func sortedLines(s string) string {
	lines := strings.Split(s, "\n")
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// Main runs the tests, then the examples (as tests of their own, each reported by name), and
// exits; the generated main calls it.
func Main(tests []testing.InternalTest, examples []testing.InternalExample) {
	for _, e := range examples {
		tests = append(tests, testing.InternalTest{Name: e.Name, F: example(e)})
	}
	ids := make([]string, len(tests))
	wrapped := make([]testing.InternalTest, len(tests))
	for i, test := range tests {
		ids[i] = test.Name
		wrapped[i] = testing.InternalTest{Name: test.Name, F: wrap(test.Name, test.F)}
	}
	send("collected", map[string]any{"ids": ids, "errors": []string{}})
	m := testing.MainStart(testdeps.TestDeps{}, wrapped, nil, nil, nil)
	code := m.Run()
	send("end", map[string]any{"exitstatus": code})
	os.Exit(code)
}
