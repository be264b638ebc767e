// Package atomicfile writes a file whole or not at all: the content goes to
// a temporary file in the same folder, renamed over the path only when the
// writer commits. Until then, and forever when it aborts, fails or is
// killed, whatever was at the path stays as it was: a run that fails
// before its results exist, or a SIGKILL in the middle of one, never
// leaves an emptied result file behind.
//
// It imports only the standard library, so that every package that writes
// a result (cli, report, record, internal/peakcache) may use it.
package atomicfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
)

// File is a file being written to a temporary name beside its path. Its
// methods may be called from one goroutine at a time, except Abort and
// Commit, which may race each other (the first wins).
type File struct {
	f    *os.File
	path string

	mu   sync.Mutex
	done bool
}

// Create starts writing path: it checks at once that the folder takes a
// new file (so an unwritable path fails before anything runs) and leaves
// path itself untouched. The temporary file is ".NAME.*.tmp" in the same
// folder, so that the rename never crosses file systems.
func Create(path string) (*File, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, fmt.Errorf("%s is a directory", path)
	}
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the temporary name means nothing to the person
		}
		return nil, err
	}
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm() // a file replaced keeps its permissions
	}
	if err := f.Chmod(mode); err != nil {
		_ = f.Close()
		_ = os.Remove(f.Name())
		return nil, err
	}
	return &File{f: f, path: path}, nil
}

// Name is the path the file will have once committed.
func (f *File) Name() string { return f.path }

// TempName is the temporary file's path, where the content is until Commit.
func (f *File) TempName() string { return f.f.Name() }

// Write writes to the temporary file.
func (f *File) Write(p []byte) (int, error) { return f.f.Write(p) }

// Commit flushes the temporary file to disk and renames it over the path.
// After a failed Commit the temporary file is gone and the path as it was.
// A second Commit, or a Commit after Abort, does nothing.
func (f *File) Commit() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done {
		return nil
	}
	f.done = true
	err := errors.Join(f.f.Sync(), f.f.Close())
	if err == nil {
		err = os.Rename(f.f.Name(), f.path)
	}
	if err != nil {
		_ = os.Remove(f.f.Name())
		return fmt.Errorf("%s was not written: %w", f.path, err)
	}
	return nil
}

// Abort drops what was written and leaves the path as it was. It does
// nothing after Commit, so it may be deferred on every way out.
func (f *File) Abort() {
	if f == nil {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.done {
		return
	}
	f.done = true
	_ = f.f.Close()
	_ = os.Remove(f.f.Name())
}
