// Package hostinfo is what the host says, as gpuinfo is what the GPU says:
// this process's CPU time, memory and threads (/proc/self), the memory a new
// allocation may use (MemAvailable and the cgroup limit), the CPU model, and
// the CPU packages' RAPL energy counters. It is the one place that reads
// /proc and /sys for infertop.
//
// It imports only the standard library and internal/latest: never an
// engine, the runner, the ui or any other infertop package, so that all of
// them may use it.
package hostinfo
