//go:build !linux

package cpu

func osYield() {}
