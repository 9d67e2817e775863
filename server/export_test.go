package server

// Test-only knobs for the package's external tests.

// SetSaveKeyHook makes every save call fn after each key it writes (to
// slow a save down, or watch it). Set it before the first save.
func SetSaveKeyHook(s *Server, fn func()) { s.persist.keyHook = fn }
