package esl

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Command is one FreeSWITCH api command: its name and argument string, both
// built from validated values.
type Command struct {
	Name string
	Args string
}

func (c Command) String() string {
	if c.Args == "" {
		return c.Name
	}
	return c.Name + " " + c.Args
}

// Endpoint is where an originate dials.
type Endpoint interface {
	dialString() (string, error)
}

// UserEndpoint is a directory user (a registered SIP phone): user/<user>[@domain].
type UserEndpoint struct {
	User   string
	Domain string
}

func (e UserEndpoint) dialString() (string, error) {
	if err := ValidateName("user", e.User); err != nil {
		return "", err
	}
	if e.Domain == "" {
		return "user/" + e.User, nil
	}
	if err := ValidateHost("domain", e.Domain); err != nil {
		return "", err
	}
	return "user/" + e.User + "@" + e.Domain, nil
}

// GatewayEndpoint is a number reached through a carrier gateway:
// sofia/gateway/<gateway>/<number>.
type GatewayEndpoint struct {
	Gateway string
	Number  string
}

func (e GatewayEndpoint) dialString() (string, error) {
	if err := ValidateName("gateway", e.Gateway); err != nil {
		return "", err
	}
	if err := ValidateNumber("number", e.Number); err != nil {
		return "", err
	}
	return "sofia/gateway/" + e.Gateway + "/" + e.Number, nil
}

// SIPEndpoint is a direct SIP URI on a profile: sofia/<profile>/sip:<user>@<host>.
type SIPEndpoint struct {
	Profile string
	User    string
	Host    string // host or host:port
}

func (e SIPEndpoint) dialString() (string, error) {
	if err := ValidateName("profile", e.Profile); err != nil {
		return "", err
	}
	if err := ValidateName("user", e.User); err != nil {
		return "", err
	}
	if err := ValidateHost("host", e.Host); err != nil {
		return "", err
	}
	return "sofia/" + e.Profile + "/sip:" + e.User + "@" + e.Host, nil
}

// LoopbackEndpoint runs an extension of the dialplan as the other side:
// loopback/<exten>[/<context>].
type LoopbackEndpoint struct {
	Exten   string
	Context string
}

func (e LoopbackEndpoint) dialString() (string, error) {
	if err := ValidateName("exten", e.Exten); err != nil {
		return "", err
	}
	if e.Context == "" {
		return "loopback/" + e.Exten, nil
	}
	if err := ValidateName("context", e.Context); err != nil {
		return "", err
	}
	return "loopback/" + e.Exten + "/" + e.Context, nil
}

// App is what an answered originate runs.
type App interface {
	appString() (string, error)
}

// Park holds the answered leg until the controller acts on it.
type Park struct{}

func (Park) appString() (string, error) { return "&park()", nil }

// ConferenceApp puts the answered leg into a conference room.
type ConferenceApp struct {
	Room    string
	Profile string
}

func (a ConferenceApp) appString() (string, error) {
	r, err := conferenceRoom(a.Room, a.Profile)
	if err != nil {
		return "", err
	}
	return "&conference(" + r + ")", nil
}

func conferenceRoom(room, profile string) (string, error) {
	if err := ValidateName("room", room); err != nil {
		return "", err
	}
	if profile == "" {
		return room, nil
	}
	if err := ValidateName("profile", profile); err != nil {
		return "", err
	}
	return room + "@" + profile, nil
}

// EavesdropMode is how a supervisor joins a call.
type EavesdropMode int

// Eavesdrop modes and the DTMF digit FreeSWITCH's eavesdrop takes for each.
const (
	Listen  EavesdropMode = iota // hears both sides, heard by nobody
	Whisper                      // heard by the agent only
	Barge                        // heard by both
)

func (m EavesdropMode) String() string {
	switch m {
	case Listen:
		return "listen"
	case Whisper:
		return "whisper"
	case Barge:
		return "barge"
	}
	return "EavesdropMode(" + strconv.Itoa(int(m)) + ")"
}

