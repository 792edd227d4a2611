package api

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
)

// WebRTCOptions configure the browser softphone's credentials answer.
type WebRTCOptions struct {
	// WSURL is where browsers reach the agents' SIP over WebSocket
	// (wss://pbx.example.com:7443); empty answers 503.
	WSURL string
	// TURNURLs are the STUN/TURN servers offered to browsers (none: host
	// candidates only, enough on a LAN).
	TURNURLs []string
	// TURNSecret is coturn's static-auth-secret (use-auth-secret): each
	// browser gets a TURN password that ends with its SIP one.
	TURNSecret string
}

// Validate checks the URLs and the secret as the service reads them.
func (o WebRTCOptions) Validate() error {
	if o.WSURL != "" {
		if err := ValidateWSURL(o.WSURL); err != nil {
			return fmt.Errorf("webrtc ws url %q: %w", o.WSURL, err)
		}
	}
	turn := false
	for _, u := range o.TURNURLs {
		if !iceURL.MatchString(u) {
			return fmt.Errorf("ice server %q: want stun:, stuns:, turn: or turns: host[:port][?transport=udp|tcp]", u)
		}
		turn = turn || u[:4] == "turn"
	}
	if turn && o.TURNSecret == "" {
		return fmt.Errorf("turn servers need the TURN secret (coturn's static-auth-secret)")
	}
	return nil
}

var iceURL = regexp.MustCompile(`^(stun|stuns|turn|turns):([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(:[0-9]{1,5})?(\?transport=(udp|tcp))?$`)

// ValidateWSURL accepts a ws:// or wss:// URL with a host and nothing a
// browser could be misled by (credentials, a query, a fragment).
func ValidateWSURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "ws" && u.Scheme != "wss"):
		return fmt.Errorf("not a ws:// or wss:// URL")
	case u.User != nil || u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("must not carry credentials, a query or a fragment")
	}
	return nil
}

// iceServer is one RTCIceServer as the browser's RTCPeerConnection takes it.
type iceServer struct {
	URLs       []string `json:"urls"`
	Username   string   `json:"username,omitempty"`
	Credential string   `json:"credential,omitempty"`
}

type webrtcCredentials struct {
	WSURL             string      `json:"ws_url"`
	SIPURI            string      `json:"sip_uri"`
	AuthorizationUser string      `json:"authorization_user"`
	Password          string      `json:"password"`
	DisplayName       string      `json:"display_name"`
	ExpiresAt         time.Time   `json:"expires_at"`
	ICEServers        []iceServer `json:"ice_servers"`
}

// TURNCredential is coturn's REST API credential (use-auth-secret) of an
// agent until expires: username "<unix expiry>:<agent id>", password
// base64(HMAC-SHA1(secret, username)).
func TURNCredential(secret string, agent dialer.AgentID, expires time.Time) (username, credential string) {
	username = strconv.FormatInt(expires.Unix(), 10) + ":" + agent.String()
	mac := hmac.New(sha1.New, []byte(secret))
	mac.Write([]byte(username))
	return username, base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

func (s *Server) iceServers(agent dialer.AgentID, expires time.Time) []iceServer {
	o := s.opts.WebRTC
	if len(o.TURNURLs) == 0 {
		return []iceServer{}
	}
	srv := iceServer{URLs: o.TURNURLs}
	if o.TURNSecret != "" {
		srv.Username, srv.Credential = TURNCredential(o.TURNSecret, agent, expires)
	}
	return []iceServer{srv}
}

// issueWebRTC answers the browser's SIP account: a new password each
// time (the previous one stops working), valid until expires_at.
func (s *Server) issueWebRTC(c echo.Context, p *principal) error {
	id, err := agentParam(c, p)
	if err != nil {
		return err
	}
	if s.opts.WebRTC.WSURL == "" {
		return &httpError{code: http.StatusServiceUnavailable, msg: "the browser softphone is not configured (AGENTSWITCH_WEBRTC_WS_URL)"}
	}
	l, err := s.engine.IssueWebRTC(c.Request().Context(), p.Actor, id)
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, webrtcCredentials{
		WSURL: s.opts.WebRTC.WSURL, SIPURI: "sip:" + l.User + "@" + l.Domain, AuthorizationUser: l.User,
		Password: l.Password, DisplayName: l.DisplayName, ExpiresAt: l.ExpiresAt.UTC(),
		ICEServers: s.iceServers(id, l.ExpiresAt),
	})
}

func (s *Server) revokeWebRTC(c echo.Context, p *principal) error {
	id, err := agentParam(c, p)
	if err != nil {
		return err
	}
	if err := s.engine.RevokeWebRTC(c.Request().Context(), p.Actor, id); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

type mediaQualityBody struct {
	Registered    bool    `json:"registered"`
	PacketLossPct float64 `json:"packet_loss_pct"`
	JitterMs      float64 `json:"jitter_ms"`
	RTTMs         float64 `json:"rtt_ms"`
	AudioInput    string  `json:"audio_input"`
	Error         string  `json:"error"`
}

// mediaQuality takes the softphone's report for supervisors.
func (s *Server) mediaQuality(c echo.Context, p *principal) error {
	id, err := agentParam(c, p)
	if err != nil {
		return err
	}
	var b mediaQualityBody
	if err := decode(c, &b); err != nil {
		return err
	}
	q := dialer.MediaQuality{Registered: b.Registered, PacketLossPct: b.PacketLossPct, JitterMs: b.JitterMs,
		RTTMs: b.RTTMs, AudioInput: b.AudioInput, Error: b.Error}
	if err := q.Validate(); err != nil {
		return err
	}
	if err := s.engine.ReportMediaQuality(c.Request().Context(), p.Actor, id, q); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}
