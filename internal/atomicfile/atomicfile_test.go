package atomicfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Until Commit the old content stays at the path, whatever was written;
// Commit replaces it whole; Abort (a failed run) and a process that never
// commits (killed) leave it as it was, and Abort leaves no temporary file.
func TestOldFileStaysUntilCommit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "o.txt")
	if err := os.WriteFile(path, []byte("OLD\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("NEW, half")); err != nil {
		t.Fatal(err)
	}
	if got := read(t, path); got != "OLD\n" {
		t.Errorf("while writing: %q", got)
	}
	f.Abort()
	if got := read(t, path); got != "OLD\n" {
		t.Errorf("after Abort: %q", got)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("after Abort the folder holds %v", ents)
	}
	f, err = Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("NEW\n")); err != nil {
		t.Fatal(err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	f.Abort() // deferred on every way out: nothing after Commit
	if got := read(t, path); got != "NEW\n" {
		t.Errorf("after Commit: %q", got)
	}
	if st, _ := os.Stat(path); st.Mode().Perm() != 0o600 {
		t.Errorf("the replaced file's mode %v, want its own 0600", st.Mode().Perm())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("after Commit the folder holds %v", ents)
	}
}

func TestCreateRefuses(t *testing.T) {
	dir := t.TempDir()
	if _, err := Create(filepath.Join(dir, "missing", "o.txt")); err == nil || !strings.Contains(err.Error(), "no such file or directory") {
		t.Errorf("missing folder: %v", err)
	}
	if _, err := Create(dir); err == nil || !strings.Contains(err.Error(), "is a directory") {
		t.Errorf("a directory: %v", err)
	}
	f, err := Create(filepath.Join(dir, "new.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, "new.json")); !os.IsNotExist(err) {
		t.Errorf("the path exists before Commit: %v", err)
	}
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(filepath.Join(dir, "new.json")); err != nil || st.Mode().Perm() != 0o644 {
		t.Errorf("committed new file: %v %v", st, err)
	}
}
