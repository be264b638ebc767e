package hostinfo

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// SelfDir is this process's folder in /proc.
const SelfDir = "/proc/self"

// Process is one reading of a process from /proc: the one place infertop
// reads its own CPU time and memory (the dashboard's host panel, the
// sweep's points, the soak report).
type Process struct {
	// CPU is the user and system time the process has used so far.
	CPU time.Duration
	// RSSBytes is the resident set size.
	RSSBytes int64
	// Threads is the number of OS threads.
	Threads int
}

// clockTicks is Linux's USER_HZ, the unit of utime and stime in /proc/self/stat.
const clockTicks = 100

// ReadProcess reads stat and statm in dir (SelfDir for this process).
func ReadProcess(dir string) (Process, error) {
	stat, err := os.ReadFile(dir + "/stat")
	if err != nil {
		return Process{}, fmt.Errorf("reading process stats: %w", err)
	}
	statm, err := os.ReadFile(dir + "/statm")
	if err != nil {
		return Process{}, fmt.Errorf("reading process memory: %w", err)
	}
	return parseProc(string(stat), string(statm), os.Getpagesize())
}

// RSS returns this process's resident set in bytes, or 0 when /proc cannot
// be read.
func RSS() int64 {
	p, err := ReadProcess(SelfDir)
	if err != nil {
		return 0
	}
	return p.RSSBytes
}

// parseProc reads utime, stime and num_threads from /proc/self/stat and the
// resident pages from /proc/self/statm.
func parseProc(stat, statm string, pageSize int) (Process, error) {
	// The command name (field 2) may hold spaces; fields restart after its ')'.
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return Process{}, fmt.Errorf("parsing /proc/self/stat: no ')' in %q", stat)
	}
	f := strings.Fields(stat[i+1:])
	// f[0] is field 3 (state); utime is field 14, stime 15, num_threads 20.
	if len(f) < 18 {
		return Process{}, fmt.Errorf("parsing /proc/self/stat: %d fields", len(f)+2)
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	stt, err2 := strconv.ParseInt(f[12], 10, 64)
	th, err3 := strconv.Atoi(f[17])
	m := strings.Fields(statm)
	if err1 != nil || err2 != nil || err3 != nil || len(m) < 2 {
		return Process{}, fmt.Errorf("parsing /proc/self/stat and statm: unexpected values")
	}
	rss, err := strconv.ParseInt(m[1], 10, 64)
	if err != nil {
		return Process{}, fmt.Errorf("parsing /proc/self/statm: %w", err)
	}
	return Process{CPU: time.Duration(ut+stt) * time.Second / clockTicks, RSSBytes: rss * int64(pageSize), Threads: th}, nil
}
