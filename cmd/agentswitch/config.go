package main

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/agentswitch/agentswitch/api"
	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/phone"
	"github.com/agentswitch/agentswitch/esl"
	"github.com/agentswitch/agentswitch/internal/clock"
	"github.com/agentswitch/agentswitch/internal/pbxnames"
)

// Config is everything `agentswitch serve` reads from AGENTSWITCH_* and
// flags (flags win). The zero-configuration defaults run the embedded mode:
// a SQLite file and a private redis-server under ./var, and the built-in
// simulated switch.
type Config struct {
	HTTPAddr string
	// PublicURL is where people reach the service (links in e-mails).
	PublicURL  string
	VarDir     string
	DBPath     string
	RedisURL   string // empty: start a private redis-server under VarDir
	RedisBin   string
	ESL        []esl.Node // empty: run the built-in simulator
	ESLPass    string
	Heartbeat  time.Duration
	CmdTimeout time.Duration
	SimAddr    string
	RecDir     string
	LogFormat  string // text or json
	LogLevel   string // debug, info, warn, error
	Drain      time.Duration
	// MaxCall is how long a call may last before the service hangs it up.
	MaxCall time.Duration

	// XMLCurlSecret is what FreeSWITCH's mod_xml_curl sends (basic auth) to
	// fetch agents, gateways and DIDs; empty leaves the endpoint unmounted.
	XMLCurlSecret string

	Country      string // default country for numbers typed without +
	TimeZone     string // default zone for callback times
	SIPRealm     string
	Gateway      string
	AgentDomain  string
	CallerID     string
	CallerIDName string
	AbandonMsg   string
	// TransferFailedMsg is played to a lead whose blind transfer failed
	// and whom nobody took back.
	TransferFailedMsg string
	ConsentMsg        string
	WrapUp            time.Duration
	// PauseCodes are added to the database's codes at start (the codes
	// were once only this setting; the database keeps them now).
	PauseCodes  []string
	ConfProfile string
	// TrustedProxies may set X-Forwarded-For and X-Forwarded-Proto.
	TrustedProxies []netip.Prefix
	// AgentPhoneAllow are E.164 prefixes an agent's session may ring
	// besides its seat's own external phone.
	AgentPhoneAllow []string
	// WebhookAllowPrivate lets webhook endpoints name loopback and private
	// addresses (off: a webhook must not reach inside the network).
	WebhookAllowPrivate bool
	// ClockOffset moves the service's one clock (testing only: a run a
	// year ahead shows nothing depends on today's date).
	ClockOffset time.Duration
	// Notify is how e-mails and text messages are sent.
	Notify NotifyConfig
	// WebRTC is what browser softphones are told: where to register, the
	// TURN servers and their secret.
	WebRTC api.WebRTCOptions
	// WebRTCTTL is how long a browser's SIP password lives.
	WebRTCTTL time.Duration
	// TTS speaks speed calls' announcements: "espeak-ng" or "off".
	TTS      string
	TTSDir   string
	TTSVoice string
}

const serveUsage = `usage: agentswitch serve [flags]

Runs the service: HTTP API and workspace, the switch connection, the stores.
Every flag is also the environment variable shown in brackets; a flag wins.
`

// envPrefix names every environment variable the service reads.
const envPrefix = "AGENTSWITCH_"

type setting struct {
	name  string // flag name; env is AGENTSWITCH_ + upper(name with - as _)
	usage string
	def   string
	dst   *string
}

func (s setting) env() string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(s.name, "-", "_"))
}

