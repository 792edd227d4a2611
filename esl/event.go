package esl

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// Event names the controller handles. CUSTOM events carry their real name in
// Event-Subclass.
const (
	EventBackgroundJob          = "BACKGROUND_JOB"
	EventHeartbeat              = "HEARTBEAT"
	EventChannelCreate          = "CHANNEL_CREATE"
	EventChannelProgress        = "CHANNEL_PROGRESS"
	EventChannelProgressMedia   = "CHANNEL_PROGRESS_MEDIA"
	EventChannelAnswer          = "CHANNEL_ANSWER"
	EventChannelBridge          = "CHANNEL_BRIDGE"
	EventChannelUnbridge        = "CHANNEL_UNBRIDGE"
	EventChannelHold            = "CHANNEL_HOLD"
	EventChannelUnhold          = "CHANNEL_UNHOLD"
	EventChannelPark            = "CHANNEL_PARK"
	EventChannelUnpark          = "CHANNEL_UNPARK"
	EventChannelExecute         = "CHANNEL_EXECUTE"
	EventChannelExecuteComplete = "CHANNEL_EXECUTE_COMPLETE"
	EventChannelHangup          = "CHANNEL_HANGUP"
	EventChannelHangupComplete  = "CHANNEL_HANGUP_COMPLETE"
	EventChannelDestroy         = "CHANNEL_DESTROY"
	EventDTMF                   = "DTMF"
	EventRecordStart            = "RECORD_START"
	EventRecordStop             = "RECORD_STOP"
	EventPlaybackStart          = "PLAYBACK_START"
	EventPlaybackStop           = "PLAYBACK_STOP"
	EventMediaBugStart          = "MEDIA_BUG_START"
	EventMediaBugStop           = "MEDIA_BUG_STOP"
	EventCustom                 = "CUSTOM"

	SubclassConference     = "conference::maintenance"
	SubclassRegister       = "sofia::register"
	SubclassUnregister     = "sofia::unregister"
	SubclassExpire         = "sofia::expire"
	SubclassNotifyRefer    = "sofia::notify_refer"
	SubclassRegisterFailed = "sofia::register_failure"
	// SubclassGatewayState: a sofia gateway's registration state changed
	// (headers Gateway, State, Ping-Status; Status and Phrase of the SIP
	// reply behind it, if any).
	SubclassGatewayState = "sofia::gateway_state"
)

// Event is one FreeSWITCH event. A plain event keeps its text as it
// arrived (zero-copy over the frame) and finds a header only when asked:
// a controller reads five of the ~150 headers a channel event carries.
// Values are decoded on access.
type Event struct {
	Body []byte
	// raw holds the `Name: value\n` lines of a plain event.
	raw string
	// fields holds parsed headers: always for JSON and built events, on
	// first use of Fields for plain ones.
	fields  Header
	parsed  bool
	encoded bool // text/event-plain values are URL-encoded
	seq     uint64
	seqOK   bool
	name    string
	uid     string // Unique-ID, once read
	uidOK   bool
	// received is when the client read the event off the socket.
	received time.Time
	// slab is the recycled read buffer the text lives in, released once
	// the handler is done with the event (Config.RecycleEvents).
	slab *slab
}

// release lets the client reuse the event's memory.
func (e *Event) release() {
	if s := e.slab; s != nil {
		e.slab = nil
		s.release()
	}
}

// Received is when the client read the event off the socket (zero for
// events not read by a Client).
func (e *Event) Received() time.Time { return e.received }

// NewEvent builds an event from decoded header values (tests, simulators).
func NewEvent(fields Header, body []byte) *Event {
	return &Event{fields: fields, parsed: true, Body: body}
}

// ErrUnsupportedFormat is returned for event formats the client never asks for.
var ErrUnsupportedFormat = errors.New("esl: unsupported event format")

