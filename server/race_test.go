//go:build race

package server_test

// raceEnabled is true when tests run with -race; the million-element tests
// then skip (they run again without -race, see the Makefile's test target).
const raceEnabled = true