// loadConfig reads env, then flags, validates, and reports every problem at once.
func loadConfig(args []string, getenv func(string) string) (*Config, error) {
	var raw struct {
		httpAddr, varDir, db, redisURL, redisBin, eslAddr, eslPass, heartbeat, cmdTimeout,
		simAddr, recDir, logFormat, logLevel, drain, maxCall, xmlCurlSecret, trustedProxies, clockOffset, tts, ttsDir, ttsVoice, publicURL string
		country, tz, realm, gateway, agentDomain, callerID, callerIDName, abandon, transferFailed, consent, wrapup, pauseCodes, confProfile, agentPhoneAllow, webhookAllowPrivate string

		webrtcWSURL, wssPort, turnURLs, turnSecret, webrtcTTL string
	}
	settings := []setting{
		{"http-addr", "HTTP listen address", "127.0.0.1:8080", &raw.httpAddr},
		{"public-url", "the service's address as people reach it (https://cc.example.com), for links in e-mails; empty: http://<http-addr>", "", &raw.publicURL},
		{"var-dir", "directory for the database, the private redis-server and recordings", "var", &raw.varDir},
		{"db", "SQLite database file (default <var-dir>/agentswitch.db)", "", &raw.db},
		{"redis-url", "Redis URL; empty starts a private redis-server under <var-dir>", "", &raw.redisURL},
		{"redis-server", "redis-server binary for the private instance", "redis-server", &raw.redisBin},
		{"esl-addr", "FreeSWITCH event sockets: host:port, or name=host:port,... ; empty runs the simulated switch", "", &raw.eslAddr},
		{"esl-password", "event socket password (required with esl-addr; never FreeSWITCH's default)", "", &raw.eslPass},
		{"trusted-proxies", "comma-separated IP addresses or CIDR ranges of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed; empty: none", "", &raw.trustedProxies},
		{"xml-curl-secret", "shared secret FreeSWITCH's mod_xml_curl sends (basic auth, user " + pbxnames.XMLCurlUser + ") to fetch agents, gateways and DIDs from " + pbxnames.XMLCurlPath + "; required with esl-addr, empty leaves that path unserved", "", &raw.xmlCurlSecret},
		{"esl-heartbeat", "FreeSWITCH's HEARTBEAT interval; silence for twice this reconnects", "20s", &raw.heartbeat},
		{"esl-command-timeout", "a switch command with no reply by then drops its connection", "5s", &raw.cmdTimeout},
		{"sim-addr", "listen address of the built-in simulated switch", "127.0.0.1:0", &raw.simAddr},
		{"recordings-dir", "where call recordings are written (default <var-dir>/recordings)", "", &raw.recDir},
		{"log-format", "text or json", "text", &raw.logFormat},
		{"log-level", "debug, info, warn or error", "info", &raw.logLevel},
		{"drain-timeout", "on SIGTERM, how long live calls may go on before the service hangs them up", "30s", &raw.drain},
		{"max-call-duration", "a call still up after this is hung up by the service (cause ALLOTTED_TIMEOUT)", "4h", &raw.maxCall},
		{"default-country", "ISO country for numbers typed without +<code> (empty: + required)", "US", &raw.country},
		{"default-time-zone", "IANA zone for callback times when the lead has none", "UTC", &raw.tz},
		{"sip-realm", "digest realm of agents' SIP accounts", "agentswitch", &raw.realm},
		{"gateway", "FreeSWITCH gateway that carries calls to phone numbers", "carrier", &raw.gateway},
		{"agent-domain", "directory domain of agents' SIP phones (user/<ext>@domain); empty: the switch's default", "", &raw.agentDomain},
		{"caller-id", "caller ID number (E.164) shown to leads when the call or campaign gives none", "", &raw.callerID},
		{"caller-id-name", "caller ID name shown to leads", "", &raw.callerIDName},
		{"abandon-message", "sound file (on the switch) played to a lead no agent took within 2 s; empty hangs up", "", &raw.abandon},
		{"transfer-failed-message", "sound file (on the switch) played before hanging up a lead whose blind transfer failed and whose agent could not take it back; empty hangs up", "", &raw.transferFailed},
		{"consent-message", "sound file (on the switch) played to the lead before a recording starts; empty: none", "", &raw.consent},
		{"wrapup", "automatic return to READY after a call (0: the agent chooses); a campaign's own wrap-up wins", "0s", &raw.wrapup},
		{"pause-codes", "comma-separated pause codes added at start to those kept in the database (managed at /api/v1/pause-codes); codes stored already keep their settings", "", &raw.pauseCodes},
		{"agent-phone-allow", "comma-separated E.164 prefixes (e.g. +4420,+1212555) a supervisor may log an agent in on besides the seat's own external phone; empty: only that. Premium-rate ranges are refused anyway", "", &raw.agentPhoneAllow},
		{"webhook-allow-private", "true lets webhook endpoints name loopback and private addresses (tests, an integrator inside the network); off by default", "false", &raw.webhookAllowPrivate},
		{"webrtc-ws-url", "WebSocket URL browser softphones register on (wss://pbx.example.com:7443); empty: wss://<FreeSWITCH host, or the public URL's host when that is loopback or the simulator>:<fs-agents-wss-port>", "", &raw.webrtcWSURL},
		{"fs-agents-wss-port", "FreeSWITCH's WSS port of the agents profile (pbx-config's AGENTSWITCH_FS_AGENTS_WSS_PORT), for the default webrtc-ws-url", "7443", &raw.wssPort},
		{"turn-urls", "comma-separated STUN/TURN servers offered to browser softphones (turn:turn.example.com:3478, turns:turn.example.com:5349); empty: none (host candidates, enough on a LAN)", "", &raw.turnURLs},
		{"turn-secret", "coturn's static-auth-secret (use-auth-secret): browsers get TURN credentials that end with their SIP password; required with turn: URLs", "", &raw.turnSecret},
		{"webrtc-credential-ttl", "how long a browser softphone's SIP password (and TURN credential) lives; the workspace asks for a new one before", "1h", &raw.webrtcTTL},
		{"conference-profile", "FreeSWITCH conference profile for warm transfers and three-way calls", "agentswitch", &raw.confProfile},
		{"tts", "how speed calls' announcements are spoken: espeak-ng (Debian's, rendered to WAV files the switch plays) or off (a beep)", "espeak-ng", &raw.tts},
		{"tts-dir", "where the spoken files go; FreeSWITCH must read them at the same path (default <var-dir>/tts)", "", &raw.ttsDir},
		{"tts-voice", "espeak-ng voice of the announcements", "en-us", &raw.ttsVoice},
		{"clock-offset", "moves the service's clock by this duration (e.g. 8760h), to test that nothing depends on today's date; never in production", "", &raw.clockOffset},
	}
	var notifyRaw notifyRaw
	settings = append(settings, notifySettings(&notifyRaw)...)
	fs := newFlagSet("serve", serveUsage)
	for _, s := range settings {
		fs.StringVar(s.dst, s.name, s.def, s.usage+" ["+s.env()+"]")
	}
	if err := parseFlags(fs, args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("serve: unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	// The environment fills what no flag set. Not as the flags' defaults:
	// -h would print secrets such as AGENTSWITCH_ESL_PASSWORD.
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	for _, s := range settings {
		if v := getenv(s.env()); v != "" && !set[s.name] {
			*s.dst = v
		}
	}

	var errs []error
	bad := func(env, format string, a ...any) {
		errs = append(errs, fmt.Errorf("%s%s: %s", envPrefix, env, fmt.Sprintf(format, a...)))
	}
	dur := func(env, v string) time.Duration {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			bad(env, "%q is not a positive duration (e.g. 20s)", v)
		}
		return d
	}
	c := &Config{
		HTTPAddr: raw.httpAddr, VarDir: raw.varDir, DBPath: raw.db, RedisURL: raw.redisURL,
		RedisBin: raw.redisBin, ESLPass: raw.eslPass, XMLCurlSecret: raw.xmlCurlSecret, SimAddr: raw.simAddr, RecDir: raw.recDir,
		LogFormat: raw.logFormat, LogLevel: raw.logLevel,
		Country: strings.ToUpper(raw.country), TimeZone: raw.tz, SIPRealm: raw.realm, Gateway: raw.gateway,
		AgentDomain: raw.agentDomain, CallerID: raw.callerID, CallerIDName: raw.callerIDName,
		AbandonMsg: raw.abandon, TransferFailedMsg: raw.transferFailed, ConsentMsg: raw.consent, ConfProfile: raw.confProfile,
		Heartbeat:  dur("ESL_HEARTBEAT", raw.heartbeat),
		CmdTimeout: dur("ESL_COMMAND_TIMEOUT", raw.cmdTimeout),
		Drain:      dur("DRAIN_TIMEOUT", raw.drain),
		MaxCall:    dur("MAX_CALL_DURATION", raw.maxCall),
	}
	switch raw.webhookAllowPrivate {
	case "true":
		c.WebhookAllowPrivate = true
	case "false", "":
	default:
		bad("WEBHOOK_ALLOW_PRIVATE", "%q is not true or false", raw.webhookAllowPrivate)
	}
	if c.VarDir == "" {
		bad("VAR_DIR", "must not be empty")
	}
	if c.DBPath == "" {
		c.DBPath = filepath.Join(c.VarDir, "agentswitch.db")
	}
	if c.RecDir == "" {
		c.RecDir = filepath.Join(c.VarDir, "recordings")
	}
	c.TTS, c.TTSDir, c.TTSVoice = raw.tts, raw.ttsDir, raw.ttsVoice
	if c.TTS != "espeak-ng" && c.TTS != "off" {
		bad("TTS", "%q: espeak-ng or off", c.TTS)
	}
	if c.TTSDir == "" {
		c.TTSDir = filepath.Join(c.VarDir, "tts")
	}
	// Absolute paths: logs say exactly where things are, and the simulator
	// and FreeSWITCH write recordings relative to nothing.
	for _, p := range []*string{&c.VarDir, &c.DBPath, &c.RecDir, &c.TTSDir} {
		if abs, err := filepath.Abs(*p); err == nil {
			*p = abs
		}
	}
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		bad("HTTP_ADDR", "%q is not host:port", c.HTTPAddr)
	}
	if u, err := publicURL(raw.publicURL, c.HTTPAddr); err != nil {
		bad("PUBLIC_URL", "%q %v", raw.publicURL, err)
	} else {
		c.PublicURL = u
	}
	if _, _, err := net.SplitHostPort(c.SimAddr); err != nil {
		bad("SIM_ADDR", "%q is not host:port", c.SimAddr)
	}
	if c.RedisURL != "" {
		if u, err := url.Parse(c.RedisURL); err != nil || (u.Scheme != "redis" && u.Scheme != "rediss" && u.Scheme != "unix") {
			bad("REDIS_URL", "%q is not a redis://, rediss:// or unix:// URL", c.RedisURL)
		}
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		bad("LOG_FORMAT", "%q is not text or json", c.LogFormat)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("LOG_LEVEL", "%q is not debug, info, warn or error", c.LogLevel)
	}
	if raw.eslAddr != "" {
		nodes, err := parseNodes(raw.eslAddr, c.ESLPass)
		if err != nil {
			bad("ESL_ADDR", "%v", err)
		}
		c.ESL = nodes
		switch {
		case c.ESLPass == "":
			bad("ESL_PASSWORD", "is required when ESL_ADDR is set")
		case c.ESLPass == "ClueCon":
			bad("ESL_PASSWORD", "is FreeSWITCH's published default; set a secret one in event_socket.conf.xml")
		case strings.ContainsAny(c.ESLPass, " \t\r\n"):
			bad("ESL_PASSWORD", "must not contain whitespace")
		}
	}
	switch {
	case c.XMLCurlSecret == "" && raw.eslAddr != "":
		// A FreeSWITCH with pbx-config/ asks this service for every agent,
		// gateway and DID; unanswered, no phone could register.
		bad("XML_CURL_SECRET", "is required when ESL_ADDR is set (the same value as FreeSWITCH's AGENTSWITCH_FS_XML_CURL_SECRET)")
	case c.XMLCurlSecret != "" && !validXMLCurlSecret(c.XMLCurlSecret):
		bad("XML_CURL_SECRET", "must be 16-128 of A-Z a-z 0-9 . _ ~ + / = - (e.g. openssl rand -hex 32)")
	}
	if p, err := api.ParseTrustedProxies(raw.trustedProxies); err != nil {
		bad("TRUSTED_PROXIES", "%v; want a comma-separated list of IP addresses or CIDR ranges", err)
	} else {
		c.TrustedProxies = p
	}
	if d, err := clock.ParseOffset(raw.clockOffset); err != nil {
		bad("CLOCK_OFFSET", "%q is not %v", raw.clockOffset, err)
	} else {
		c.ClockOffset = d
	}
	if raw.wrapup != "0" && raw.wrapup != "0s" {
		c.WrapUp = dur("WRAPUP", raw.wrapup)
	}
	for _, pc := range strings.Split(raw.pauseCodes, ",") {
		if pc = strings.TrimSpace(pc); pc != "" {
			if !dialer.ValidPauseCode(pc) {
				bad("PAUSE_CODES", "%q: codes are 1-32 of A-Z 0-9 _", pc)
			} else if dialer.SystemPauseCode(pc) {
				bad("PAUSE_CODES", "%q is reserved for the service", pc)
			}
			c.PauseCodes = append(c.PauseCodes, pc)
		}
	}
	for _, p := range strings.Split(raw.agentPhoneAllow, ",") {
		if p = strings.TrimSpace(p); p != "" {
			if !phone.ValidPrefix(p) {
				bad("AGENT_PHONE_ALLOW", "%q: prefixes are + and 1-15 digits", p)
			}
			c.AgentPhoneAllow = append(c.AgentPhoneAllow, p)
		}
	}
	if err := (api.Options{DefaultCountry: c.Country, DefaultTimeZone: c.TimeZone}).Validate(); err != nil {
		bad("DEFAULT_COUNTRY or _TIME_ZONE", "%v", err)
	}
	checks := []struct {
		env, v string
		check  func(string, string) error
	}{
		{"SIP_REALM", c.SIPRealm, esl.ValidateHost},
		{"GATEWAY", c.Gateway, esl.ValidateName},
		{"CONFERENCE_PROFILE", c.ConfProfile, esl.ValidateName},
	}
	for _, ch := range checks {
		if err := ch.check(ch.env, ch.v); err != nil {
			bad(ch.env, "%v", err)
		}
	}
	if c.AgentDomain != "" {
		if err := esl.ValidateHost("domain", c.AgentDomain); err != nil {
			bad("AGENT_DOMAIN", "%v", err)
		}
	}
	if c.CallerID != "" {
		if err := esl.ValidateNumber("caller id", c.CallerID); err != nil {
			bad("CALLER_ID", "%v", err)
		}
	}
	if c.CallerIDName != "" {
		if err := esl.ValidateText("caller id name", c.CallerIDName, 64); err != nil {
			bad("CALLER_ID_NAME", "%v", err)
		}
	}
	for env, f := range map[string]string{"ABANDON_MESSAGE": c.AbandonMsg, "TRANSFER_FAILED_MESSAGE": c.TransferFailedMsg, "CONSENT_MESSAGE": c.ConsentMsg} {
		if f != "" {
			if err := esl.ValidatePath("file", f); err != nil {
				bad(env, "%v", err)
			}
		}
	}
	c.WebRTCTTL = dur("WEBRTC_CREDENTIAL_TTL", raw.webrtcTTL)
	if c.WebRTCTTL > 0 && c.WebRTCTTL < time.Minute {
		bad("WEBRTC_CREDENTIAL_TTL", "%s is less than a minute", c.WebRTCTTL)
	}
	c.WebRTC = parseWebRTC(raw.webrtcWSURL, raw.wssPort, raw.turnURLs, raw.turnSecret, c.ESL, c.PublicURL, bad)
	c.Notify = parseNotify(notifyRaw, bad, os.ReadFile)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return c, nil
}

