//go:build !cgo

package main

// Built with CGO_ENABLED=0: a static binary, which no preload reaches.

import "os"

const cgoLinked = false

func cPid() int { return os.Getpid() }
