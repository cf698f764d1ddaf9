package script

import (
	"errors"
	"fmt"
	"strings"
)

// Pos is where a line came from: a file name (or "stdin") and a line
// number. A zero Pos is the REPL, which has no positions to report.
type Pos struct {
	File string
	Line int
}

func (p Pos) String() string {
	if p.File == "" {
		return ""
	}
	return fmt.Sprintf("%s:%d", p.File, p.Line)
}

// line is one parsed command line: the command word and what follows it,
// with variables expanded.
type line struct {
	name string   // the command word, as typed
	rest string   // everything after the word, expanded, spaces trimmed
	args []string // rest split at spaces
}

// isBlank reports whether a line is empty or a comment and so is skipped.
func isBlank(s string) bool {
	s = strings.TrimSpace(s)
	return s == "" || s[0] == '#'
}

// splitWord splits s into its first word and the rest, both trimmed.
func splitWord(s string) (word, rest string) {
	s = strings.TrimSpace(s)
	i := strings.IndexAny(s, " \t")
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i+1:])
}

// parseLine splits a command line into its word and arguments and expands
// $VAR and ${VAR} in the arguments with lookup. The command word itself is
// not expanded. With text set, the rest is one argument and is not split
// into words (send stays cheap).
func parseLine(s string, lookup func(string) (string, bool), text ...bool) (line, error) {
	word, rest := splitWord(s)
	if word == "" {
		return line{}, errors.New("empty command")
	}
	rest, err := expand(rest, lookup)
	if err != nil {
		return line{}, err
	}
	rest = strings.TrimSpace(rest)
	if len(text) > 0 && text[0] {
		return line{name: word, rest: rest}, nil
	}
	return line{name: word, rest: rest, args: strings.Fields(rest)}, nil
}

// expand replaces $NAME and ${NAME} with the value lookup gives. $$ is a
// literal $, and a $ not followed by a name is kept as it is (so "costs
// $5" needs no escaping). A variable that is not set is an error, so that
// a script fails where it uses it rather than later with an empty value.
func expand(s string, lookup func(string) (string, bool)) (string, error) {
	i := strings.IndexByte(s, '$')
	if i < 0 {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i >= 0 {
		b.WriteString(s[:i])
		s = s[i+1:]
		var name string
		switch {
		case strings.HasPrefix(s, "$"):
			b.WriteByte('$')
			s = s[1:]
		case strings.HasPrefix(s, "{"):
			end := strings.IndexByte(s, '}')
			if end < 0 {
				return "", errors.New("unclosed ${ in a variable reference; write ${NAME}")
			}
			name = s[1:end]
			if !isVarName(name) {
				return "", fmt.Errorf("bad variable name ${%s}: use letters, digits and _, not starting with a digit", name)
			}
			s = s[end+1:]
		default:
			n := varNameLen(s)
			if n == 0 {
				b.WriteByte('$')
				break
			}
			name, s = s[:n], s[n:]
		}
		if name != "" {
			v, ok := lookup(name)
			if !ok {
				return "", fmt.Errorf("variable $%s is not set", name)
			}
			b.WriteString(v)
		}
		i = strings.IndexByte(s, '$')
	}
	b.WriteString(s)
	return b.String(), nil
}

// varNameLen is the length of the variable name at the start of s.
func varNameLen(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		letter := c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		if !letter && (i == 0 || c < '0' || c > '9') {
			return i
		}
	}
	return len(s)
}

func isVarName(s string) bool { return s != "" && varNameLen(s) == len(s) }