// validXMLCurlSecret: long enough not to be guessed, and only characters
// that pass unchanged through FreeSWITCH's vars.xml (the secret is
// substituted into an XML attribute there) and a basic-auth header.
func validXMLCurlSecret(s string) bool {
	if len(s) < 16 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("._~+/=-", c) >= 0) {
			return false
		}
	}
	return true
}

// parseNodes reads "host:port" or "name=host:port,name2=host:port".
func parseNodes(v, password string) ([]esl.Node, error) {
	var nodes []esl.Node
	seen := map[string]bool{}
	for i, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		name, addr, named := strings.Cut(part, "=")
		if !named {
			name, addr = "fs"+strconv.Itoa(i+1), part
		}
		if err := esl.ValidateName("node name", name); err != nil {
			return nil, err
		}
		if seen[name] {
			return nil, fmt.Errorf("node %q named twice", name)
		}
		seen[name] = true
		if _, _, err := net.SplitHostPort(addr); err != nil {
			return nil, fmt.Errorf("%q is not host:port", addr)
		}
		nodes = append(nodes, esl.Node{Name: name, Addr: addr, Password: password})
	}
	return nodes, nil
}

// publicURL checks the configured address, or makes one from the listen
// address: a link that works on this machine at least.
func publicURL(raw, httpAddr string) (string, error) {
	if raw == "" {
		host, port, err := net.SplitHostPort(httpAddr)
		if err != nil {
			return "", nil // HTTP_ADDR says what is wrong
		}
		if ip := net.ParseIP(host); host == "" || ip != nil && ip.IsUnspecified() {
			host = "127.0.0.1"
		}
		return "http://" + net.JoinHostPort(host, port), nil
	}
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
		return "", fmt.Errorf("is not an http:// or https:// URL")
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return "", fmt.Errorf("must not carry credentials, a query or a fragment")
	}
	return strings.TrimRight(raw, "/"), nil
}

