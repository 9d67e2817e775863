package server_test

import "os"

// isCI reports whether tests run in CI, where interop binaries must exist.
func isCI() bool { return os.Getenv("CI") != "" }
