package cli

import (
	"encoding/json"
	"fmt"
	"io"
)

// writeJSON writes v as indented JSON, the form every command's --format json uses.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("writing JSON: %w", err)
	}
	return nil
}
