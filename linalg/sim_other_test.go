//go:build !amd64 || purego

package linalg

import "testing"

// simulatedKernelSets returns nothing: x86sim runs amd64 kernels, which
// this build does not have.
func simulatedKernelSets(*testing.T) []*kernelSet { return nil }
