package report

import (
	"path/filepath"
	"strings"
	"unicode"
)

// FileName makes a name (a model's, a tensor's: "onnx::Conv_63",
// "/fc/Gemm_output_0") safe as a file's name: anything but ASCII letters,
// digits, '.', '_' and '-' becomes '_', and so does a leading '.', so that
// the file is neither hidden nor "." or ".."; an empty name is "_".
func FileName(name string) string {
	s := strings.Map(func(r rune) rune {
		if r == '.' || r == '_' || r == '-' || r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return r
		}
		return '_'
	}, name)
	if s == "" || s[0] == '.' {
		s = "_" + strings.TrimPrefix(s, ".")
	}
	return s
}

// FileStem is a model's name as part of a file name: a file's base name
// without its extension ("models/resnet.onnx" is "resnet"), a preset's name
// as it is, made safe for a file (FileName).
func FileStem(name string) string {
	return FileName(strings.TrimSuffix(filepath.Base(name), filepath.Ext(name)))
}
