//go:build race

package linalg

// raceEnabled is set in -race builds, where sync.Pool deliberately drops
// objects at random, so allocation counts mean nothing there.
const raceEnabled = true
