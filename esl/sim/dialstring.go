package sim

import (
	"strings"
)

// separate splits s the way switch_separate_string does: a leading "^^X"
// switches the delimiter to X; single quotes group (and are removed); a
// backslash escapes the next character.
func separate(s string, delim byte) []string {
	if len(s) > 3 && s[0] == '^' && s[1] == '^' {
		delim = s[2]
		s = s[3:]
	}
	if delim == ' ' {
		return separateBlank(s)
	}
	var parts []string
	start := 0
	inQuotes := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\':
			i++
		case c == '\'' && (inQuotes || strings.IndexByte(s[i+1:], '\'') >= 0):
			inQuotes = !inQuotes
		case c == delim && !inQuotes:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	if start < len(s) {
		parts = append(parts, s[start:])
	}
	for i := range parts {
		parts[i] = cleanupSeparated(parts[i], delim)
	}
	return parts
}

func separateBlank(s string) []string {
	var parts []string
	i := 0
	for i < len(s) {
		for i < len(s) && s[i] == ' ' {
			i++
		}
		if i >= len(s) {
			break
		}
		start := i
		inQuotes := false
		for i < len(s) {
			c := s[i]
			if c == '\\' {
				i += 2
				continue
			}
			if c == '\'' {
				inQuotes = !inQuotes
			} else if c == ' ' && !inQuotes {
				break
			}
			i++
		}
		if i > len(s) {
			i = len(s)
		}
		parts = append(parts, cleanupSeparated(s[start:i], 0))
	}
	return parts
}

// cleanupSeparated strips quotes, escapes and surrounding spaces.
func cleanupSeparated(s string, delim byte) string {
	s = strings.TrimLeft(s, " ")
	var b strings.Builder
	end := 0
	inQuotes := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			e := s[i+1]
			u := unescapeChar(e)
			if e == '\'' || e == '"' || (delim != 0 && e == delim) || e == '\\' || u != e {
				i++
				b.WriteByte(u)
				end = b.Len()
				continue
			}
		}
		if c == '\'' && (inQuotes || strings.IndexByte(s[i+1:], '\'') >= 0) {
			inQuotes = !inQuotes
			if inQuotes {
				end = b.Len()
			}
			continue
		}
		b.WriteByte(c)
		if c != ' ' || inQuotes {
			end = b.Len()
		}
	}
	return b.String()[:end]
}

func unescapeChar(c byte) byte {
	switch c {
	case 'n':
		return '\n'
	case 'r':
		return '\r'
	case 't':
		return '\t'
	case 's':
		return ' '
	}
	return c
}

// parseVarBlock reads "{a=b,c=d}" (or [..], <..>) at the start of s and
// returns the variables in order and the rest of s.
func parseVarBlock(s string, open, close byte) ([]field, string, bool) {
	if len(s) == 0 || s[0] != open {
		return nil, s, false
	}
	depth := 0
	end := -1
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case open:
			depth++
		case close:
			depth--
			if depth == 0 {
				end = i
			}
		case '\\':
			i++
		}
		if end >= 0 {
			break
		}
	}
	if end < 0 {
		return nil, s, false
	}
	inner := s[1:end]
	var vars []field
	for _, kvp := range separate(inner, ',') {
		name, val, ok := strings.Cut(kvp, "=")
		if !ok || name == "" {
			continue
		}
		vars = append(vars, field{Name: strings.TrimSpace(name), Value: val})
	}
	return vars, s[end+1:], true
}

// originateArgs is the parsed command line of `originate`.
type originateArgs struct {
	dial              string
	exten             string
	app, appArg       string
	dialplan, context string
	cidName, cidNum   string
	timeout           int
}

const originateUsage = "-USAGE: <call url> <exten>|&<application_name>(<app_args>) [<dialplan>] [<context>] [<cid_name>] [<cid_num>] [<timeout_sec>]\n"

func parseOriginate(arg string) (*originateArgs, bool) {
	argv := separate(arg, ' ')
	if len(argv) < 2 || len(argv) > 7 {
		return nil, false
	}
	for i := range argv {
		if strings.EqualFold(argv[i], "undef") {
			argv[i] = ""
		}
	}
	get := func(i int) string {
		if i < len(argv) {
			return argv[i]
		}
		return ""
	}
	o := &originateArgs{dial: argv[0], exten: argv[1], dialplan: get(2), context: get(3),
		cidName: get(4), cidNum: get(5)}
	if t := get(6); t != "" {
		o.timeout = atoiSafe(t)
	}
	if strings.HasPrefix(o.exten, "&") {
		o.app, o.appArg = splitApp(o.exten[1:])
	}
	if o.dialplan == "" {
		o.dialplan = "XML"
	}
	if o.context == "" {
		o.context = "default"
	}
	return o, true
}

