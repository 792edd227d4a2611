package esl

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// OriginateError is an originate that FreeSWITCH answered with a hangup
// cause (USER_BUSY, NO_ANSWER, ...).
type OriginateError struct {
	UUID  string
	Cause string
}

func (e *OriginateError) Error() string { return "esl: originate " + e.UUID + ": " + e.Cause }

// ErrUUIDMismatch: FreeSWITCH created the leg under another UUID than the
// one asked for (it does so on some endpoints when the UUID is in use).
var ErrUUIDMismatch = errors.New("esl: originate answered with another UUID")

// Call is an originate in progress.
type Call struct {
	UUID       string
	Node       string
	job        *Job
	conference bool // conference dial reports "result: [CAUSE]" instead of the UUID
}

// Answered is closed when FreeSWITCH has reported the outcome.
func (c *Call) Answered() <-chan struct{} { return c.job.Done() }

// Wait returns nil once the leg is answered, an *OriginateError with the
// hangup cause if it failed, or ErrResultUnknown if the node was lost.
func (c *Call) Wait(ctx context.Context) error {
	body, err := c.job.Wait(ctx)
	return c.outcome(body, err)
}

// OnDone calls fn with what Wait would return, once it is known (see
// Job.OnDone: fn must not block).
func (c *Call) OnDone(fn func(error)) { c.job.OnDone(func() { fn(c.Result()) }) }

// Result is Wait for a call already Answered.
func (c *Call) Result() error {
	body, err := c.job.Result()
	return c.outcome(body, err)
}

func (c *Call) outcome(body string, err error) error {
	if err != nil {
		var re *ReplyError
		if errors.As(err, &re) && strings.HasPrefix(re.Reply, "-ERR ") {
			return &OriginateError{UUID: c.UUID, Cause: strings.TrimSpace(strings.TrimPrefix(re.Reply, "-ERR "))}
		}
		return err
	}
	if c.conference {
		// "+OK Call Requested: result: [SUCCESS]"
		_, res, _ := strings.Cut(body, "[")
		res, _, _ = strings.Cut(res, "]")
		if res != "SUCCESS" {
			return &OriginateError{UUID: c.UUID, Cause: res}
		}
		return nil
	}
	got := strings.TrimSpace(strings.TrimPrefix(body, "+OK"))
	if got != c.UUID {
		return fmt.Errorf("%w: asked %s, got %s", ErrUUIDMismatch, c.UUID, got)
	}
	return nil
}

// Originate starts a leg in the background on the given node (o.Node) or
// the least loaded one. The UUID is registered before the command is sent.
func (c *Client) Originate(ctx context.Context, o Originate, nodeName string) (*Call, error) {
	cmd, err := o.Command()
	if err != nil {
		return nil, err
	}
	n, err := c.pick(nodeName)
	if err != nil {
		return nil, err
	}
	c.own(o.UUID, n)
	j, err := n.bgapi(ctx, cmd)
	if err != nil {
		c.disown(o.UUID, n)
		return nil, err
	}
	return &Call{UUID: o.UUID, Node: n.cfg.Name, job: j}, nil
}

// ConferenceDial calls out from a conference room (creating it if needed)
// in the background. The room's node is the one that reported it, else the
// least loaded.
func (c *Client) ConferenceDial(ctx context.Context, room, profile string, o Originate) (*Call, error) {
	cmd, err := ConferenceDialCmd(room, profile, o)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	n := c.rooms[room]
	c.mu.Unlock()
	if n == nil {
		if n, err = c.pick(""); err != nil {
			return nil, err
		}
	}
	c.own(o.UUID, n)
	j, err := n.bgapi(ctx, cmd)
	if err != nil {
		c.disown(o.UUID, n)
		return nil, err
	}
	return &Call{UUID: o.UUID, Node: n.cfg.Name, job: j, conference: true}, nil
}

// onChannel runs a command on the node that owns uuid.
func (c *Client) onChannel(ctx context.Context, uuid string, strict bool, build func() (Command, error)) (string, error) {
	cmd, err := build()
	if err != nil {
		return "", err
	}
	n, err := c.route(uuid, strict)
	if err != nil {
		return "", err
	}
	return n.api(ctx, cmd)
}

// Bridge connects two answered, parked legs. +OK only means scheduled: the
// CHANNEL_BRIDGE event confirms it.
func (c *Client) Bridge(ctx context.Context, a, b string) error {
	_, err := c.onChannel(ctx, a, false, func() (Command, error) { return BridgeCmd(a, b) })
	return err
}