// ParseEvent decodes the body of a text/event-plain or text/event-json frame.
func ParseEvent(contentType string, body []byte) (*Event, error) {
	switch contentType {
	case TypeEventPlain:
		return ParsePlainEvent(body)
	case TypeEventJSON:
		return ParseJSONEvent(body)
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedFormat, contentType)
	}
}

// ParsePlainEvent decodes a text/event-plain body: URL-encoded `Name: value`
// lines, then either a blank line, or (when the event has a body) an inner
// Content-Length line, a blank line and that many body bytes. The event
// shares body's memory, which must not change afterwards.
func ParsePlainEvent(body []byte) (*Event, error) {
	all := unsafe.String(unsafe.SliceData(body), len(body))
	text, rest, hasBody := splitPlain(all)
	if strings.IndexByte(text, 0) >= 0 {
		return nil, fmt.Errorf("%w: NUL byte in event headers", ErrFrame)
	}
	ev := &Event{raw: text, encoded: true}
	name, ok := ev.lookup("Event-Name")
	if !ok {
		return nil, fmt.Errorf("%w: event without Event-Name", ErrFrame)
	}
	ev.name = Unescape(name)
	if hasBody {
		last := text[strings.LastIndexByte(text[:len(text)-1], '\n')+1:]
		cl := strings.TrimSuffix(strings.TrimPrefix(last, "Content-Length: "), "\n")
		n, err := strconv.Atoi(cl)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("%w: event Content-Length %q", ErrFrame, cl)
		}
		if n > len(rest) {
			return nil, fmt.Errorf("%w: event body has %d of %d bytes", ErrFrame, len(rest), n)
		}
		ev.Body = body[len(body)-len(rest):][:n:n]
	}
	return ev, nil
}

// splitPlain finds where a plain event's headers end. FreeSWITCH writes an
// event's own Content-Length as its last header, right before the blank
// line, and URL-encodes every value (": " cannot occur inside one), so
// looking for that header is cheaper than looking for the blank line
// among ~150 line ends; without it the blank line ends the text.
//
// The search anchors on "Length: " rather than on the whole header name:
// strings.Index steps through the occurrences of its pattern's first byte,
// and a channel event holds ~85 'C's (Caller-*, Channel-*, Core-UUID)
// against ~14 'L's, which made this scan most of the parse.
func splitPlain(all string) (head, rest string, hasBody bool) {
	const (
		cl     = "Content-Length: "
		anchor = "Length: "
		pre    = len(cl) - len(anchor) // "Content-"
	)
	for i := pre; i < len(all); {
		k := strings.Index(all[i:], anchor)
		if k < 0 {
			break
		}
		k += i
		j := k - pre
		if all[j:k] == cl[:pre] && (j == 0 || all[j-1] == '\n') {
			if nl := strings.IndexByte(all[j:], '\n'); nl >= 0 && j+nl+1 < len(all) && all[j+nl+1] == '\n' {
				return all[:j+nl+1], all[j+nl+2:], true
			}
		}
		i = k + 1
	}
	if strings.HasSuffix(all, "\n\n") {
		return all[:len(all)-1], "", false
	}
	if end := strings.Index(all, "\n\n"); end >= 0 {
		return all[:end+1], all[end+2:], false
	}
	// A block cut short of its blank line is still readable header text.
	return all, "", false
}

// lookup finds the first header spelled exactly name and returns its raw
// value. FreeSWITCH spells header names consistently, and some events carry
// look-alikes (a conference PRESENCE_IN has a lowercase unique-id holding
// the room name), so there is no case-insensitive fallback here.
func (e *Event) lookup(name string) (string, bool) {
	if e.parsed {
		for _, f := range e.fields {
			if f.Name == name {
				return f.Value, true
			}
		}
		return "", false
	}
	// Search from the name's rarest byte on: strings.Index steps through
	// the occurrences of its pattern's first byte, and a name's first
	// byte is often common in the text (every variable_ line starts with
	// 'v'; 'E' and 'C' open dozens of headers), while e.g. the 'q' of
	// Unique-ID or Event-Sequence occurs about 4 times in an event.
	s := e.raw
	p := rarestByte(name)
	tail := name[p:]
	for i := p; i <= len(s); {
		q := strings.Index(s[i:], tail)
		if q < 0 {
			return "", false
		}
		q += i
		j := q - p
		k := j + len(name)
		if s[j:q] == name[:p] && (j == 0 || s[j-1] == '\n') && k < len(s) && s[k] == ':' {
			v := s[k+1:]
			if nl := strings.IndexByte(v, '\n'); nl >= 0 {
				v = v[:nl]
			}
			return strings.TrimLeft(v, " \t"), true
		}
		i = q + 1
	}
	return "", false
}