// splitApp splits "app(args)" at the first '(' and the first ')' after it.
func splitApp(s string) (string, string) {
	i := strings.IndexByte(s, '(')
	if i < 0 {
		return s, ""
	}
	app := s[:i]
	rest := s[i+1:]
	if j := strings.IndexByte(rest, ')'); j >= 0 {
		rest = rest[:j]
	}
	return app, rest
}

func atoiSafe(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			break
		}
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// dialLeg is one leg of a dial string with its own [vars].
type dialLeg struct {
	vars []field
	url  string
}

// parseDialString splits "{global}[leg]url,[leg]url|url" into the global
// variables and the first group of legs tried together.
func parseDialString(dial string) (global []field, groups [][]dialLeg) {
	rest := strings.TrimSpace(dial)
	for {
		vars, r, ok := parseVarBlock(rest, '{', '}')
		if !ok {
			break
		}
		global = append(global, vars...)
		rest = r
	}
	if vars, r, ok := parseVarBlock(rest, '<', '>'); ok {
		global = append(global, vars...)
		rest = r
	}
	for _, group := range splitTop(rest, '|') {
		var legs []dialLeg
		for _, l := range splitTop(group, ',') {
			l = strings.TrimSpace(l)
			var lv []field
			for {
				vars, r, ok := parseVarBlock(l, '[', ']')
				if !ok {
					break
				}
				lv = append(lv, vars...)
				l = r
			}
			if l != "" {
				legs = append(legs, dialLeg{vars: lv, url: l})
			}
		}
		if len(legs) > 0 {
			groups = append(groups, legs)
		}
	}
	return global, groups
}

// splitTop splits on sep outside [] and {} blocks.
func splitTop(s string, sep byte) []string {
	var out []string
	depth := 0
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '[', '{', '<':
			depth++
		case ']', '}', '>':
			depth--
		case '\\':
			i++
		default:
			if s[i] == sep && depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// dialTarget is a resolved endpoint URL.
type dialTarget struct {
	kind     string // sofia, user, loopback, null, error
	profile  string // sofia profile
	gateway  string
	user     string // SIP user, number, extension
	host     string // host[:port]
	uri      string // sip:user@host:port
	domain   string
	chanName string
	errCause string
	ext      string // loopback extension
	context  string
	dialplan string
}

func parseTarget(url string) (*dialTarget, string) {
	kind, rest, _ := strings.Cut(url, "/")
	t := &dialTarget{kind: strings.ToLower(kind)}
	switch t.kind {
	case "sofia":
		prof, r, _ := strings.Cut(rest, "/")
		t.profile = prof
		if prof == "gateway" {
			gw, num, _ := strings.Cut(r, "/")
			t.gateway = gw
			num = strings.TrimPrefix(num, "sip:")
			u, h, _ := strings.Cut(num, "@")
			t.user = u
			t.host = h
			if h == "" {
				t.host = "127.0.0.1"
			}
			t.profile = "internal"
			t.uri = "sip:" + u + "@" + t.host
			t.chanName = "sofia/internal/" + u
			return t, ""
		}
		r = strings.TrimPrefix(r, "sip:")
		r = strings.TrimPrefix(r, "sips:")
		if i := strings.IndexByte(r, ';'); i >= 0 {
			r = r[:i]
		}
		u, h, ok := strings.Cut(r, "@")
		if !ok {
			h = u
			u = ""
		}
		t.user, t.host = u, h
		t.uri = "sip:" + r
		t.chanName = "sofia/" + prof + "/" + r
		return t, ""
	case "user":
		ext, dom, _ := strings.Cut(rest, "@")
		t.user = ext
		t.domain = dom
		return t, ""
	case "loopback":
		parts := strings.Split(rest, "/")
		t.ext = parts[0]
		t.context = "default"
		t.dialplan = "XML"
		if len(parts) > 1 && parts[1] != "" {
			t.context = parts[1]
		}
		if len(parts) > 2 && parts[2] != "" {
			t.dialplan = parts[2]
		}
		t.user = t.ext
		t.chanName = "loopback/" + t.ext + "-a"
		return t, ""
	case "null":
		t.user = rest
		t.chanName = "null/" + rest
		return t, ""
	case "error":
		c, _ := normCause(rest)
		t.errCause = c
		return t, ""
	}
	return nil, "CHAN_NOT_IMPLEMENTED"
}
