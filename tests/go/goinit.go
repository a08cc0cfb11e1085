// goinit: a Go program run as PID 1 of a fresh PID namespace by tests/test_go.c, with and without
// reap.so. Go creates children with raw clone and waits for them with raw wait4/waitid, so a
// library that reaps orphans in-process would take every one of them for an orphan.
//
// Usage: goinit VARIANT [ARGS]
//   exec [STORM]  runs children with known ends while STORM (build/scenarios/orphan_storm), if
//                 given, makes orphans; every exec.Cmd status must be exact and no zombie may be left
//   notify        signal.Notify for SIGTERM: prints READY, gets the signal, runs a child, exits 7
//   nohandler     prints READY and blocks: a SIGTERM must end it like any process (143)
//   maps          prints whether reap.so is mapped into the program, and its pid
//
// Output: READY lines, "FAIL what" for each check that did not hold, "RESULT ok" or "RESULT FAILED
// n" last; exit 0 when all held.
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"
)

var (
	mu       sync.Mutex
	failures int
)

func fail(format string, args ...interface{}) {
	mu.Lock()
	defer mu.Unlock()
	failures++
	fmt.Printf("FAIL "+format+"\n", args...)
}

func result() {
	if failures == 0 {
		fmt.Println("RESULT ok")
		os.Exit(0)
	}
	fmt.Printf("RESULT FAILED %d\n", failures)
	os.Exit(1)
}

// One child with a known end: exit code, or death by a signal.
type end struct {
	code int
	sig  syscall.Signal
}

func (e end) script() string {
	if e.sig != 0 {
		return fmt.Sprintf("kill -%d $$", int(e.sig))
	}
	return fmt.Sprintf("exit %d", e.code)
}

func check(e end, what string) {
	cmd := exec.Command("/bin/sh", "-c", e.script())
	err := cmd.Run()
	if cmd.ProcessState == nil {
		fail("%s: %s: no status: %v", what, e.script(), err)
		return
	}
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	switch {
	case e.sig != 0 && !(ws.Signaled() && ws.Signal() == e.sig):
		fail("%s: %s: expected death by signal %d, got %v", what, e.script(), int(e.sig), cmd.ProcessState)
	case e.sig == 0 && !(ws.Exited() && ws.ExitStatus() == e.code):
		fail("%s: %s: expected exit %d, got %v (%v)", what, e.script(), e.code, cmd.ProcessState, err)
	}
}

func ends(n int) []end {
	sigs := []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM, syscall.SIGUSR1}
	var list []end
	for i := 0; i < n; i++ {
		if i%5 == 4 {
			list = append(list, end{sig: sigs[i%len(sigs)]})
		} else {
			list = append(list, end{code: i % 7})
		}
	}
	return list
}

// Zombies among the children of this program and of its parent, where the orphans go: the
// program as PID 1, or the init above it. (Not the whole of /proc: outside a PID namespace that
// is the whole machine.)
func zombies() int {
	n := 0
	parents := map[int]bool{os.Getpid(): true}
	if os.Getppid() > 0 {
		parents[os.Getppid()] = true
	}
	dirs, _ := os.ReadDir("/proc")
	for _, d := range dirs {
		if d.Name()[0] < '0' || d.Name()[0] > '9' {
			continue
		}
		stat, err := os.ReadFile("/proc/" + d.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(stat)
		i := strings.LastIndexByte(s, ')')
		var state byte
		var ppid int
		if i < 0 || i+2 >= len(s) {
			continue
		}
		if _, err := fmt.Sscanf(s[i+2:], "%c %d", &state, &ppid); err == nil && state == 'Z' && parents[ppid] {
			n++
		}
	}
	return n
}

// Starts the storm program; it has said STORM READY when this returns. Closing the returned
// pipe ends it.
func startStorm(path string) (*exec.Cmd, io.WriteCloser) {
	st := exec.Command(path)
	stdin, err := st.StdinPipe()
	if err != nil {
		fail("storm stdin: %v", err)
		result()
	}
	stdout, err := st.StdoutPipe()
	if err != nil {
		fail("storm stdout: %v", err)
		result()
	}
	st.Stderr = os.Stderr
	if err := st.Start(); err != nil {
		fail("storm start: %v", err)
		result()
	}
	lines := bufio.NewScanner(stdout)
	if !lines.Scan() || lines.Text() != "STORM READY" {
		fail("storm did not say STORM READY: %q", lines.Text())
	}
	go func() {
		for lines.Scan() {
			fmt.Println("storm:", lines.Text())
		}
	}()
	return st, stdin
}

func runExec(storm string) {
	var st *exec.Cmd
	var stdin io.WriteCloser
	if storm != "" {
		st, stdin = startStorm(storm)
	}

	list := ends(60)
	for i, e := range list[:20] {
		check(e, fmt.Sprintf("sequential %d", i))
	}
	var wg sync.WaitGroup
	for i, e := range list[20:] {
		wg.Add(1)
		go func(i int, e end) {
			defer wg.Done()
			check(e, fmt.Sprintf("concurrent %d", i))
		}(i, e)
	}
	wg.Wait()
	fmt.Println("children checked:", len(list))

	if st != nil {
		stdin.Close()
		if err := st.Wait(); err != nil {
			fail("the storm ended with %v", err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	z := zombies()
	for z != 0 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
		z = zombies()
	}
	if z != 0 {
		fail("zombies left: expected 0, got %d", z)
	}
	result()
}

func runNotify() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGTERM)
	fmt.Println("READY")
	got := <-ch
	fmt.Println("GOT", got)
	check(end{code: 3}, "after the signal")
	if failures != 0 {
		result()
	}
	os.Exit(7)
}

func runNoHandler() {
	fmt.Println("READY")
	select {}
}

func runMaps() {
	maps, err := os.ReadFile("/proc/self/maps")
	if err != nil {
		fail("maps: %v", err)
	}
	fmt.Printf("cgo %v pid %d reap.so mapped %v\n", cgoLinked, cPid(), strings.Contains(string(maps), "/reap.so"))
	result()
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: goinit exec [STORM] | notify | nohandler | maps")
		os.Exit(2)
	}
	switch os.Args[1] {
	case "exec":
		storm := ""
		if len(os.Args) > 2 {
			storm = os.Args[2]
		}
		runExec(storm)
	case "notify":
		runNotify()
	case "nohandler":
		runNoHandler()
	case "maps":
		runMaps()
	default:
		fmt.Fprintln(os.Stderr, "unknown variant", os.Args[1])
		os.Exit(2)
	}
}
