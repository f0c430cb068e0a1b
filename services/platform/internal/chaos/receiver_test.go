package chaos

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// webhookReceiver is the coaches' endpoint: one path per team (/hook/<team>), each with the
// signing secret of that team's subscription. It counts every alert delivery per idempotency key,
// and can be made slow: it then stores the alert at once but answers only after a delay, as an
// overloaded receiver does, so the sender's attempt may time out after the alert arrived.
type webhookReceiver struct {
	mu            sync.Mutex
	secrets       map[string]string         // team -> signing secret
	deliveries    map[string]map[string]int // team -> idempotency key -> deliveries
	badSignatures int
	answerDelay   time.Duration
}

func newWebhookReceiver() *webhookReceiver {
	return &webhookReceiver{secrets: map[string]string{}, deliveries: map[string]map[string]int{}}
}

func (rc *webhookReceiver) setSecret(team, secret string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.secrets[team] = secret
}

// setAnswerDelay makes every answer wait d from now on (0: answer at once).
func (rc *webhookReceiver) setAnswerDelay(d time.Duration) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.answerDelay = d
}

// keys returns how often each idempotency key of team was delivered.
func (rc *webhookReceiver) keys(team string) map[string]int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := map[string]int{}
	for k, n := range rc.deliveries[team] {
		out[k] = n
	}
	return out
}

func (rc *webhookReceiver) signatureFailures() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.badSignatures
}

func (rc *webhookReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	team, ok := strings.CutPrefix(r.URL.Path, "/hook/")
	body, err := io.ReadAll(r.Body)
	if !ok || err != nil {
		http.Error(w, "no such hook", http.StatusNotFound)
		return
	}
	rc.mu.Lock()
	if !signedBy(rc.secrets[team], r.Header.Get("Supercomp-Signature"), body) {
		rc.badSignatures++
		rc.mu.Unlock()
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	var payload struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(body, &payload) == nil && payload.Type == "alert" {
		if rc.deliveries[team] == nil {
			rc.deliveries[team] = map[string]int{}
		}
		rc.deliveries[team][r.Header.Get("Idempotency-Key")]++
	}
	delay := rc.answerDelay
	rc.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// signedBy checks the `t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>` header: a delivery
// that the platform did not sign does not count as delivered.
func signedBy(secret, header string, body []byte) bool {
	var ts, sig string
	for _, part := range strings.Split(header, ",") {
		k, v, _ := strings.Cut(part, "=")
		switch k {
		case "t":
			ts = v
		case "v1":
			sig = v
		}
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	return secret != "" && ts != "" && hmac.Equal([]byte(sig), []byte(hex.EncodeToString(mac.Sum(nil))))
}
