package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
)

// plainNumbers rewrites the numbers of encoded JSON that encoding/json wrote
// with an exponent (it does below 1e-6 and from 1e21 on: an energy per
// sample of 1.2e-07 J) in plain decimal notation, the same value, so that
// every number a document holds reads as the CSV's do. Strings are left as
// they are.
func plainNumbers(b []byte) []byte {
	var out []byte
	inString, escaped := false, false
	last := 0
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '-' || (c >= '0' && c <= '9'):
			j := i
			for j < len(b) && bytes.IndexByte([]byte("0123456789+-.eE"), b[j]) >= 0 {
				j++
			}
			if tok := b[i:j]; bytes.ContainsAny(tok, "eE") {
				if v, err := strconv.ParseFloat(string(tok), 64); err == nil {
					out = append(out, b[last:i]...)
					out = strconv.AppendFloat(out, v, 'f', -1, 64)
					last = j
				}
			}
			i = j - 1
		}
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}

// marshalPlain is json.MarshalIndent (indent "" for compact) with plain
// decimal numbers and a final newline.
func marshalPlain(v any, indent string) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return plainNumbers(buf.Bytes()), nil
}

// writePlain writes v as JSON with plain decimal numbers; what names the
// document in an error.
func writePlain(w io.Writer, v any, indent, what string) error {
	b, err := marshalPlain(v, indent)
	if err == nil {
		_, err = w.Write(b)
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", what, err)
	}
	return nil
}
