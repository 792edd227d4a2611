package pbx

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/internal/pbxnames"
)

// Switch runs api commands on FreeSWITCH nodes; *esl.Client provides it.
type Switch interface {
	API(ctx context.Context, node string, cmd esl.Command) (string, error)
	Nodes() []esl.NodeStatus
}

var _ Switch = (*esl.Client)(nil)

// Change says what provisioning changed, for Reload.
type Change struct {
	// Gateways added, changed or removed, by name. Each is killed (a
	// gateway sofia does not have is fine), then the carriers' profile is
	// rescanned, which starts every gateway the service now serves.
	Gateways []string
	// Rescan rescans the carriers' profile even with no gateway named: on
	// connect, since FreeSWITCH may have started before the service could
	// answer for gateways.
	Rescan bool
	// Agents whose directory entry changed.
	Agents []AgentChange
}

// AgentChange names an agent's SIP account.
type AgentChange struct {
	Extension, Domain string
	// Unregister drops the phone's registrations (agent deleted, disabled,
	// or its password changed).
	Unregister bool
}

// Reload applies a Change on every connected node: mod_xml_curl's cached
// entries are flushed, registrations dropped where asked, and gateways
// killed and rescanned. Every command is built by package esl's validated
// builders; errors of all nodes are joined.
func Reload(ctx context.Context, sw Switch, ch Change) error {
	cmds, err := reloadCommands(ch)
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range sw.Nodes() {
		if !n.Up {
			errs = append(errs, fmt.Errorf("pbx: reload: node %s is down", n.Name))
			continue
		}
		for _, c := range cmds {
			reply, err := sw.API(ctx, n.Name, c.cmd)
			if err != nil && !(c.missingOK && isNoSuchGateway(err)) {
				errs = append(errs, fmt.Errorf("pbx: reload on %s: %s: %w", n.Name, c.cmd, err))
				continue
			}
			if c.check != nil {
				if err := c.check(reply); err != nil {
					errs = append(errs, fmt.Errorf("pbx: reload on %s: %s: %w", n.Name, c.cmd, err))
				}
			}
		}
	}
	return errors.Join(errs...)
}

// Reconcile makes every connected node's carriers' profile run exactly the
// gateways named (the enabled ones in the database): one it still runs but
// the database no longer has, deleted or disabled while the node could not
// be told, is killed; then the profile is rescanned for the missing ones.
// The service runs it whenever a node (re)connects.
func Reconcile(ctx context.Context, sw Switch, gateways []string) error {
	want := map[string]bool{}
	for _, g := range gateways {
		want[g] = true
	}
	var errs []error
	for _, n := range sw.Nodes() {
		if !n.Up {
			errs = append(errs, fmt.Errorf("pbx: reconcile: node %s is down", n.Name))
			continue
		}
		status, err := sw.API(ctx, n.Name, esl.SofiaStatusCmd())
		if err != nil {
			errs = append(errs, fmt.Errorf("pbx: reconcile on %s: %w", n.Name, err))
			continue
		}
		var stale []string
		for _, g := range runningGateways(status) {
			if !want[g] {
				stale = append(stale, g)
			}
		}
		errs = append(errs, Reload(ctx, OnNode(sw, n.Name), Change{Gateways: stale, Rescan: true}))
	}
	return errors.Join(errs...)
}

// runningGateways reads the carriers' gateways from `sofia status`: rows
// "<profile>::<gateway>\tgateway\t<data>\t<state>".
func runningGateways(status string) []string {
	var out []string
	for _, line := range strings.Split(status, "\n") {
		f := strings.Split(strings.TrimSpace(line), "\t")
		if len(f) < 2 || strings.TrimSpace(f[1]) != "gateway" {
			continue
		}
		if g, ok := strings.CutPrefix(strings.TrimSpace(f[0]), pbxnames.ProfileCarriers+"::"); ok && g != "" {
			out = append(out, g)
		}
	}
	return out
}

// OnNode narrows sw to the one node name (taken as up): a node that just
// connected is provisioned on its own.
func OnNode(sw Switch, name string) Switch { return nodeOnly{sw, name} }

type nodeOnly struct {
	Switch
	name string
}

func (o nodeOnly) Nodes() []esl.NodeStatus { return []esl.NodeStatus{{Name: o.name, Up: true}} }

type reloadCmd struct {
	cmd       esl.Command
	missingOK bool
	check     func(reply string) error
}

func reloadCommands(ch Change) ([]reloadCmd, error) {
	var out []reloadCmd
	for _, a := range ch.Agents {
		c, err := esl.XMLFlushCacheCmd(a.Extension, a.Domain)
		if err != nil {
			return nil, err
		}
		out = append(out, reloadCmd{cmd: c})
		if a.Unregister {
			c, err := esl.SofiaFlushRegistrationCmd(pbxnames.ProfileAgents, a.Extension, a.Domain)
			if err != nil {
				return nil, err
			}
			out = append(out, reloadCmd{cmd: c})
		}
	}
	for _, g := range ch.Gateways {
		c, err := esl.SofiaKillGatewayCmd(pbxnames.ProfileCarriers, g)
		if err != nil {
			return nil, err
		}
		out = append(out, reloadCmd{cmd: c, missingOK: true})
	}
	if len(ch.Gateways) > 0 || ch.Rescan {
		c, err := esl.SofiaRescanCmd(pbxnames.ProfileCarriers)
		if err != nil {
			return nil, err
		}
		out = append(out, reloadCmd{cmd: c, check: func(reply string) error {
			// The reply starts with "Reload XML [...]": rescan reloads the
			// XML first. Success is a later line.
			if !strings.Contains(reply, "+OK scan complete") {
				return fmt.Errorf("%w: %s", esl.ErrCommandFailed, strings.TrimSpace(reply))
			}
			return nil
		}})
	}
	return out, nil
}

func isNoSuchGateway(err error) bool {
	var re *esl.ReplyError
	return errors.As(err, &re) && strings.Contains(strings.ToLower(re.Reply), "no such gateway")
}
