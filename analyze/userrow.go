package analyze

import (
	"strings"
	"time"
)

// When is a report's time column: a time, or one of the sentinels a report
// writes where there is none.
type When struct {
	sec  int64
	kind whenKind
}

type whenKind uint8

const (
	whenNA            whenKind = iota // N/A: never, or no such credential
	whenTime                          // a time
	whenNoInformation                 // no_information: not used since tracking began, or never
	whenNotSupported                  // not_supported: the root user's password fields
)

// At is the When of a time in Unix seconds.
func At(sec int64) When { return When{sec: sec, kind: whenTime} }

// The sentinels.
var (
	NotApplicable = When{kind: whenNA}
	NoInformation = When{kind: whenNoInformation}
	NotSupported  = When{kind: whenNotSupported}
)

// IsTime reports whether w is a time, not a sentinel.
func (w When) IsTime() bool { return w.kind == whenTime }

// Sec is the time in Unix seconds; 0 for a sentinel.
func (w When) Sec() int64 {
	if w.kind != whenTime {
		return 0
	}
	return w.sec
}

// Time is the time in UTC; the zero time for a sentinel.
func (w When) Time() time.Time {
	if w.kind != whenTime {
		return time.Time{}
	}
	return unix(w.sec)
}

// IsNA reports whether w is N/A.
func (w When) IsNA() bool { return w.kind == whenNA }

// IsNoInformation reports whether w is no_information.
func (w When) IsNoInformation() bool { return w.kind == whenNoInformation }

func (w When) String() string {
	switch w.kind {
	case whenTime:
		return string(AppendStamp(nil, unix(w.sec)))
	case whenNoInformation:
		return noInformation
	case whenNotSupported:
		return notSupported
	}
	return notApplicable
}

// Key is what a report row says of one access key.
type Key struct {
	Active bool
	// Created is access_key_N_last_rotated, when the key was made (or last
	// replaced); a key exists when it is a time.
	Created  When
	LastUsed When
	// Region and Service are the report's text, sentinels and all.
	Region, Service string
}

// Exists reports whether the slot holds a key.
func (k *Key) Exists() bool { return k.Created.IsTime() }

// Used reports whether the key was ever used.
func (k *Key) Used() bool { return k.LastUsed.IsTime() }

// Row is one user's row of a credential report, read and typed: what every
// check works from. Its strings may point into the read buffer: a check
// that keeps one clones it.
type Row struct {
	Line int
	User string
	ARN  string
	// Root is the account's root user's row: not an IAM user.
	Root    bool
	Created When // user_creation_time
	// Password is password_enabled: false for not_supported.
	Password         bool
	PasswordLastUsed When
	// PasswordChanged is password_last_changed: a time, or N/A.
	PasswordChanged When
	MFA             bool
	Keys            [2]Key
	// Repeat marks a row of a user the report has a row of already (a
	// hand-edited file): it is checked too, and findings both rows give
	// are reported once.
	Repeat bool
}

// PasswordLastChanged is when the password was set: a time, or N/A.
func (r *Row) PasswordLastChanged() When { return r.PasswordChanged }

// clone copies the row's strings, which may point into the read buffer.
func (r Row) clone() Row {
	r.User, r.ARN = strings.Clone(r.User), strings.Clone(r.ARN)
	for i := range r.Keys {
		r.Keys[i].Region, r.Keys[i].Service = strings.Clone(r.Keys[i].Region), strings.Clone(r.Keys[i].Service)
	}
	return r
}
