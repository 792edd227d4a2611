package main

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/agentswitch/agentswitch/internal/inputerr"
	"github.com/agentswitch/agentswitch/notify"
)

// NotifyConfig is how the service sends e-mail and text messages.
type NotifyConfig struct {
	// SMTP is nil when no AGENTSWITCH_SMTP_HOST is set: no e-mail.
	SMTP *notify.SMTPConfig
	// SMSProvider is "log" (written to the service's log) or "twilio".
	SMSProvider string
	Twilio      notify.TwilioConfig
}

type notifyRaw struct {
	smtpHost, smtpPort, smtpTLS, smtpAuth, smtpUser, smtpPass, smtpPassFile, smtpFrom, smtpFromName, smtpTimeout string
	smsProvider, smsBaseURL, smsAccount, smsToken, smsTokenFile, smsFrom, smsService, smsTimeout                 string
}

func notifySettings(r *notifyRaw) []setting {
	return []setting{
		{"smtp-host", "SMTP server for the service's e-mails; empty: no e-mail", "", &r.smtpHost},
		{"smtp-port", "SMTP port (default 587 with starttls, 465 with tls, 25 with none)", "", &r.smtpPort},
		{"smtp-tls", "starttls (required), starttls-opportunistic, tls (implicit, port 465) or none", "starttls", &r.smtpTLS},
		{"smtp-auth", "plain, login, cram-md5 or none (default plain with a username, else none)", "", &r.smtpAuth},
		{"smtp-username", "SMTP AUTH user name", "", &r.smtpUser},
		{"smtp-password", "SMTP AUTH password (prefer smtp-password-file)", "", &r.smtpPass},
		{"smtp-password-file", "file holding the SMTP AUTH password", "", &r.smtpPassFile},
		{"smtp-from", "sender address of the service's e-mails (required with smtp-host)", "", &r.smtpFrom},
		{"smtp-from-name", "sender name of the service's e-mails", "agentswitch", &r.smtpFromName},
		{"smtp-timeout", "bound on connecting to the SMTP server and on each command", "15s", &r.smtpTimeout},
		{"sms-provider", "log (text messages are written to the service's log, not sent) or twilio", "log", &r.smsProvider},
		{"sms-base-url", "base URL of the Twilio-compatible REST API", notify.TwilioBaseURL, &r.smsBaseURL},
		{"sms-account-sid", "Twilio account SID (AC...)", "", &r.smsAccount},
		{"sms-auth-token", "Twilio auth token (prefer sms-auth-token-file)", "", &r.smsToken},
		{"sms-auth-token-file", "file holding the Twilio auth token", "", &r.smsTokenFile},
		{"sms-from", "sending number (E.164) or alphanumeric sender ID", "", &r.smsFrom},
		{"sms-messaging-service-sid", "Twilio messaging service (MG...) that picks the sender instead of sms-from", "", &r.smsService},
		{"sms-timeout", "bound on one request to the SMS provider", "15s", &r.smsTimeout},
	}
}

// parseNotify checks the e-mail and SMS settings, reporting each problem
// with bad under the variable's name.
func parseNotify(r notifyRaw, bad func(env, format string, a ...any), readFile func(string) ([]byte, error)) NotifyConfig {
	var nc NotifyConfig
	secret := func(env, value, file string) string {
		switch {
		case value != "" && file != "":
			bad(env, "set either it or %s_FILE, not both", env)
		case file != "":
			b, err := readFile(file)
			if err != nil {
				bad(env+"_FILE", "cannot read %s (%v)", file, reason(err))
				return ""
			}
			return strings.TrimRight(string(b), "\r\n")
		}
		return value
	}
	// The field a notify config names maps to its variable.
	fieldErr := func(prefix string, err error) {
		var fe *inputerr.FieldError
		if errors.As(err, &fe) {
			bad(prefix+strings.ToUpper(strings.ReplaceAll(fe.Field, "-", "_")), "%s", fe.Reason)
		} else if err != nil {
			bad(prefix+"*", "%v", err)
		}
	}
	positive := func(env, v string) time.Duration {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			bad(env, "%q is not a positive duration (e.g. 15s)", v)
		}
		return d
	}

	if r.smtpHost != "" {
		c := &notify.SMTPConfig{
			Host: r.smtpHost, TLS: notify.TLSMode(r.smtpTLS), Auth: notify.AuthMode(r.smtpAuth), Username: r.smtpUser,
			Password: secret("SMTP_PASSWORD", r.smtpPass, r.smtpPassFile),
			From:     r.smtpFrom, FromName: r.smtpFromName,
			Timeout: positive("SMTP_TIMEOUT", r.smtpTimeout),
		}
		if c.Auth == "" {
			c.Auth = notify.AuthNone
			if c.Username != "" {
				c.Auth = notify.AuthPlain
			}
		}
		portOK := true
		switch {
		case r.smtpPort != "":
			p, err := strconv.Atoi(r.smtpPort)
			if err != nil {
				bad("SMTP_PORT", "%q is not a port number", r.smtpPort)
				portOK = false
			}
			c.Port = p
		case c.TLS == notify.TLSImplicit:
			c.Port = 465
		case c.TLS == notify.TLSNone:
			c.Port = 25
		default:
			c.Port = 587
		}
		// Only once the values parsed: an error is reported once.
		if c.Timeout > 0 && portOK {
			fieldErr("SMTP_", c.Validate())
		}
		nc.SMTP = c
	} else if r.smtpFrom != "" || r.smtpUser != "" || r.smtpPass != "" || r.smtpPassFile != "" {
		bad("SMTP_HOST", "is required when other SMTP settings are set")
	}

	nc.SMSProvider = r.smsProvider
	switch r.smsProvider {
	case "log":
	case "twilio":
		nc.Twilio = notify.TwilioConfig{
			BaseURL: r.smsBaseURL, AccountSID: r.smsAccount,
			AuthToken: secret("SMS_AUTH_TOKEN", r.smsToken, r.smsTokenFile),
			From:      r.smsFrom, MessagingServiceSID: r.smsService,
			Timeout: positive("SMS_TIMEOUT", r.smsTimeout),
		}
		if nc.Twilio.Timeout > 0 {
			fieldErr("SMS_", nc.Twilio.Validate())
		}
	default:
		bad("SMS_PROVIDER", "%q is not log or twilio", r.smsProvider)
	}
	return nc
}

// senders builds the mailer (none without SMTP) and the SMS provider.
func (nc NotifyConfig) senders(log *slog.Logger, now func() time.Time) (notify.Senders, error) {
	var s notify.Senders
	if nc.SMTP != nil {
		c := *nc.SMTP
		c.Now = now
		m, err := notify.NewSMTP(c)
		if err != nil {
			return s, fmt.Errorf("AGENTSWITCH_SMTP_*: %w", err)
		}
		s.Mail = m
		log.Info("e-mail through SMTP", "smtp", c)
	} else {
		log.Info("no AGENTSWITCH_SMTP_HOST: the service sends no e-mail")
	}
	switch nc.SMSProvider {
	case "twilio":
		t, err := notify.NewTwilio(nc.Twilio)
		if err != nil {
			return s, fmt.Errorf("AGENTSWITCH_SMS_*: %w", err)
		}
		s.SMS = t
		log.Info("text messages through a Twilio-compatible API", "base_url", nc.Twilio.BaseURL, "account_sid", nc.Twilio.AccountSID)
	default:
		s.SMS = notify.LogSMS{Log: log.With("component", "sms")}
		log.Warn("AGENTSWITCH_SMS_PROVIDER=log: text messages are written to this log, not sent")
	}
	return s, nil
}
