package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/agentswitch/agentswitch/dialer"
	"github.com/agentswitch/agentswitch/dialer/phone"
	"github.com/agentswitch/agentswitch/dialer/window"
)

// campaignView is a campaign as the API shows it: its settings with every
// default filled in, and the keys other rules own as stored.
type campaignView struct {
	dialer.Campaign
	Settings json.RawMessage `json:"settings"`
}

func viewCampaign(c dialer.Campaign) campaignView {
	v := campaignView{Campaign: c, Settings: c.Settings}
	if set, err := dialer.ParseCampaignSettings(c.Settings); err == nil {
		if merged, err := dialer.MergeSettings(c.Settings, set); err == nil {
			v.Settings = merged
		}
	}
	if len(v.Settings) == 0 {
		v.Settings = json.RawMessage(`{}`)
	}
	return v
}

// campaignColumns are the PATCH fields kept in the campaign's own columns.
type campaignColumns struct {
	Name           *string `json:"name"`
	DialMode       *string `json:"dial_mode"`
	CallerID       *string `json:"caller_id"`
	AbandonMessage *string `json:"abandon_message"`
	Script         *string `json:"script"`
	WrapUpSeconds  *int    `json:"wrapup_seconds"`
	MaxAttempts    *int    `json:"max_attempts"`
}

var campaignColumnKeys = []string{"name", "dial_mode", "caller_id", "abandon_message", "script", "wrapup_seconds", "max_attempts"}

// patchCampaign changes only the fields in the body. Settings fields sit
// beside the columns; nested objects (retry_delays, disposition_actions)
// change key by key, null removing a disposition's override. Settings
// keys this API does not own are kept.
func (s *Server) patchCampaign(c echo.Context, p *principal) error {
	id, err := pathID[dialer.CampaignID](c, "id")
	if err != nil {
		return err
	}
	var body map[string]json.RawMessage
	if err := decode(c, &body); err != nil {
		return err
	}
	cols, settings := map[string]json.RawMessage{}, map[string]json.RawMessage{}
	var callingWindow, country json.RawMessage
	for k, v := range body {
		switch {
		case slices.Contains(campaignColumnKeys, k):
			cols[k] = v
		case slices.Contains(dialer.SettingsKeys, k):
			settings[k] = v
		case k == window.Key:
			callingWindow = v
		case k == countryKey:
			country = v
		default:
			return fieldErr(k, "unknown field")
		}
	}
	var colPatch campaignColumns
	if err := strictJSON(cols, &colPatch); err != nil {
		return err
	}
	var settingsPatch dialer.CampaignSettings
	if err := strictJSON(settings, &settingsPatch); err != nil {
		return err
	}
	ctx := c.Request().Context()
	out, err := s.campaigns.UpdateCampaignWith(ctx, id, func(cp *dialer.Campaign) error {
		if err := s.applyColumns(cp, colPatch); err != nil {
			return err
		}
		if callingWindow != nil {
			if cp.Settings, err = dialer.SetCallingWindow(cp.Settings, callingWindow); err != nil {
				return err
			}
		}
		if country != nil {
			if cp.Settings, err = setCountry(cp.Settings, country); err != nil {
				return err
			}
		}
		if len(settings) == 0 {
			return nil
		}
		set, err := dialer.ParseCampaignSettings(cp.Settings)
		if err != nil {
			// Stored before settings were checked: start from the defaults.
			set = dialer.DefaultCampaignSettings()
		}
		raw, err := json.Marshal(settings)
		if err != nil {
			return err
		}
		if err := dialer.ApplySettings(&set, raw); err != nil {
			return err
		}
		if err := s.normalizePool(&set); err != nil {
			return err
		}
		if err := set.Validate(); err != nil {
			return err
		}
		cp.Settings, err = dialer.MergeSettings(cp.Settings, set)
		return err
	})
	if err != nil {
		return err
	}
	changed := make([]string, 0, len(body))
	for k := range body {
		changed = append(changed, k)
	}
	sort.Strings(changed)
	s.audit(ctx, p, "campaign.update", "campaign:"+out.ID.String(), map[string]any{"fields": changed})
	return c.JSON(http.StatusOK, viewCampaign(out))
}