func (m EavesdropMode) digit() (string, error) {
	switch m {
	case Listen:
		return "0", nil
	case Whisper:
		return "2", nil
	case Barge:
		return "3", nil
	}
	return "", invalid("mode", "unknown eavesdrop mode %d", int(m))
}

// Eavesdrop spies on Target (the agent's leg) in the given mode.
type Eavesdrop struct {
	Target string
	Mode   EavesdropMode
}

func (a Eavesdrop) appString() (string, error) {
	if err := ValidateUUID("target", a.Target); err != nil {
		return "", err
	}
	if _, err := a.Mode.digit(); err != nil {
		return "", err
	}
	if a.Mode == Barge {
		return "&three_way(" + a.Target + ")", nil
	}
	return "&eavesdrop(" + a.Target + ")", nil
}

// Playback plays a file to the answered leg.
type Playback struct{ File string }

func (a Playback) appString() (string, error) {
	if err := ValidatePath("file", a.File); err != nil {
		return "", err
	}
	return "&playback(" + a.File + ")", nil
}

// Extension transfers the answered leg to an extension of a dialplan.
type Extension struct {
	Exten    string
	Dialplan string // default XML
	Context  string // default "default"
}

func (a Extension) appString() (string, error) {
	if err := ValidateName("exten", a.Exten); err != nil {
		return "", err
	}
	dp, ctx := a.Dialplan, a.Context
	if dp == "" {
		dp = "XML"
	}
	if ctx == "" {
		ctx = "default"
	}
	if err := ValidateName("dialplan", dp); err != nil {
		return "", err
	}
	if err := ValidateName("context", ctx); err != nil {
		return "", err
	}
	return a.Exten + " " + dp + " " + ctx, nil
}

// Originate describes one new leg. UUID is chosen by the caller so that
// events can be matched before FreeSWITCH answers.
type Originate struct {
	UUID             string
	Endpoint         Endpoint
	App              App // nil means Park
	CallerIDNumber   string
	CallerIDName     string
	Timeout          time.Duration // originate_timeout; 0 leaves FreeSWITCH's 60 s
	IgnoreEarlyMedia bool
	// Vars become channel variables (variable_<name> on every event that carries variables).
	Vars map[string]string
}

// reservedVars are set from typed fields; Vars may not override them.
var reservedVars = map[string]bool{
	"origination_uuid": true, "origination_caller_id_number": true, "origination_caller_id_name": true,
	"originate_timeout": true, "ignore_early_media": true,
}

// Command builds `originate {vars}<dial string> <app>`.
func (o Originate) Command() (Command, error) {
	if err := ValidateUUID("uuid", o.UUID); err != nil {
		return Command{}, err
	}
	if o.Endpoint == nil {
		return Command{}, invalid("endpoint", "is required")
	}
	ds, err := o.Endpoint.dialString()
	if err != nil {
		return Command{}, err
	}
	app := o.App
	if app == nil {
		app = Park{}
	}
	as, err := app.appString()
	if err != nil {
		return Command{}, err
	}
	vars := []string{"origination_uuid=" + o.UUID}
	if o.IgnoreEarlyMedia {
		vars = append(vars, "ignore_early_media=true")
	}
	if o.Timeout > 0 {
		secs := int((o.Timeout + time.Second - 1) / time.Second)
		vars = append(vars, "originate_timeout="+strconv.Itoa(secs))
	}
	if o.CallerIDNumber != "" {
		if err := ValidateNumber("caller_id_number", o.CallerIDNumber); err != nil {
			return Command{}, err
		}
		vars = append(vars, "origination_caller_id_number="+o.CallerIDNumber)
	}
	if o.CallerIDName != "" {
		if err := ValidateText("caller_id_name", o.CallerIDName, 64); err != nil {
			return Command{}, err
		}
		vars = append(vars, "origination_caller_id_name="+quote(o.CallerIDName))
	}
	if ev, ok := app.(Eavesdrop); ok && ev.Mode == Whisper {
		vars = append(vars, "eavesdrop_whisper_bleg=true")
	}
	extra, err := varList(o.Vars)
	if err != nil {
		return Command{}, err
	}
	vars = append(vars, extra...)
	return Command{Name: "originate", Args: "{" + strings.Join(vars, ",") + "}" + ds + " " + as}, nil
}

