package slackfake

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Sign returns Slack's X-Slack-Signature for body sent at ts:
// "v0=" + hex(HMAC-SHA256(secret, "v0:<ts>:<body>")).
func Sign(secret string, ts time.Time, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + strconv.FormatInt(ts.Unix(), 10) + ":"))
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// SignedCommand builds a slash-command POST to url, form-encoded and signed
// at ts exactly as Slack sends it.
func SignedCommand(url, secret string, form url.Values, ts time.Time) *http.Request {
	return signed(url, secret, []byte(form.Encode()), ts)
}

// SignedInteraction builds an interaction POST: payload marshalled to JSON
// (unless already []byte or string) in the single form field "payload".
func SignedInteraction(url, secret string, payload any, ts time.Time) *http.Request {
	var raw []byte
	switch p := payload.(type) {
	case []byte:
		raw = p
	case string:
		raw = []byte(p)
	default:
		var err error
		if raw, err = json.Marshal(p); err != nil {
			panic("slackfake: unmarshalable payload: " + err.Error())
		}
	}
	form := make(map[string][]string)
	form["payload"] = []string{string(raw)}
	return SignedCommand(url, secret, form, ts)
}

func signed(target, secret string, body []byte, ts time.Time) *http.Request {
	r, err := http.NewRequest(http.MethodPost, target, strings.NewReader(string(body)))
	if err != nil {
		panic("slackfake: bad url: " + err.Error())
	}
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	r.Header.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts.Unix(), 10))
	r.Header.Set("X-Slack-Signature", Sign(secret, ts, body))
	return r
}