// Hold holds (hold=true) or resumes a leg. Hold the agent's leg to play
// music to the lead.
func (c *Client) Hold(ctx context.Context, uuid string, hold bool) error {
	_, err := c.onChannel(ctx, uuid, true, func() (Command, error) { return HoldCmd(uuid, hold) })
	return err
}

// Mute silences (or restores) the audio a leg's phone sends.
func (c *Client) Mute(ctx context.Context, uuid string, mute bool) error {
	_, err := c.onChannel(ctx, uuid, false, func() (Command, error) { return MuteCmd(uuid, mute) })
	return err
}

// Transfer sends a leg (or its partner, or both) to a dialplan extension.
func (c *Client) Transfer(ctx context.Context, uuid string, leg TransferLeg, dest Extension) error {
	_, err := c.onChannel(ctx, uuid, false, func() (Command, error) { return TransferCmd(uuid, leg, dest) })
	return err
}

// TransferToConference moves a leg (or both legs of its bridge) into a room.
func (c *Client) TransferToConference(ctx context.Context, uuid string, leg TransferLeg, room, profile string) error {
	_, err := c.onChannel(ctx, uuid, false, func() (Command, error) { return TransferToConferenceCmd(uuid, leg, room, profile) })
	return err
}

// Park takes a leg (or legs) out of a bridge or conference and parks it.
func (c *Client) Park(ctx context.Context, uuid string, leg TransferLeg) error {
	_, err := c.onChannel(ctx, uuid, false, func() (Command, error) { return ParkCmd(uuid, leg) })
	return err
}

// ConferenceMember runs a member command (kick, mute, hold...) by member id.
func (c *Client) ConferenceMember(ctx context.Context, room string, action ConferenceMemberAction, member int) error {
	cmd, err := ConferenceMemberCmd(room, action, member)
	if err != nil {
		return err
	}
	n, err := c.roomNode(room)
	if err != nil {
		return err
	}
	_, err = n.api(ctx, cmd)
	return err
}

// ConferenceList lists a room's members.
func (c *Client) ConferenceList(ctx context.Context, room string) ([]ConferenceMember, error) {
	cmd, err := ConferenceListCmd(room)
	if err != nil {
		return nil, err
	}
	n, err := c.roomNode(room)
	if err != nil {
		return nil, err
	}
	body, err := n.api(ctx, cmd)
	if err != nil {
		return nil, err
	}
	return parseConferenceList(body)
}

func (c *Client) roomNode(room string) (*node, error) {
	c.mu.Lock()
	n := c.rooms[room]
	c.mu.Unlock()
	if n != nil {
		return n, nil
	}
	if len(c.nodes) == 1 {
		return c.nodes[0], nil
	}
	return nil, fmt.Errorf("%w: conference %s", ErrCommandFailed, room)
}

// SendDTMF sends digits to a leg's phone.
func (c *Client) SendDTMF(ctx context.Context, uuid, digits string, duration time.Duration) error {
	_, err := c.onChannel(ctx, uuid, false, func() (Command, error) { return SendDTMFCmd(uuid, digits, duration) })
	return err
}

// RecordStart records a leg (both directions mixed) to path.
func (c *Client) RecordStart(ctx context.Context, uuid, path string, limit time.Duration) error {
	_, err := c.onChannel(ctx, uuid, false, func() (Command, error) { return RecordCmd(uuid, true, path, limit) })
	return err
}

// RecordStop stops the recording started with the same path.
func (c *Client) RecordStop(ctx context.Context, uuid, path string) error {
	_, err := c.onChannel(ctx, uuid, false, func() (Command, error) { return RecordCmd(uuid, false, path, 0) })
	return err
}

// Broadcast plays a file to a call (e.g. the recording-consent message).
func (c *Client) Broadcast(ctx context.Context, uuid, path string, leg BroadcastLeg) error {
	_, err := c.onChannel(ctx, uuid, false, func() (Command, error) { return BroadcastCmd(uuid, path, leg) })
	return err
}

// Kill hangs a leg up with a cause ("" = NORMAL_CLEARING).
func (c *Client) Kill(ctx context.Context, uuid, cause string) error {
	_, err := c.onChannel(ctx, uuid, false, func() (Command, error) { return KillCmd(uuid, cause) })
	return err
}