// varList renders Vars sorted by name, so the command text is reproducible.
func varList(vars map[string]string) ([]string, error) {
	names := make([]string, 0, len(vars))
	for k := range vars {
		names = append(names, k)
	}
	sort.Strings(names)
	out := make([]string, 0, len(names))
	for _, k := range names {
		if err := ValidateVarName("vars", k); err != nil {
			return nil, err
		}
		if reservedVars[k] {
			return nil, invalid("vars."+k, "is set by the originate itself")
		}
		v := vars[k]
		if err := ValidateVarValue("vars."+k, v); err != nil {
			return nil, err
		}
		out = append(out, k+"="+quote(v))
	}
	return out, nil
}

// quote protects spaces the way FreeSWITCH's argument splitter expects; the
// value was validated to hold no quote of its own.
func quote(v string) string {
	if v == "" || strings.IndexByte(v, ' ') >= 0 {
		return "'" + v + "'"
	}
	return v
}

func uuidCmd(name, field, uuid string, rest ...string) (Command, error) {
	if err := ValidateUUID(field, uuid); err != nil {
		return Command{}, err
	}
	args := uuid
	for _, r := range rest {
		args += " " + r
	}
	return Command{Name: name, Args: args}, nil
}

// BridgeCmd connects two parked legs: uuid_bridge <a> <b>.
func BridgeCmd(a, b string) (Command, error) {
	if err := ValidateUUID("uuid_b", b); err != nil {
		return Command{}, err
	}
	return uuidCmd("uuid_bridge", "uuid_a", a, b)
}

// HoldCmd holds or resumes a leg. Holding the agent's leg plays hold music to
// its partner, the lead. FreeSWITCH has no "on" keyword.
func HoldCmd(uuid string, hold bool) (Command, error) {
	if err := ValidateUUID("uuid", uuid); err != nil {
		return Command{}, err
	}
	if hold {
		return Command{Name: "uuid_hold", Args: uuid}, nil
	}
	return Command{Name: "uuid_hold", Args: "off " + uuid}, nil
}

// MuteCmd silences what the leg's phone sends (its microphone). FreeSWITCH
// raises no mute event: the caller tracks the state.
func MuteCmd(uuid string, mute bool) (Command, error) {
	if mute {
		return uuidCmd("uuid_audio", "uuid", uuid, "start", "read", "mute", "1")
	}
	return uuidCmd("uuid_audio", "uuid", uuid, "stop")
}

// TransferLeg selects which side of a bridge uuid_transfer moves.
type TransferLeg int

// Transfer legs.
const (
	LegSelf TransferLeg = iota // the named leg; its partner is hung up
	LegB                       // the partner (-bleg); the named leg is hung up
	LegBoth                    // both legs (-both)
)

func (l TransferLeg) flag() (string, error) {
	switch l {
	case LegSelf:
		return "", nil
	case LegB:
		return "-bleg", nil
	case LegBoth:
		return "-both", nil
	}
	return "", invalid("leg", "unknown transfer leg %d", int(l))
}

// TransferCmd sends a leg to an extension: uuid_transfer <uuid> [-bleg|-both] <exten> [dialplan] [context].
func TransferCmd(uuid string, leg TransferLeg, dest Extension) (Command, error) {
	if err := ValidateUUID("uuid", uuid); err != nil {
		return Command{}, err
	}
	flag, err := leg.flag()
	if err != nil {
		return Command{}, err
	}
	target, err := dest.appString()
	if err != nil {
		return Command{}, err
	}
	return Command{Name: "uuid_transfer", Args: joinArgs(uuid, flag, target)}, nil
}