// byteRank orders bytes by how often they occur in FreeSWITCH's event
// text, most frequent first (counted over the captured events in
// testdata/transcripts); a byte not listed is rarer than all of these.
const byteRank = "ea0rl-itn_\n :%2o1Ccbds3vmu4p.8D9Ah57fg6ITNPSEHUwLO/MRBFyW,xGkqVKXjzYQZ()'~+$*!"

var commonness = func() (c [256]uint8) {
	for i := 0; i < len(byteRank); i++ {
		if c[byteRank[i]] == 0 {
			c[byteRank[i]] = uint8(len(byteRank) - i)
		}
	}
	return c
}()

// rarestByte is the index of name's least frequent byte (the first of equals).
func rarestByte(name string) int {
	best, bestC := 0, uint8(255)
	for i := 0; i < len(name); i++ {
		if c := commonness[name[i]]; c < bestC {
			best, bestC = i, c
		}
	}
	return best
}

// Fields returns every header in order, values as sent (URL-encoded for
// plain events; see Get).
func (e *Event) Fields() Header {
	if !e.parsed {
		h, err := parseHeaderBlock(e.raw)
		if err != nil {
			// Lines without a colon were skipped by lookup too; keep what parses.
			h = lenientHeader(e.raw)
		}
		e.fields, e.parsed = h, true
	}
	return e.fields
}

func lenientHeader(text string) Header {
	var h Header
	for _, line := range strings.Split(text, "\n") {
		if name, value, ok := strings.Cut(line, ":"); ok && name != "" {
			h = append(h, Field{Name: name, Value: strings.TrimLeft(value, " \t")})
		}
	}
	return h
}

// ParseJSONEvent decodes a text/event-json body: one flat object whose values
// are strings (arrays for repeated headers) and whose body is in "_body".
func ParseJSONEvent(body []byte) (*Event, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	tok, err := dec.Token()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFrame, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("%w: json event is not an object", ErrFrame)
	}
	ev := &Event{parsed: true}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrFrame, err)
		}
		key, ok := kt.(string)
		if !ok {
			return nil, fmt.Errorf("%w: json key %v", ErrFrame, kt)
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, fmt.Errorf("%w: %v", ErrFrame, err)
		}
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			if key == "_body" {
				ev.Body = []byte(s)
				continue
			}
			ev.fields = append(ev.fields, Field{Name: key, Value: s})
			continue
		}
		var arr []string
		if err := json.Unmarshal(raw, &arr); err == nil {
			for _, v := range arr {
				ev.fields = append(ev.fields, Field{Name: key, Value: v})
			}
			continue
		}
		return nil, fmt.Errorf("%w: json value of %q is not a string", ErrFrame, key)
	}
	if _, err := dec.Token(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFrame, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data after json event", ErrFrame)
	}
	if _, ok := ev.fields.Lookup("Event-Name"); !ok {
		return nil, fmt.Errorf("%w: event without Event-Name", ErrFrame)
	}
	return ev, nil
}

// Get returns the decoded value of the first header called name.
func (e *Event) Get(name string) string {
	v, ok := e.lookup(name)
	if !ok || !e.encoded {
		return v
	}
	return Unescape(v)
}

// Has reports whether the event carries the header.
func (e *Event) Has(name string) bool {
	_, ok := e.lookup(name)
	return ok
}

