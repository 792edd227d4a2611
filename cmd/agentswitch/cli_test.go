package main

import (
	"bytes"
	"strings"
	"testing"
)

// runCLI runs the command line in process.
func runCLI(env map[string]string, args ...string) (stdout, stderr string, err error) {
	var out, errb bytes.Buffer
	err = run(args, func(k string) string { return env[k] }, &out, &errb)
	return out.String(), errb.String(), err
}

func TestHelp(t *testing.T) {
	secret := "do-not-print-me-1234"
	env := map[string]string{"AGENTSWITCH_ESL_PASSWORD": secret, "AGENTSWITCH_XML_CURL_SECRET": secret, "AGENTSWITCH_PHONE_PASSWORD": secret}
	for _, c := range []struct {
		args []string
		want []string // in the usage
		not  []string // never in it
	}{
		{[]string{"-h"}, []string{"usage: agentswitch <command>", "serve ", "sim ", "migrate ", "user ", "phone ", "version "}, nil},
		{[]string{"--help"}, []string{"usage: agentswitch <command>", "user ", "phone "}, nil},
		{[]string{"help"}, []string{"usage: agentswitch <command>"}, nil},
		{[]string{"serve", "-h"}, []string{"usage: agentswitch serve", "-http-addr", "[AGENTSWITCH_HTTP_ADDR]", "-esl-password"}, []string{secret}},
		{[]string{"serve", "--help"}, []string{"usage: agentswitch serve"}, nil},
		{[]string{"serve", "-log-level", "debug", "-h"}, []string{"usage: agentswitch serve"}, nil},
		{[]string{"sim", "-h"}, []string{"usage: agentswitch sim", "-answer-delay"}, []string{secret}},
		{[]string{"migrate", "-h"}, []string{"usage: agentswitch migrate", "-db", "[AGENTSWITCH_DB]", "-var-dir"}, []string{"-esl-addr", "-http-addr", "-log-format"}},
		{[]string{"user", "-h"}, []string{"usage: agentswitch user add"}, nil},
		{[]string{"user", "add", "-h"}, []string{"usage: agentswitch user add", "-agent-extension", "-db"}, nil},
		{[]string{"phone", "-h"}, []string{"usage: agentswitch phone agent|lead"}, nil},
		{[]string{"phone", "agent", "-h"}, []string{"usage: agentswitch phone agent", "-registrar"}, []string{secret}},
		{[]string{"phone", "lead", "-h"}, []string{"usage: agentswitch phone lead", "-outcome"}, []string{"-registrar"}},
		{[]string{"version", "-h"}, []string{"usage: agentswitch version"}, nil},
	} {
		out, errOut, err := runCLI(env, c.args...)
		if err != nil || errOut != "" {
			t.Errorf("%v: err %v, stderr %q", c.args, err, errOut)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v: usage lacks %q:\n%s", c.args, w, out)
			}
		}
		for _, n := range append(c.not, "Usage of", "help requested") {
			if strings.Contains(out, n) {
				t.Errorf("%v: usage has %q:\n%s", c.args, n, out)
			}
		}
	}
}

func TestUsageErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string // in the error or on stderr
	}{
		{nil, "usage: agentswitch <command>"},
		{[]string{"nope"}, `unknown command "nope"`},
		{[]string{"serve", "-bogus"}, "serve: flag provided but not defined: -bogus (agentswitch serve -h lists the flags)"},
		{[]string{"serve", "extra"}, "serve: unexpected arguments: extra"},
		{[]string{"migrate", "-http-addr", "x"}, "migrate: flag provided but not defined: -http-addr"},
		{[]string{"sim", "-heartbeat", "soon"}, `sim: invalid value "soon" for flag -heartbeat`},
		{[]string{"user"}, "usage: agentswitch user add"},
		{[]string{"user", "remove"}, "usage: agentswitch user add"},
		{[]string{"phone"}, "usage: agentswitch phone"},
		{[]string{"version", "x"}, "version: unexpected arguments: x"},
	} {
		out, errOut, err := runCLI(nil, c.args...)
		if err == nil {
			t.Errorf("%v: accepted; stdout %q", c.args, out)
			continue
		}
		if !strings.Contains(err.Error()+errOut, c.want) {
			t.Errorf("%v: want %q in %v / %q", c.args, c.want, err, errOut)
		}
	}
}
