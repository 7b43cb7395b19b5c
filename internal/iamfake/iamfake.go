// Package iamfake is an IAM Query-protocol endpoint on 127.0.0.1 for tests:
// it keeps a store of access keys, serves a credential report, records every
// request, and can be told to fail. The real AWS CLI (with --endpoint-url)
// and aws-sdk-go-v2 (with a base endpoint) both talk to it, so tests check
// what those clients really send. It lives in internal/ because the tests of
// three packages share it, and nothing else may.
package iamfake

import (
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Key is an access key in the store.
type Key struct {
	User    string
	ID      string
	Status  string // Active or Inactive
	Created time.Time
}

// Request is one request the endpoint received.
type Request struct {
	Action string
	Params url.Values
	// AccessKey is the access key id the request was signed with.
	AccessKey string
}

// Fault is an error response to give instead of a success.
type Fault struct {
	Status  int
	Code    string
	Message string
}

// Server is the fake endpoint. Set its fields before the first request, or
// under Lock.
type Server struct {
	*httptest.Server

	mu       sync.Mutex
	users    map[string]bool
	keys     []Key
	requests []Request
	created  int
	warmLogs []string    // of the warm CLIs started for this endpoint
	batch    *warmSocket // the one RunCLI talks to, once started

	// PageSize, when set, is the most keys ListAccessKeys returns at once.
	PageSize int

	// Report and Generated are what GetCredentialReport returns.
	Report    []byte
	Generated time.Time

	// GenerateStates are the states GenerateCredentialReport answers in
	// turn before COMPLETE (e.g. STARTED, INPROGRESS).
	GenerateStates []string

	// Faults are answered, in turn, to the named action before it succeeds.
	Faults map[string][]Fault

	// Fail, when set, is asked about every request; a fault it returns is
	// the answer.
	Fail func(Request) *Fault

	// Account is the account whose credentials the callers have, as STS
	// GetCallerIdentity answers it; 123456789012 when unset.
	Account string

	// LoginProfiles are the users with a console password, and when it
	// was set.
	LoginProfiles map[string]time.Time

	// Summary is what GetAccountSummary answers (AccountMFAEnabled,
	// AccountAccessKeysPresent, Users).
	Summary map[string]int

	// Events are what CloudTrail's LookupEvents answers, as JSON objects.
	Events []map[string]any
}

// serveJSON answers the JSON protocol that CloudTrail speaks: the action
// in X-Amz-Target, the parameters a JSON object.
func (s *Server) serveJSON(w http.ResponseWriter, r *http.Request, target string) {
	body, _ := io.ReadAll(r.Body)
	action := target[strings.LastIndexByte(target, '.')+1:]
	var params map[string]any
	json.Unmarshal(body, &params)
	form := url.Values{}
	for k, v := range params {
		b, _ := json.Marshal(v)
		form.Set(k, string(b))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{Action: action, Params: form, AccessKey: signer(r.Header.Get("Authorization"))})
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	switch action {
	case "LookupEvents":
		events := s.Events
		if events == nil {
			events = []map[string]any{}
		}
		json.NewEncoder(w).Encode(map[string]any{"Events": events})
	default:
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"__type": "UnknownOperationException", "message": "%s"}`, action)
	}
}

// New starts an endpoint holding the given users and keys.
func New(users []string, keys []Key) *Server {
	s := &Server{users: map[string]bool{}, Faults: map[string][]Fault{}}
	for _, u := range users {
		s.users[u] = true
	}
	for _, k := range keys {
		s.users[k.User] = true
		s.keys = append(s.keys, k)
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// Keys returns the store, sorted by user and key id.
func (s *Server) Keys() []Key {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := append([]Key(nil), s.keys...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].User != out[j].User {
			return out[i].User < out[j].User
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// Requests returns what was received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Mutations returns the requests that change the store, as "Action user key".
func (s *Server) Mutations() []string {
	var out []string
	for _, r := range s.Requests() {
		switch r.Action {
		case "UpdateAccessKey":
			out = append(out, fmt.Sprintf("%s %s %s %s", r.Action, r.Params.Get("UserName"), r.Params.Get("AccessKeyId"), r.Params.Get("Status")))
		case "DeleteAccessKey":
			out = append(out, fmt.Sprintf("%s %s %s", r.Action, r.Params.Get("UserName"), r.Params.Get("AccessKeyId")))
		case "CreateAccessKey":
			out = append(out, fmt.Sprintf("%s %s", r.Action, r.Params.Get("UserName")))
		}
	}
	return out
}

// Lock and Unlock guard the exported fields while requests may arrive.
func (s *Server) Lock()   { s.mu.Lock() }
func (s *Server) Unlock() { s.mu.Unlock() }

const ns = "https://iam.amazonaws.com/doc/2010-05-08/"

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if target := r.Header.Get("X-Amz-Target"); target != "" {
		s.serveJSON(w, r, target)
		return
	}
	if err := r.ParseForm(); err != nil {
		fail(w, Fault{400, "MalformedInput", err.Error()})
		return
	}
	action := r.Form.Get("Action")
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = append(s.requests, Request{Action: action, Params: r.Form, AccessKey: signer(r.Header.Get("Authorization"))})
	if s.Fail != nil {
		if f := s.Fail(s.requests[len(s.requests)-1]); f != nil {
			fail(w, *f)
			return
		}
	}
	if q := s.Faults[action]; len(q) > 0 {
		s.Faults[action] = q[1:]
		fail(w, q[0])
		return
	}
	p := r.Form
	switch action {
	case "ListAccessKeys":
		s.listAccessKeys(w, p)
	case "UpdateAccessKey":
		k, ok := s.find(w, p)
		if !ok {
			return
		}
		st := p.Get("Status")
		if st != "Active" && st != "Inactive" {
			fail(w, Fault{400, "ValidationError", "status must be Active or Inactive"})
			return
		}
		k.Status = st
		ok200(w, action, "")
	case "DeleteAccessKey":
		k, ok := s.find(w, p)
		if !ok {
			return
		}
		for i := range s.keys {
			if &s.keys[i] == k {
				s.keys = append(s.keys[:i], s.keys[i+1:]...)
				break
			}
		}
		ok200(w, action, "")
	case "CreateAccessKey":
		user := p.Get("UserName")
		if !s.users[user] {
			fail(w, noSuchUser(user))
			return
		}
		s.created++
		k := Key{User: user, ID: fmt.Sprintf("AKIANEWKEY%010d", s.created), Status: "Active", Created: time.Date(2030, 1, 1, 0, 0, s.created, 0, time.UTC)}
		s.keys = append(s.keys, k)
		ok200(w, action, fmt.Sprintf("<AccessKey><UserName>%s</UserName><AccessKeyId>%s</AccessKeyId><Status>Active</Status><SecretAccessKey>fake-secret</SecretAccessKey><CreateDate>%s</CreateDate></AccessKey>",
			esc(k.User), k.ID, k.Created.Format(time.RFC3339)))
	case "GetAccessKeyLastUsed":
		id := p.Get("AccessKeyId")
		for _, k := range s.keys {
			if k.ID == id {
				ok200(w, action, fmt.Sprintf("<UserName>%s</UserName><AccessKeyLastUsed><ServiceName>N/A</ServiceName><Region>N/A</Region></AccessKeyLastUsed>", esc(k.User)))
				return
			}
		}
		fail(w, Fault{404, "NoSuchEntity", "The Access Key with id " + id + " cannot be found."})
	case "GenerateCredentialReport":
		state := "COMPLETE"
		if len(s.GenerateStates) > 0 {
			state, s.GenerateStates = s.GenerateStates[0], s.GenerateStates[1:]
		}
		ok200(w, action, "<State>"+state+"</State><Description>No report exists. Starting a new report generation task</Description>")
	case "AssumeRole": // STS, for tests that point every service here
		arn := p.Get("RoleArn")
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>%s</AccessKeyId><SecretAccessKey>fake-secret</SecretAccessKey><SessionToken>fake-token</SessionToken><Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROAFAKE:%s</AssumedRoleId><Arn>%s</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></AssumeRoleResponse>`,
			AssumedKey, esc(p.Get("RoleSessionName")), esc(arn))
	case "GetLoginProfile":
		user := p.Get("UserName")
		if !s.users[user] {
			fail(w, noSuchUser(user))
			return
		}
		created, ok := s.LoginProfiles[user]
		if !ok {
			fail(w, Fault{404, "NoSuchEntity", "Login Profile for User " + user + " cannot be found."})
			return
		}
		ok200(w, action, fmt.Sprintf("<LoginProfile><UserName>%s</UserName><CreateDate>%s</CreateDate><PasswordResetRequired>false</PasswordResetRequired></LoginProfile>", esc(user), created.UTC().Format(time.RFC3339)))
	case "DeleteLoginProfile":
		user := p.Get("UserName")
		if _, ok := s.LoginProfiles[user]; !ok {
			fail(w, Fault{404, "NoSuchEntity", "Login Profile for User " + user + " cannot be found."})
			return
		}
		delete(s.LoginProfiles, user)
		ok200(w, action, "")
	case "CreateLoginProfile":
		user := p.Get("UserName")
		if !s.users[user] {
			fail(w, noSuchUser(user))
			return
		}
		if _, ok := s.LoginProfiles[user]; ok {
			fail(w, Fault{409, "EntityAlreadyExists", "Login Profile for user " + user + " already exists."})
			return
		}
		if s.LoginProfiles == nil {
			s.LoginProfiles = map[string]time.Time{}
		}
		s.LoginProfiles[user] = time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
		ok200(w, action, fmt.Sprintf("<LoginProfile><UserName>%s</UserName><CreateDate>2030-01-01T00:00:00Z</CreateDate><PasswordResetRequired>%s</PasswordResetRequired></LoginProfile>", esc(user), p.Get("PasswordResetRequired")))
	case "ListMFADevices":
		user := p.Get("UserName")
		if !s.users[user] {
			fail(w, noSuchUser(user))
			return
		}
		ok200(w, action, "<MFADevices/><IsTruncated>false</IsTruncated>")
	case "GetAccountSummary":
		var b strings.Builder
		b.WriteString("<SummaryMap>")
		for _, k := range []string{"AccountMFAEnabled", "AccountAccessKeysPresent", "Users"} {
			fmt.Fprintf(&b, "<entry><key>%s</key><value>%d</value></entry>", k, s.Summary[k])
		}
		b.WriteString("</SummaryMap>")
		ok200(w, action, b.String())
	case "GetCallerIdentity": // STS: whose are the credentials?
		account := s.Account
		if account == "" {
			account = "123456789012"
		}
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprintf(w, `<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><GetCallerIdentityResult><Arn>arn:aws:iam::%s:user/operator</Arn><UserId>AIDAOPERATORFAKE0001</UserId><Account>%s</Account></GetCallerIdentityResult><ResponseMetadata><RequestId>fake</RequestId></ResponseMetadata></GetCallerIdentityResponse>`,
			account, account)
	case "GetCredentialReport":
		ok200(w, action, fmt.Sprintf("<Content>%s</Content><ReportFormat>text/csv</ReportFormat><GeneratedTime>%s</GeneratedTime>",
			base64.StdEncoding.EncodeToString(s.Report), s.Generated.UTC().Format(time.RFC3339)))
	default:
		fail(w, Fault{400, "InvalidAction", "Could not find operation " + action})
	}
}