// TransferToConferenceCmd moves a leg (or both legs) into a conference room
// with an inline dialplan that parks a member once it is kicked, so an agent
// who leaves a warm transfer stays connected to us.
func TransferToConferenceCmd(uuid string, leg TransferLeg, room, profile string) (Command, error) {
	if err := ValidateUUID("uuid", uuid); err != nil {
		return Command{}, err
	}
	flag, err := leg.flag()
	if err != nil {
		return Command{}, err
	}
	r, err := conferenceRoom(room, profile)
	if err != nil {
		return Command{}, err
	}
	return Command{Name: "uuid_transfer", Args: joinArgs(uuid, flag, "conference:"+r+",park", "inline")}, nil
}

// ParkCmd takes a leg out of whatever it runs and parks it.
func ParkCmd(uuid string, leg TransferLeg) (Command, error) {
	if err := ValidateUUID("uuid", uuid); err != nil {
		return Command{}, err
	}
	flag, err := leg.flag()
	if err != nil {
		return Command{}, err
	}
	return Command{Name: "uuid_transfer", Args: joinArgs(uuid, flag, "park", "inline")}, nil
}

func joinArgs(parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		if p == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(p)
	}
	return b.String()
}

// ConferenceDialCmd builds `conference <room> dial {vars}<endpoint> <cid_num> <cid_name>`,
// which FreeSWITCH runs until the callee answers: send it with bgapi. The
// conference splits its arguments on spaces, so no value here may hold one.
func ConferenceDialCmd(room, profile string, o Originate) (Command, error) {
	r, err := conferenceRoom(room, profile)
	if err != nil {
		return Command{}, err
	}
	num, name := o.CallerIDNumber, o.CallerIDName
	if num == "" {
		num = "0000000000"
	}
	if err := ValidateNumber("caller_id_number", num); err != nil {
		return Command{}, err
	}
	if name == "" {
		name = "Conference"
	}
	if err := ValidateText("caller_id_name", name, 64); err != nil {
		return Command{}, err
	}
	for k, v := range o.Vars {
		if strings.IndexByte(v, ' ') >= 0 {
			return Command{}, invalid("vars."+k, "must not contain spaces in a conference dial")
		}
	}
	o.App, o.CallerIDNumber, o.CallerIDName = Park{}, "", ""
	oc, err := o.Command()
	if err != nil {
		return Command{}, err
	}
	dial := strings.TrimSuffix(oc.Args, " &park()")
	return Command{Name: "conference", Args: r + " dial " + dial + " " + num + " " + strings.ReplaceAll(name, " ", "_")}, nil
}

// ConferenceMemberAction is a per-member conference command.
type ConferenceMemberAction string

// Member actions.
const (
	ConfKick   ConferenceMemberAction = "kick"
	ConfMute   ConferenceMemberAction = "mute"
	ConfUnmute ConferenceMemberAction = "unmute"
	ConfHold   ConferenceMemberAction = "hold"
	ConfUnhold ConferenceMemberAction = "unhold"
	ConfDeaf   ConferenceMemberAction = "deaf"
	ConfUndeaf ConferenceMemberAction = "undeaf"
)

// ConferenceMemberCmd builds `conference <room> <action> <member-id>`.
// FreeSWITCH wants the numeric member id here, never the channel UUID.
func ConferenceMemberCmd(room string, action ConferenceMemberAction, member int) (Command, error) {
	if err := ValidateName("room", room); err != nil {
		return Command{}, err
	}
	switch action {
	case ConfKick, ConfMute, ConfUnmute, ConfHold, ConfUnhold, ConfDeaf, ConfUndeaf:
	default:
		return Command{}, invalid("action", "unknown conference action %q", string(action))
	}
	if member <= 0 {
		return Command{}, invalid("member", "must be a positive member id")
	}
	return Command{Name: "conference", Args: room + " " + string(action) + " " + strconv.Itoa(member)}, nil
}

// ConferenceListCmd builds `conference <room> list`.
func ConferenceListCmd(room string) (Command, error) {
	if err := ValidateName("room", room); err != nil {
		return Command{}, err
	}
	return Command{Name: "conference", Args: room + " list"}, nil
}

