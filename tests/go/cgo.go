//go:build cgo

package main

// Linking cgo makes the program dynamically linked against glibc, as `go build` does by default
// on Debian for a program that imports net or os/user; so reap.so is loaded into it.

/*
#include <unistd.h>
*/
import "C"

const cgoLinked = true

func cPid() int { return int(C.getpid()) }