// parseWebRTC reads what browser softphones are told. Without a URL the
// browser goes to FreeSWITCH's WSS port on the first node's host, or on
// the public URL's host when the node is on loopback (the browser is
// elsewhere) or the switch is simulated.
func parseWebRTC(wsURL, wssPort, turnURLs, turnSecret string, nodes []esl.Node, public string, bad func(env, format string, a ...any)) api.WebRTCOptions {
	o := api.WebRTCOptions{WSURL: wsURL, TURNSecret: turnSecret}
	if p, err := strconv.Atoi(wssPort); err != nil || p < 1 || p > 65535 {
		bad("FS_AGENTS_WSS_PORT", "%q is not a port", wssPort)
	}
	if wsURL == "" {
		host := ""
		if len(nodes) > 0 {
			host, _, _ = net.SplitHostPort(nodes[0].Addr)
		}
		if ip := net.ParseIP(host); host == "" || host == "localhost" || ip != nil && (ip.IsLoopback() || ip.IsUnspecified()) {
			if u, err := url.Parse(public); err == nil && u.Hostname() != "" {
				host = u.Hostname()
			}
		}
		o.WSURL = "wss://" + net.JoinHostPort(host, wssPort)
	} else if err := api.ValidateWSURL(wsURL); err != nil {
		bad("WEBRTC_WS_URL", "%q: %v", wsURL, err)
	}
	for _, u := range strings.Split(turnURLs, ",") {
		if u = strings.TrimSpace(u); u != "" {
			o.TURNURLs = append(o.TURNURLs, u)
		}
	}
	if turnSecret != "" && (len(turnSecret) > 256 || strings.ContainsFunc(turnSecret, func(r rune) bool { return r <= ' ' || r == 0x7f })) {
		bad("TURN_SECRET", "must be at most 256 characters without spaces or control characters")
	}
	if err := (api.WebRTCOptions{TURNURLs: o.TURNURLs, TURNSecret: turnSecret}).Validate(); err != nil {
		bad("TURN_URLS", "%v", err)
	}
	return o
}