// SendDTMFCmd sends digits to the leg's phone (RFC 2833 or INFO as negotiated).
func SendDTMFCmd(uuid, digits string, duration time.Duration) (Command, error) {
	if err := ValidateDigits("digits", digits); err != nil {
		return Command{}, err
	}
	if duration > 0 {
		if duration > 5*time.Second {
			return Command{}, invalid("duration", "must be at most 5s")
		}
		digits += "@" + strconv.Itoa(int(duration/time.Millisecond))
	}
	return uuidCmd("uuid_send_dtmf", "uuid", uuid, digits)
}

// RecvDTMFCmd injects digits as if the leg had sent them (drives eavesdrop modes).
func RecvDTMFCmd(uuid, digits string) (Command, error) {
	if err := ValidateDigits("digits", digits); err != nil {
		return Command{}, err
	}
	return uuidCmd("uuid_recv_dtmf", "uuid", uuid, digits)
}

// RecordCmd starts or stops recording a leg to path; FreeSWITCH keys the
// recording on the exact path, so stop must name the same one.
func RecordCmd(uuid string, start bool, path string, limit time.Duration) (Command, error) {
	if err := ValidatePath("path", path); err != nil {
		return Command{}, err
	}
	if !start {
		return uuidCmd("uuid_record", "uuid", uuid, "stop", path)
	}
	if limit > 0 {
		return uuidCmd("uuid_record", "uuid", uuid, "start", path, strconv.Itoa(int(limit/time.Second)))
	}
	return uuidCmd("uuid_record", "uuid", uuid, "start", path)
}

// BroadcastLeg picks who hears a broadcast.
type BroadcastLeg string

// Broadcast legs (FreeSWITCH's own words).
const (
	BroadcastALeg BroadcastLeg = "aleg"
	BroadcastBLeg BroadcastLeg = "bleg"
	BroadcastBoth BroadcastLeg = "both"
	BroadcastHold BroadcastLeg = "holdb"
)

// BroadcastCmd plays a file to a leg (or both) of a call.
func BroadcastCmd(uuid, path string, leg BroadcastLeg) (Command, error) {
	if err := ValidateSound("path", path); err != nil {
		return Command{}, err
	}
	switch leg {
	case "":
		return uuidCmd("uuid_broadcast", "uuid", uuid, path)
	case BroadcastALeg, BroadcastBLeg, BroadcastBoth, BroadcastHold:
		return uuidCmd("uuid_broadcast", "uuid", uuid, path, string(leg))
	}
	return Command{}, invalid("leg", "unknown broadcast leg %q", string(leg))
}

// KillCmd hangs a leg up with a cause (default NORMAL_CLEARING).
func KillCmd(uuid, cause string) (Command, error) {
	if cause == "" {
		return uuidCmd("uuid_kill", "uuid", uuid)
	}
	if err := ValidateCause("cause", cause); err != nil {
		return Command{}, err
	}
	return uuidCmd("uuid_kill", "uuid", uuid, cause)
}

// SetVarCmd sets (or with an empty value, unsets) a channel variable.
func SetVarCmd(uuid, name, value string) (Command, error) {
	if err := ValidateVarName("name", name); err != nil {
		return Command{}, err
	}
	if value == "" {
		return uuidCmd("uuid_setvar", "uuid", uuid, name)
	}
	if err := ValidateVarValue("value", value); err != nil {
		return Command{}, err
	}
	return uuidCmd("uuid_setvar", "uuid", uuid, name, value)
}

// GetVarCmd reads a channel variable.
func GetVarCmd(uuid, name string) (Command, error) {
	if err := ValidateVarName("name", name); err != nil {
		return Command{}, err
	}
	return uuidCmd("uuid_getvar", "uuid", uuid, name)
}

// ExistsCmd asks whether a channel is alive.
func ExistsCmd(uuid string) (Command, error) { return uuidCmd("uuid_exists", "uuid", uuid) }

// ShowChannelsCmd lists live channels as JSON.
func ShowChannelsCmd() Command { return Command{Name: "show", Args: "channels as json"} }

// Errors parsed from api replies.
var (
	// ErrNoSuchChannel: FreeSWITCH does not know the UUID (or it already hung up).
	ErrNoSuchChannel = errors.New("esl: no such channel")
	// ErrCommandFailed: FreeSWITCH answered -ERR or -USAGE.
	ErrCommandFailed = errors.New("esl: command failed")
)

