// The Go twin of probe.c (tests/test_describe.c): prints "preloaded" if a reap.so is mapped into
// the program, "not preloaded" if not. Built alone it is a static Go program; built with cgo.go, a
// cgo program that the dynamic loader starts.
package main

import (
	"fmt"
	"os"
	"strings"
)

func main() {
	maps, err := os.ReadFile("/proc/self/maps")
	if err == nil && strings.Contains(string(maps), "/reap.so") {
		fmt.Println("preloaded")
	} else {
		fmt.Println("not preloaded")
	}
}
