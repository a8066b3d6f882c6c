package slack

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/slack-go/slack"
)

// handlerBudget bounds the work a handler does before acknowledging, well
// inside Slack's 3 seconds.
const handlerBudget = 2 * time.Second

// Commands serves POST /slack/commands.
func (a *App) Commands() http.Handler { return http.HandlerFunc(a.serveCommand) }

func (a *App) serveCommand(w http.ResponseWriter, r *http.Request) {
	body, ok := a.readVerified(w, r)
	if !ok {
		return
	}
	sc, err := slack.SlashCommandParse(r)
	if err != nil || sc.UserID == "" {
		http.Error(w, "malformed slash command", http.StatusBadRequest)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), handlerBudget)
	defer cancel()
	if sc.Command != a.cfg.Command {
		ephemeral(w, "This app only answers "+a.cfg.Command+".")
		return
	}
	cmd, err := parseCommand(sc.Text, a.catalog(), a.cfg.DefaultSource)
	var ue *usageError
	if errors.As(err, &ue) {
		ephemeral(w, ":warning: "+ue.msg+"\n"+a.usageText())
		return
	}
	a.dispatch(ctx, w, sc, cmd, body)
}

func (a *App) dispatch(ctx context.Context, w http.ResponseWriter, sc slack.SlashCommand, cmd command, body []byte) {
	switch cmd.kind {
	case cmdHelp:
		ephemeral(w, a.helpText())
	case cmdModal:
		a.openRequestModal(ctx, w, sc)
	case cmdRequest:
		job := requestJob{UserID: sc.UserID, ResponseURL: sc.ResponseURL, Request: cmd.req, Via: "command", Key: requestKey(body)}
		a.ack(ctx, w, JobRequest, job, "Submitting your request for "+esc(cmd.req.Resource)+"…")
	case cmdStatus, cmdMine:
		job := statusJob{UserID: sc.UserID, ResponseURL: sc.ResponseURL, Ref: cmd.ref, Mine: cmd.ref == nil}
		a.ack(ctx, w, JobStatus, job, "")
	}
}

// ack enqueues the job and acknowledges; if the job cannot be stored the
// user is told to retry rather than left waiting for an answer that never comes.
func (a *App) ack(ctx context.Context, w http.ResponseWriter, kind string, job any, text string) {
	if err := a.enqueue(ctx, kind, job); err != nil {
		a.log.Error("slack enqueue failed", "kind", kind, "err", err)
		ephemeral(w, ":warning: The access bridge is busy and could not take this; please try again in a minute.")
		return
	}
	if text == "" {
		w.WriteHeader(http.StatusOK)
		return
	}
	ephemeral(w, text)
}

// requestKey identifies one delivery of a command: a retried job submits
// with the same key, so the backend can refuse a duplicate ticket.
func requestKey(body []byte) string {
	sum := sha256.Sum256(body)
	return "slack:" + hex.EncodeToString(sum[:12])
}

// ephemeral answers the slash command with a message only the user sees.
func ephemeral(w http.ResponseWriter, text string) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"response_type": "ephemeral", "text": text})
}
