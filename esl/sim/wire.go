package sim

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
)

// disconnectBody is the 67-byte goodbye FreeSWITCH sends before it closes.
const disconnectBody = "Disconnected, goodbye.\nSee you at ClueCon! http://www.cluecon.com/\n"

const authRequest = "Content-Type: auth/request\n\n"

// replyFrame is a command/reply with a single Reply-Text.
func replyFrame(text string) []byte {
	return []byte("Content-Type: command/reply\nReply-Text: " + text + "\n\n")
}

// apiFrame is an api/response; Content-Type comes before Content-Length.
func apiFrame(body string) []byte {
	return []byte("Content-Type: api/response\nContent-Length: " + strconv.Itoa(len(body)) + "\n\n" + body)
}

// disconnectFrame is the notice an inbound listener gets before the close.
func disconnectFrame() []byte {
	return []byte("Content-Type: text/disconnect-notice\nContent-Length: 67\n\n" + disconnectBody)
}

// sessionDisconnectFrame is the notice of a listener bound to a session.
func sessionDisconnectFrame(uuid string) []byte {
	return []byte("Content-Type: text/disconnect-notice\nControlled-Session-UUID: " + uuid +
		"\nContent-Disposition: disconnect\nContent-Length: 67\n\n" + disconnectBody)
}

// lingerFrame announces that a session socket stays open after hangup.
func lingerFrame(uuid, channelName string, secs int) []byte {
	return []byte("Content-Type: text/disconnect-notice\nControlled-Session-UUID: " + uuid +
		"\nContent-Disposition: linger\nChannel-Name: " + channelName +
		"\nLinger-Time: " + strconv.Itoa(secs) + "\nContent-Length: 0\n\n")
}

// urlUnsafe is SWITCH_URL_UNSAFE from switch_utils.h.
const urlUnsafe = "\r\n #%&+:;<=>?@[\\]^`{|}\""

var unsafeTable = func() (t [256]bool) {
	for i := 0; i < 256; i++ {
		c := byte(i)
		t[i] = c < ' ' || c > '~' || strings.IndexByte(urlUnsafe, c) >= 0
	}
	return t
}()

const upperHex = "0123456789ABCDEF"

func isUpperHex(c byte) bool { return '0' <= c && c <= '9' || 'A' <= c && c <= 'F' }

// urlEncode is switch_url_encode: unsafe bytes become %XX (upper case), and
// a '%' already followed by two upper-case hex digits is left alone.
func urlEncode(s string) string {
	n := 0
	for i := 0; i < len(s); i++ {
		if unsafeTable[s[i]] && !(s[i] == '%' && i+2 < len(s) && isUpperHex(s[i+1]) && isUpperHex(s[i+2])) {
			n++
		}
	}
	if n == 0 {
		return s
	}
	return string(appendURLEncoded(make([]byte, 0, len(s)+2*n), s))
}

// appendURLEncoded appends urlEncode(s) to b without building the string.
func appendURLEncoded(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if unsafeTable[c] && !(c == '%' && i+2 < len(s) && isUpperHex(s[i+1]) && isUpperHex(s[i+2])) {
			b = append(b, '%', upperHex[c>>4], upperHex[c&15])
			continue
		}
		b = append(b, c)
	}
	return b
}

// appendJSONString quotes s the way cJSON_PrintUnformatted does: only the
// quote, the backslash and control bytes are escaped; other bytes pass raw.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			if c < 0x20 {
				b = append(b, '\\', 'u', '0', '0', "0123456789abcdef"[c>>4], "0123456789abcdef"[c&15])
			} else {
				b = append(b, c)
			}
		}
	}
	return append(b, '"')
}

// newUUID returns a random version 4 UUID.
func newUUID() string {
	var u [16]byte
	_, _ = rand.Read(u[:])
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}