// SetVar sets a channel variable; an empty value unsets it.
func (c *Client) SetVar(ctx context.Context, uuid, name, value string) error {
	_, err := c.onChannel(ctx, uuid, false, func() (Command, error) { return SetVarCmd(uuid, name, value) })
	return err
}

// GetVar reads a channel variable; ok is false when it is unset.
func (c *Client) GetVar(ctx context.Context, uuid, name string) (value string, ok bool, err error) {
	body, err := c.onChannel(ctx, uuid, false, func() (Command, error) { return GetVarCmd(uuid, name) })
	if err != nil {
		return "", false, err
	}
	if body == "_undef_" {
		return "", false, nil
	}
	return body, true, nil
}

// Exists asks FreeSWITCH whether the channel is alive.
func (c *Client) Exists(ctx context.Context, uuid string) (bool, error) {
	body, err := c.onChannel(ctx, uuid, false, func() (Command, error) { return ExistsCmd(uuid) })
	if err != nil {
		return false, err
	}
	return strings.TrimSpace(body) == "true", nil
}

// SetEavesdropMode switches a supervisor's leg between listen, whisper and
// barge by injecting the digit FreeSWITCH's eavesdrop listens for.
func (c *Client) SetEavesdropMode(ctx context.Context, supervisorUUID string, mode EavesdropMode) error {
	_, err := c.onChannel(ctx, supervisorUUID, false, func() (Command, error) {
		d, err := mode.digit()
		if err != nil {
			return Command{}, err
		}
		return RecvDTMFCmd(supervisorUUID, d)
	})
	return err
}

// ShowChannels reads a node's live channels.
func (c *Client) ShowChannels(ctx context.Context, nodeName string) ([]Channel, error) {
	n, err := c.pick(nodeName)
	if err != nil {
		return nil, err
	}
	return n.showChannels(ctx)
}

// API runs a command built by this package's builders on a node and
// returns FreeSWITCH's output.
func (c *Client) API(ctx context.Context, nodeName string, cmd Command) (string, error) {
	n, err := c.pick(nodeName)
	if err != nil {
		return "", err
	}
	return n.api(ctx, cmd)
}

// BgAPI runs a command in the background on a node.
func (c *Client) BgAPI(ctx context.Context, nodeName string, cmd Command) (*Job, error) {
	n, err := c.pick(nodeName)
	if err != nil {
		return nil, err
	}
	return n.bgapi(ctx, cmd)
}

// PlayAndHangup plays a file to a leg, then hangs it up.
func (c *Client) PlayAndHangup(ctx context.Context, uuid, file string) error {
	_, err := c.onChannel(ctx, uuid, false, func() (Command, error) { return PlayAndHangupCmd(uuid, file) })
	return err
}

// BridgeOut has the leg b.Leg dial b.Dial itself (see BridgeOutCmd); the
// new leg, b.Dial.UUID, lives on the same node. The result shows as
// events: CHANNEL_BRIDGE with b.Leg as the A leg, or
// CHANNEL_EXECUTE_COMPLETE of bridge with variable_originate_disposition
// when it failed (b.Leg then stays up, parked, unless b.ThenHangup).
func (c *Client) BridgeOut(ctx context.Context, b BridgeOut) error {
	cmd, err := BridgeOutCmd(b)
	if err != nil {
		return err
	}
	n, err := c.route(b.Leg, false)
	if err != nil {
		return err
	}
	c.own(b.Dial.UUID, n)
	if _, err := n.api(ctx, cmd); err != nil {
		c.disown(b.Dial.UUID, n)
		return err
	}
	return nil
}

// Announce tells a waiting caller its place and/or estimated wait, then
// plays the music again (AnnounceCmds). The commands go in order to the
// caller's node; the first one refused stops the rest and is returned.
func (c *Client) Announce(ctx context.Context, uuid string, a Announcement) error {
	cmds, err := AnnounceCmds(uuid, a)
	if err != nil {
		return err
	}
	n, err := c.route(uuid, true)
	if err != nil {
		return err
	}
	for _, cmd := range cmds {
		if _, err := n.api(ctx, cmd); err != nil {
			return err
		}
	}
	return nil
}

// HoldMusic plays (or stops) the leg's hold music to it.
func (c *Client) HoldMusic(ctx context.Context, uuid string, on bool) error {
	_, err := c.onChannel(ctx, uuid, true, func() (Command, error) { return HoldMusicCmd(uuid, on) })
	return err
}
