// Package paths completes typed paths to model files, as a shell
// completes file names: the entries of the typed path's folder whose names
// begin with its last element, folders ending in "/" and .onnx files only,
// with a leading "~" read as the home folder. The dashboard's "open a file…"
// prompt asks session for completions, which asks this package; ui itself
// never touches the file system.
//
// It must never import another infertop package.
package paths

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Ext is the extension of the files offered.
const Ext = ".onnx"

// Expand reads a leading "~" or "~/" as the home folder; any other path is
// returned as it is.
func Expand(path string) (string, error) {
	if path != "~" && !strings.HasPrefix(path, "~/") {
		return path, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("%s: cannot expand ~: %w", path, err)
	}
	return filepath.Join(home, path[1:]), nil
}

// Complete returns the completions of typed, sorted by name: each is typed's
// folder part as typed (a "~" kept) followed by the name of an entry of that
// folder that begins with typed's last element; folders (and links to
// folders) end in "/", and only files whose names end in .onnx (in any case)
// are offered. Hidden entries are offered only when the last element begins
// with ".". "~" alone completes to "~/". A folder that cannot be read is an
// error; one that holds no match gives none.
func Complete(typed string) ([]string, error) {
	if typed == "~" {
		return []string{"~/"}, nil
	}
	dir, base := "", typed
	if i := strings.LastIndexByte(typed, '/'); i >= 0 {
		dir, base = typed[:i+1], typed[i+1:]
	}
	read := dir
	if read == "" {
		read = "."
	}
	read, err := Expand(read)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(read)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("%s: %w", dirName(dir), err)
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, base) || (strings.HasPrefix(name, ".") && !strings.HasPrefix(base, ".")) {
			continue
		}
		switch {
		case isDir(read, e):
			out = append(out, dir+name+"/")
		case strings.HasSuffix(strings.ToLower(name), Ext):
			out = append(out, dir+name)
		}
	}
	return out, nil
}

// dirName names a folder part in messages ("." for none).
func dirName(dir string) string {
	if dir == "" {
		return "."
	}
	return dir
}

// isDir reports a folder, following a symbolic link.
func isDir(dir string, e os.DirEntry) bool {
	if e.IsDir() {
		return true
	}
	if e.Type()&os.ModeSymlink == 0 {
		return false
	}
	st, err := os.Stat(filepath.Join(dir, e.Name()))
	return err == nil && st.IsDir()
}
