package npy

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// header is what a .npy header dictionary says.
type header struct {
	descr        string
	fortranOrder bool
	shape        []int
}

// parseHeader reads the header dictionary, a Python literal such as
// "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }" followed by
// spaces and a newline. It needs exactly the keys descr (a string),
// fortran_order (True or False) and shape (a tuple of non-negative ints).
func parseHeader(s string) (header, error) {
	p := &headerParser{s: s}
	var h header
	seen := map[string]bool{}
	if err := p.expect('{'); err != nil {
		return h, err
	}
	for {
		p.space()
		if p.peek() == '}' {
			p.i++
			break
		}
		key, err := p.str()
		if err != nil {
			return h, err
		}
		if seen[key] {
			return h, fmt.Errorf("header key %q appears twice", key)
		}
		seen[key] = true
		if err := p.expect(':'); err != nil {
			return h, err
		}
		p.space()
		switch key {
		case "descr":
			if p.peek() != '\'' && p.peek() != '"' {
				return h, fmt.Errorf("descr is not a type string such as '<f4' (a structured dtype?); accepted: %s", accepted)
			}
			h.descr, err = p.str()
		case "fortran_order":
			h.fortranOrder, err = p.boolean()
		case "shape":
			h.shape, err = p.tuple()
		default:
			return h, fmt.Errorf("unknown header key %q (a .npy header has descr, fortran_order and shape)", key)
		}
		if err != nil {
			return h, fmt.Errorf("%s: %w", key, err)
		}
		p.space()
		if p.peek() == ',' {
			p.i++
			continue
		}
		if err := p.expect('}'); err != nil {
			return h, err
		}
		break
	}
	if rest := strings.TrimRight(s[p.i:], " \t\n\r\x00"); rest != "" {
		return h, fmt.Errorf("header has %q after its dictionary", clip(rest))
	}
	for _, k := range []string{"descr", "fortran_order", "shape"} {
		if !seen[k] {
			return h, fmt.Errorf("header has no %q key", k)
		}
	}
	return h, nil
}

// headerParser walks a header dictionary.
type headerParser struct {
	s string
	i int
}

func (p *headerParser) peek() byte {
	if p.i < len(p.s) {
		return p.s[p.i]
	}
	return 0
}

func (p *headerParser) space() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t' || p.s[p.i] == '\n' || p.s[p.i] == '\r') {
		p.i++
	}
}

func (p *headerParser) expect(c byte) error {
	p.space()
	if p.peek() != c {
		return fmt.Errorf("header: want %q at byte %d, found %q", c, p.i, clip(p.s[p.i:]))
	}
	p.i++
	return nil
}

// str reads a quoted string without escapes (no header NumPy writes has one).
func (p *headerParser) str() (string, error) {
	p.space()
	q := p.peek()
	if q != '\'' && q != '"' {
		return "", fmt.Errorf("header: want a quoted string at byte %d, found %q", p.i, clip(p.s[p.i:]))
	}
	end := strings.IndexByte(p.s[p.i+1:], q)
	if end < 0 {
		return "", fmt.Errorf("header: unterminated string at byte %d", p.i)
	}
	v := p.s[p.i+1 : p.i+1+end]
	if strings.ContainsRune(v, '\\') {
		return "", fmt.Errorf("header: escaped string %q", clip(v))
	}
	p.i += end + 2
	return v, nil
}

func (p *headerParser) boolean() (bool, error) {
	for _, w := range []struct {
		lit string
		v   bool
	}{{"True", true}, {"False", false}} {
		if strings.HasPrefix(p.s[p.i:], w.lit) {
			p.i += len(w.lit)
			return w.v, nil
		}
	}
	return false, fmt.Errorf("want True or False, found %q", clip(p.s[p.i:]))
}

// tuple reads "()", "(3,)" or "(2, 3)" (a trailing comma allowed, and
// Python 2's "3L").
func (p *headerParser) tuple() ([]int, error) {
	if err := p.expect('('); err != nil {
		return nil, err
	}
	dims := []int{}
	for {
		p.space()
		if p.peek() == ')' {
			p.i++
			return dims, nil
		}
		start := p.i
		for p.i < len(p.s) && p.s[p.i] >= '0' && p.s[p.i] <= '9' {
			p.i++
		}
		if start == p.i {
			return nil, fmt.Errorf("want a dimension (a non-negative integer) at byte %d, found %q", p.i, clip(p.s[p.i:]))
		}
		n, err := strconv.ParseInt(p.s[start:p.i], 10, 64)
		if err != nil || n > math.MaxInt {
			return nil, fmt.Errorf("dimension %s is too large", clip(p.s[start:p.i]))
		}
		if p.peek() == 'L' {
			p.i++
		}
		dims = append(dims, int(n))
		p.space()
		switch p.peek() {
		case ',':
			p.i++
		case ')':
		default:
			return nil, fmt.Errorf("want ',' or ')' at byte %d, found %q", p.i, clip(p.s[p.i:]))
		}
	}
}

// clip shortens text quoted in a message.
func clip(s string) string {
	if len(s) > 24 {
		return s[:24] + "…"
	}
	return s
}

// formatHeader writes the dictionary as NumPy does, without the padding.
func formatHeader(descr string, shape []int) string {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = strconv.Itoa(d)
	}
	tuple := "(" + strings.Join(dims, ", ") + ")"
	if len(shape) == 1 {
		tuple = "(" + dims[0] + ",)"
	}
	return fmt.Sprintf("{'descr': '%s', 'fortran_order': False, 'shape': %s, }", descr, tuple)
}
