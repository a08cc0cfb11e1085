// Importing "C" makes probe.go a cgo program, dynamically linked with the C library.
package main

import "C"