// ReplyError is a -ERR/-USAGE reply from FreeSWITCH.
type ReplyError struct {
	Command string
	Reply   string
}

func (e *ReplyError) Error() string {
	return fmt.Sprintf("esl: %s: %s", e.Command, strings.TrimSpace(e.Reply))
}

// Unwrap classifies the reply.
func (e *ReplyError) Unwrap() error {
	r := strings.ToLower(e.Reply)
	for _, s := range []string{"no such channel", "invalid uuid", "cannot locate session", "invalid session id"} {
		if strings.Contains(r, s) {
			return ErrNoSuchChannel
		}
	}
	return ErrCommandFailed
}

// checkReply turns an api reply body into an error when it is -ERR/-USAGE.
func checkReply(cmd Command, body string) error {
	if strings.HasPrefix(body, "-ERR") || strings.HasPrefix(body, "-USAGE") {
		return &ReplyError{Command: cmd.Name, Reply: body}
	}
	return nil
}

// Channel is one row of `show channels as json`.
type Channel struct {
	UUID            string `json:"uuid"`
	Direction       string `json:"direction"`
	Created         string `json:"created"`
	CreatedEpoch    string `json:"created_epoch"`
	Name            string `json:"name"`
	State           string `json:"state"`
	CallState       string `json:"callstate"`
	CIDName         string `json:"cid_name"`
	CIDNum          string `json:"cid_num"`
	Dest            string `json:"dest"`
	Application     string `json:"application"`
	ApplicationData string `json:"application_data"`
	CallUUID        string `json:"call_uuid"`
	Hostname        string `json:"hostname"`
}

