package slackfake

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
)

// args are a Web API call's arguments, from a form body, a query string or
// a JSON body — Slack accepts all three.
type args struct {
	form url.Values
	json map[string]json.RawMessage
}

const maxBody = 1 << 20

func parseArgs(r *http.Request) (args, error) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		b, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
		if err != nil {
			return args{}, err
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			return args{}, errors.New("invalid json")
		}
		return args{json: m, form: r.URL.Query()}, nil
	}
	r.Body = http.MaxBytesReader(nil, r.Body, maxBody)
	if err := r.ParseForm(); err != nil {
		return args{}, err
	}
	return args{form: r.Form}, nil
}

// str returns a string argument; JSON numbers and booleans come back as
// their literal text.
func (a args) str(key string) string {
	if raw, ok := a.json[key]; ok {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		return string(raw)
	}
	return a.form.Get(key)
}

// raw returns a JSON-valued argument: the JSON field itself, or the form
// field's text (Slack takes blocks and views as JSON strings in forms).
func (a args) raw(key string) (json.RawMessage, bool) {
	if raw, ok := a.json[key]; ok {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return json.RawMessage(s), true
		}
		return raw, true
	}
	if !a.form.Has(key) {
		return nil, false
	}
	return json.RawMessage(a.form.Get(key)), true
}

func (a args) has(key string) bool {
	_, ok := a.raw(key)
	return ok
}

func (a args) boolean(key string) bool {
	b, _ := strconv.ParseBool(a.str(key))
	return b
}