func (s *Server) listAccessKeys(w http.ResponseWriter, p url.Values) {
	user := p.Get("UserName")
	if !s.users[user] {
		fail(w, noSuchUser(user))
		return
	}
	var mine []Key
	for _, k := range s.keys {
		if k.User == user {
			mine = append(mine, k)
		}
	}
	start, _ := strconv.Atoi(p.Get("Marker"))
	size := len(mine)
	if s.PageSize > 0 {
		size = s.PageSize
	}
	if n, err := strconv.Atoi(p.Get("MaxItems")); err == nil && n > 0 && n < size {
		size = n
	}
	end := min(start+size, len(mine))
	var b strings.Builder
	b.WriteString("<AccessKeyMetadata>")
	for _, k := range mine[min(start, end):end] {
		fmt.Fprintf(&b, "<member><UserName>%s</UserName><AccessKeyId>%s</AccessKeyId><Status>%s</Status><CreateDate>%s</CreateDate></member>",
			esc(k.User), k.ID, k.Status, k.Created.UTC().Format(time.RFC3339))
	}
	b.WriteString("</AccessKeyMetadata>")
	if end < len(mine) {
		fmt.Fprintf(&b, "<IsTruncated>true</IsTruncated><Marker>%d</Marker>", end)
	} else {
		b.WriteString("<IsTruncated>false</IsTruncated>")
	}
	ok200(w, "ListAccessKeys", b.String())
}