// parseChannels reads `show channels as json`, including FreeSWITCH's
// `{"row_count": 0}` form with no rows key.
func parseChannels(body string) ([]Channel, error) {
	var out struct {
		RowCount json.Number `json:"row_count"`
		Rows     []Channel   `json:"rows"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		return nil, fmt.Errorf("esl: show channels: %w", err)
	}
	return out.Rows, nil
}

// ConferenceMember is one line of `conference <room> list`.
type ConferenceMember struct {
	ID       int
	Channel  string
	UUID     string
	CIDName  string
	CIDNum   string
	Flags    []string
	Talking  bool
	Hearing  bool
	Speaking bool
}

// parseConferenceList reads `id;channel;uuid;cid-name;cid-num;flags;vol-in;vol-out;energy` lines.
func parseConferenceList(body string) ([]ConferenceMember, error) {
	var out []ConferenceMember
	for _, line := range strings.Split(body, "\n") {
		if line == "" || strings.HasPrefix(line, "+OK") {
			continue
		}
		f := strings.Split(line, ";")
		if len(f) < 6 {
			return nil, fmt.Errorf("esl: conference list line %q", truncate(line, 80))
		}
		id, err := strconv.Atoi(f[0])
		if err != nil {
			return nil, fmt.Errorf("esl: conference list member id %q", f[0])
		}
		m := ConferenceMember{ID: id, Channel: f[1], UUID: f[2], CIDName: f[3], CIDNum: f[4], Flags: strings.Split(f[5], "|")}
		for _, fl := range m.Flags {
			switch fl {
			case "hear":
				m.Hearing = true
			case "speak":
				m.Speaking = true
			case "talking":
				m.Talking = true
			}
		}
		out = append(out, m)
	}
	return out, nil
}

// PlayAndHangupCmd plays a file to a leg and then hangs it up (the abandon
// message): uuid_transfer <uuid> playback:<file>,hangup inline.
func PlayAndHangupCmd(uuid, file string) (Command, error) {
	if err := ValidateUUID("uuid", uuid); err != nil {
		return Command{}, err
	}
	if err := ValidatePath("file", file); err != nil {
		return Command{}, err
	}
	return Command{Name: "uuid_transfer", Args: uuid + " playback:" + file + ",hangup inline"}, nil
}

// BridgeOut is a leg dialing out itself with the bridge application: the
// leg hears the far end ring (or its early media) and is bridged to it on
// answer.
type BridgeOut struct {
	// Leg is the answered leg that dials: an agent's leg dialing a lead
	// (manual dial), or a lead dialing a transfer target.
	Leg string
	// Dial is what it dials; its Vars go to the new leg, its UUID names it.
	Dial Originate
	// ThenHangup hangs Leg up once the bridge ends or the dial fails;
	// otherwise Leg parks. A failed dial never hangs Leg up by itself
	// (continue_on_fail): without it FreeSWITCH hangs the dialing leg up
	// with the failure's cause (USER_BUSY, CALL_REJECTED...).
	ThenHangup bool
	// Ringback is what Leg hears from the start of the dial until the far
	// end answers, whatever it sends before (transfer_ringback, as Leg is
	// answered, with instant_ringback): a tone_stream, a file or a
	// ${variable}. Empty: the far end's own ringing or early media, and
	// silence while there is none.
	Ringback string
}

// BridgeOutCmd makes b.Leg dial b.Dial itself with the bridge application,
// so the leg hears the callee's ringback or early media (or b.Ringback),
// and parks again (or, with ThenHangup, hangs up) when the bridge ends or
// the dial fails:
//
//	uuid_transfer <leg> m:^:set:continue_on_fail=true[^set:transfer_ringback=<ringback>]^bridge:{vars}<dial string>^park inline
//
// The ^ separator lets the variable block keep its commas. Values with
// spaces cannot travel in this form (the transfer splits on them): set the
// caller ID name on the leg first with SetVar effective_caller_id_name.
func BridgeOutCmd(b BridgeOut) (Command, error) {
	if err := ValidateUUID("uuid", b.Leg); err != nil {
		return Command{}, err
	}
	o := b.Dial
	if o.CallerIDName != "" {
		return Command{}, invalid("caller_id_name", "set effective_caller_id_name on the leg instead")
	}
	for k, v := range o.Vars {
		if strings.IndexByte(v, ' ') >= 0 {
			return Command{}, invalid("vars."+k, "must not contain spaces in a bridge")
		}
	}
	apps := []string{"set:continue_on_fail=true"}
	if b.Ringback != "" {
		if err := validRingback(b.Ringback); err != nil {
			return Command{}, err
		}
		apps = append(apps, "set:transfer_ringback="+b.Ringback)
		vars := make(map[string]string, len(o.Vars)+1)
		for k, v := range o.Vars {
			vars[k] = v
		}
		vars["instant_ringback"] = "true"
		o.Vars = vars
	}
	o.App = Park{}
	oc, err := o.Command()
	if err != nil {
		return Command{}, err
	}
	dial := strings.TrimSuffix(oc.Args, " &park()")
	next := "park"
	if b.ThenHangup {
		next = "hangup"
	}
	apps = append(apps, "bridge:"+dial, next)
	return Command{Name: "uuid_transfer", Args: b.Leg + " m:^:" + strings.Join(apps, "^") + " inline"}, nil
}

// validRingback accepts what may follow transfer_ringback= in an inline
// dialplan: a ${variable}, a tone_stream spec or a file path, without
// spaces or the ^ separator.
func validRingback(r string) error {
	if len(r) > 256 || strings.ContainsAny(r, " \t\r\n^'\"") {
		return invalid("ringback", "a ${variable}, tone_stream or file without spaces")
	}
	return nil
}

// HoldMusicCmd starts or stops hold music on a leg: the channel's own
// ${hold_music}, played to that leg only. Holding by uuid_hold on the agent's
// leg leaves the lead in silence on FreeSWITCH (the phone's recvonly answer
// is copied to the bridged lead), so a call center plays the music to the
// lead itself and breaks it to resume.
func HoldMusicCmd(uuid string, on bool) (Command, error) {
	if on {
		return uuidCmd("uuid_broadcast", "uuid", uuid, "${hold_music}", string(BroadcastALeg))
	}
	return uuidCmd("uuid_break", "uuid", uuid, "all")
}
