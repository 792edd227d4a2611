package pbxnames

import (
	"encoding/xml"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

const configDir = "../../pbx-config"

// element is one XML element of pbx-config with its file.
type element struct {
	file  string
	name  string
	attrs map[string]string
}

// readConfig parses every XML file strictly and returns all elements.
func readConfig(t *testing.T) []element {
	t.Helper()
	var out []element
	files := 0
	err := filepath.WalkDir(configDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".xml") {
			return err
		}
		files++
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		dec := xml.NewDecoder(f)
		dec.Strict = true
		depth, roots := 0, 0
		for {
			tok, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Errorf("%s: not well formed: %v", path, err)
				return nil
			}
			switch tk := tok.(type) {
			case xml.StartElement:
				if depth == 0 {
					roots++
				}
				depth++
				e := element{file: path, name: tk.Name.Local, attrs: map[string]string{}}
				for _, a := range tk.Attr {
					e.attrs[a.Name.Local] = a.Value
				}
				out = append(out, e)
			case xml.EndElement:
				depth--
			}
		}
		if roots != 1 {
			t.Errorf("%s: %d root elements", path, roots)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if files < 10 {
		t.Fatalf("found %d XML files in %s", files, configDir)
	}
	return out
}

// constants returns the string constants of names.go by name, leaving out
// the block documented as served by the service over xml_curl.
func constants(t *testing.T) map[string]string {
	t.Helper()
	file, err := parser.ParseFile(token.NewFileSet(), "names.go", nil, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, d := range file.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.CONST {
			continue
		}
		if g.Doc != nil && strings.HasPrefix(g.Doc.Text(), "Names in the XML the service serves") {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				v, err := strconv.Unquote(vs.Values[i].(*ast.BasicLit).Value)
				if err != nil {
					t.Fatal(err)
				}
				out[n.Name] = v
			}
		}
	}
	return out
}

// where says, for each constant, where pbx-config must spell it.
var where = map[string]func(value string, els []element) bool{
	"ProfileAgents":          elementNamed("profile"),
	"ProfileCarriers":        elementNamed("profile"),
	"ContextAgents":          elementNamed("context"),
	"ContextInbound":         elementNamed("context"),
	"ContextTransfer":        elementNamed("context"),
	"ConferenceProfile":      elementNamed("profile"),
	"ConferenceProfileAgent": elementNamed("profile"),
	"VarCallID":              inActionData,
	"VarLegRole":             inActionData,
	"VarAgentID":             inConditionField,
	"VarDialed":              inActionData,
	"VarTransfer":            inActionData,
	"RoleAgentDial":          inActionData,
	"RoleTransfer":           inActionData,
	"PhraseQueuePosition":    elementNamed("macro"),
	"PhraseQueueWait":        elementNamed("macro"),
	"VarHoldMusic":           globalVar,
	"VarDomain":              globalVar,
	"VarCarriersDomain":      globalVar,
	"VarRingback":            globalVar,
	"XMLCurlPath": func(v string, els []element) bool {
		return anyOf(els, func(e element) bool {
			return e.name == "X-PRE-PROCESS" && strings.HasPrefix(e.attrs["data"], "agentswitch_xml_curl_url=") && strings.HasSuffix(e.attrs["data"], v)
		})
	},
	"XMLCurlUser": func(v string, els []element) bool {
		return anyOf(els, func(e element) bool {
			return e.attrs["name"] == "gateway-credentials" && strings.HasPrefix(e.attrs["value"], v+":")
		})
	},
}

func anyOf(els []element, f func(element) bool) bool {
	for _, e := range els {
		if f(e) {
			return true
		}
	}
	return false
}

func elementNamed(tag string) func(string, []element) bool {
	return func(v string, els []element) bool {
		return anyOf(els, func(e element) bool { return e.name == tag && e.attrs["name"] == v })
	}
}

// inActionData: a dialplan action sets or passes the name.
func inActionData(v string, els []element) bool {
	return anyOf(els, func(e element) bool {
		if e.name != "action" {
			return false
		}
		d := e.attrs["data"]
		return strings.Contains(d, v+"=") || strings.Contains(d, "="+v) || strings.Contains(d, "${"+v+"}")
	})
}

func inConditionField(v string, els []element) bool {
	return anyOf(els, func(e element) bool { return e.name == "condition" && e.attrs["field"] == "${"+v+"}" })
}

func globalVar(v string, els []element) bool {
	return anyOf(els, func(e element) bool {
		return e.name == "X-PRE-PROCESS" && e.attrs["cmd"] == "set" && strings.HasPrefix(e.attrs["data"], v+"=")
	})
}

func TestConfigWellFormed(t *testing.T) {
	els := readConfig(t)
	// The root document includes the rest.
	if !anyOf(els, func(e element) bool { return e.name == "document" && strings.HasSuffix(e.file, "freeswitch.xml") }) {
		t.Error("freeswitch.xml has no document root")
	}
}

func TestEveryNameInConfig(t *testing.T) {
	els := readConfig(t)
	consts := constants(t)
	if len(consts) < 10 {
		t.Fatalf("read %d constants from names.go", len(consts))
	}
	for name, value := range consts {
		check, ok := where[name]
		if !ok {
			t.Errorf("%s: no rule says where pbx-config spells it; add one to where", name)
			continue
		}
		if !check(value, els) {
			t.Errorf("%s (%q) is not where it belongs in pbx-config", name, value)
		}
	}
}

// No secret or port is written into the configuration: they are variables.
func TestNoLiteralSecretsOrPorts(t *testing.T) {
	for _, e := range readConfig(t) {
		if e.name != "param" {
			continue
		}
		switch e.attrs["name"] {
		case "password", "listen-port", "sip-port", "ws-binding", "wss-binding", "gateway-url", "gateway-credentials", "rtp-start-port", "rtp-end-port":
			if !strings.Contains(e.attrs["value"], "$${") {
				t.Errorf("%s: param %s = %q is not a variable", e.file, e.attrs["name"], e.attrs["value"])
			}
		}
		if strings.Contains(e.attrs["value"], "ClueCon") {
			t.Errorf("%s: the default event socket password", e.file)
		}
	}
}