// find returns the key named by UserName and AccessKeyId, or answers
// NoSuchEntity as IAM does.
func (s *Server) find(w http.ResponseWriter, p url.Values) (*Key, bool) {
	user, id := p.Get("UserName"), p.Get("AccessKeyId")
	for i := range s.keys {
		if s.keys[i].User == user && s.keys[i].ID == id {
			return &s.keys[i], true
		}
	}
	fail(w, Fault{404, "NoSuchEntity", "The Access Key with id " + id + " cannot be found."})
	return nil, false
}

// AssumedKey is the access key id of the credentials AssumeRole hands out.
const AssumedKey = "ASIAASSUMEDROLEFAKE1"

// signer reads the access key id from a SigV4 Authorization header.
func signer(auth string) string {
	_, rest, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return ""
	}
	id, _, _ := strings.Cut(rest, "/")
	return id
}

func noSuchUser(u string) Fault {
	return Fault{404, "NoSuchEntity", "The user with name " + u + " cannot be found."}
}

func ok200(w http.ResponseWriter, action, result string) {
	w.Header().Set("Content-Type", "text/xml")
	inner := ""
	if result != "" {
		inner = "<" + action + "Result>" + result + "</" + action + "Result>"
	}
	fmt.Fprintf(w, `<%sResponse xmlns="%s">%s<ResponseMetadata><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ResponseMetadata></%sResponse>`, action, ns, inner, action)
}

func fail(w http.ResponseWriter, f Fault) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(f.Status)
	kind := "Sender"
	if f.Status >= 500 {
		kind = "Receiver"
	}
	fmt.Fprintf(w, `<ErrorResponse xmlns="%s"><Error><Type>%s</Type><Code>%s</Code><Message>%s</Message></Error><RequestId>7a62c49f-347e-4fc4-9331-6e8eEXAMPLE</RequestId></ErrorResponse>`,
		ns, kind, esc(f.Code), esc(f.Message))
}

func esc(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}