// countryKey is the settings key of the country a campaign's numbers
// written without "+" are read in (lead imports); "" is the service's.
const countryKey = "country"

// setCountry sets or, with "" or null, removes the campaign's country.
func setCountry(settings, raw json.RawMessage) (json.RawMessage, error) {
	var c *string
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, fieldErr(countryKey, "must be a string")
	}
	m := map[string]json.RawMessage{}
	if len(bytes.TrimSpace(settings)) > 0 {
		if err := json.Unmarshal(settings, &m); err != nil || m == nil {
			return nil, fieldErr("settings", "must be a JSON object")
		}
	}
	if c == nil || *c == "" {
		delete(m, countryKey)
		return json.Marshal(m)
	}
	code := strings.ToUpper(*c)
	if !phone.ValidCountry(code) {
		return nil, fieldErr(countryKey, "an ISO 3166 region code such as US")
	}
	m[countryKey], _ = json.Marshal(code)
	return json.Marshal(m)
}

// strictJSON decodes the fields m into v, refusing unknown nested keys and
// naming the field of a wrong type.
func strictJSON(m map[string]json.RawMessage, v any) error {
	if len(m) == 0 {
		return nil
	}
	raw, err := json.Marshal(m)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonFieldError(err)
	}
	return nil
}

func (s *Server) applyColumns(cp *dialer.Campaign, b campaignColumns) error {
	if b.Name != nil {
		cp.Name = *b.Name
	}
	if b.DialMode != nil {
		cp.DialMode = dialer.DialMode(*b.DialMode)
	}
	if b.CallerID != nil {
		n, err := phone.NormalizeOptional("caller_id", *b.CallerID, s.opts.DefaultCountry)
		if err != nil {
			return err
		}
		cp.CallerID = n
	}
	if b.AbandonMessage != nil {
		if err := checkSound("abandon_message", *b.AbandonMessage); err != nil {
			return err
		}
		cp.AbandonMessage = *b.AbandonMessage
	}
	if b.Script != nil {
		cp.Script = *b.Script
	}
	if b.WrapUpSeconds != nil {
		cp.WrapUpSeconds = *b.WrapUpSeconds
	}
	if b.MaxAttempts != nil {
		cp.MaxAttempts = *b.MaxAttempts
	}
	return nil
}

// normalizePool turns the caller ID pool's numbers into E.164, as typed
// numbers are everywhere else.
func (s *Server) normalizePool(set *dialer.CampaignSettings) error {
	for i, n := range set.CallerIDPool {
		e, err := phone.Normalize(fmt.Sprintf("caller_id_pool[%d]", i), n, s.opts.DefaultCountry)
		if err != nil {
			return err
		}
		set.CallerIDPool[i] = e
	}
	return nil
}

// checkSound: a sound to play reaches a switch command, so a plain
// relative path or a name, nothing else.
func checkSound(field, v string) error {
	if v != "" && (!soundPath.MatchString(v) || containsDotDot(v)) {
		return fieldErr(field, "a sound name or relative path: letters, digits, _ . / -")
	}
	return nil
}

// setCampaignState archives, unarchives, pauses or resumes a campaign. An
// archived campaign is paused and cannot be resumed until unarchived.
func (s *Server) setCampaignState(action string) handler {
	return func(c echo.Context, p *principal) error {
		id, err := pathID[dialer.CampaignID](c, "id")
		if err != nil {
			return err
		}
		ctx := c.Request().Context()
		out, err := s.campaigns.UpdateCampaignWith(ctx, id, func(cp *dialer.Campaign) error {
			switch action {
			case "archive":
				if cp.ArchivedAt.IsZero() {
					cp.ArchivedAt = s.now()
				}
				cp.Active = false
			case "unarchive":
				cp.ArchivedAt = time.Time{}
			case "pause":
				cp.Active = false
			case "resume":
				if !cp.ArchivedAt.IsZero() {
					return fmt.Errorf("campaign %d is archived; unarchive it first: %w", id, dialer.ErrConflict)
				}
				cp.Active = true
			}
			return nil
		})
		if err != nil {
			return err
		}
		s.audit(ctx, p, "campaign."+action, "campaign:"+out.ID.String(), nil)
		return c.JSON(http.StatusOK, viewCampaign(out))
	}
}
