package session

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"infertop/internal/npy"
	"infertop/report"
)

// InferDir is the folder infer writes into when none is given:
// infer-<the model's stem> in the working folder.
func InferDir(modelName string) string {
	return "infer-" + report.FileStem(modelName)
}

// MakeOutputDir creates dir (and its parents) for infer's files, before
// anything runs; a path that is a file or cannot be created is a *UsageError.
func MakeOutputDir(dir string) error {
	if st, err := os.Stat(dir); err == nil && !st.IsDir() {
		return usage("--output %s is a file, not a folder (accepted: a folder, made when missing)", dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return usage("--output %s cannot be made: %v", dir, err)
	}
	return nil
}

// Written is one file infer wrote.
type Written struct {
	// Name is the graph input or output; Path the file.
	Name, Path string
}

// WriteTensors writes each tensor to dir as <name>.npy, the names made safe
// for a file (report.FileName) and told apart by a suffix where two become
// the same. Each file is written atomically: a file already there is
// replaced only once the new one is complete. taken holds file names other
// calls wrote into dir already (it is updated), so outputs and inputs never
// share a file.
func WriteTensors(dir string, ts []Named, taken map[string]bool) ([]Written, error) {
	out := make([]Written, 0, len(ts))
	for _, t := range ts {
		base := report.FileName(t.Name)
		file := base + ".npy"
		for i := 2; taken[file]; i++ {
			file = fmt.Sprintf("%s_%d.npy", base, i)
		}
		taken[file] = true
		path := filepath.Join(dir, file)
		if err := npy.WriteFile(path, t.Tensor); err != nil {
			return out, err
		}
		out = append(out, Written{Name: t.Name, Path: path})
	}
	return out, nil
}