// Var returns the channel variable `variable_<name>`.
func (e *Event) Var(name string) string { return e.Get("variable_" + name) }

// Name is Event-Name; for CUSTOM events use Subclass.
func (e *Event) Name() string {
	if e.name == "" {
		e.name = e.Get("Event-Name")
	}
	return e.name
}

// Subclass is Event-Subclass of a CUSTOM event.
func (e *Event) Subclass() string { return e.Get("Event-Subclass") }

// Kind is the subclass of a CUSTOM event and the name of any other.
func (e *Event) Kind() string {
	if n := e.Name(); n != EventCustom {
		return n
	}
	return e.Subclass()
}

// Sequence is Event-Sequence, FreeSWITCH's per-process event counter (0 if absent).
func (e *Event) Sequence() uint64 {
	if !e.seqOK {
		e.seq, _ = strconv.ParseUint(e.Get("Event-Sequence"), 10, 64)
		e.seqOK = true
	}
	return e.seq
}

// CoreUUID identifies the FreeSWITCH process; it changes on every restart.
func (e *Event) CoreUUID() string { return e.Get("Core-UUID") }

// UniqueID is the channel the event is about.
func (e *Event) UniqueID() string {
	if !e.uidOK {
		e.uid, e.uidOK = e.Get("Unique-ID"), true
	}
	return e.uid
}

// OtherLeg is the bridged partner: Other-Leg-Unique-ID, or for CHANNEL_BRIDGE
// and CHANNEL_UNBRIDGE caused by a transfer, Bridge-B-Unique-ID.
func (e *Event) OtherLeg() string {
	if v := e.Get("Other-Leg-Unique-ID"); v != "" {
		return v
	}
	if a := e.Get("Bridge-A-Unique-ID"); a != "" {
		if a == e.UniqueID() {
			return e.Get("Bridge-B-Unique-ID")
		}
		return a
	}
	return ""
}

// JobUUID is the Job-UUID of a BACKGROUND_JOB.
func (e *Event) JobUUID() string { return e.Get("Job-UUID") }

// HangupCause is present from CHANNEL_HANGUP on.
func (e *Event) HangupCause() string { return e.Get("Hangup-Cause") }

// Time is Event-Date-Timestamp (microseconds since the epoch, set when
// FreeSWITCH created the event).
func (e *Event) Time() time.Time { return microTime(e.Get("Event-Date-Timestamp")) }

// ProfileTime reads a Caller-Channel-*-Time header (microseconds); zero when unset.
func (e *Event) ProfileTime(name string) time.Time { return microTime(e.Get(name)) }

func microTime(s string) time.Time {
	us, err := strconv.ParseInt(s, 10, 64)
	if err != nil || us <= 0 {
		return time.Time{}
	}
	return time.UnixMicro(us)
}

// Vars returns every channel variable the event carries, decoded.
func (e *Event) Vars() map[string]string {
	m := make(map[string]string)
	for _, f := range e.Fields() {
		if name, ok := strings.CutPrefix(f.Name, "variable_"); ok {
			if _, dup := m[name]; !dup {
				if e.encoded {
					m[name] = Unescape(f.Value)
				} else {
					m[name] = f.Value
				}
			}
		}
	}
	return m
}

// String prints the event's kind, sequence and channel for logs.
func (e *Event) String() string {
	return fmt.Sprintf("%s seq=%d uuid=%s", e.Kind(), e.Sequence(), e.UniqueID())
}

// Unescape decodes FreeSWITCH's URL encoding (%XX; `+` is literal). A `%` not
// followed by two hex digits is kept as it is, where net/url would fail and
// eslgo would return "".
func Unescape(s string) string {
	i := strings.IndexByte(s, '%')
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for ; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b.WriteByte(unhex(s[i+1])<<4 | unhex(s[i+2]))
			i += 2
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	default:
		return c - 'A' + 10
	}
}
