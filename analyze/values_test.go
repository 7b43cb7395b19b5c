package analyze

import (
	"strings"
	"testing"
	"time"
)

func TestParseStamp(t *testing.T) {
	want := time.Date(2023, 5, 24, 7, 4, 17, 0, time.UTC).Unix()
	tests := []struct {
		name string
		in   string
		want int64
		ok   bool
	}{
		{"real report offset", "2023-05-24T07:04:17+00:00", want, true},
		{"Z suffix", "2023-05-24T07:04:17Z", want, true},
		{"lower-case z", "2023-05-24T07:04:17z", want, true},
		{"other offset converted to UTC", "2023-05-24T09:04:17+02:00", want, true},
		{"negative offset", "2023-05-24T02:04:17-05:00", want, true},
		{"fractional seconds dropped", "2023-05-24T07:04:17.123Z", want, true},
		{"leap day", "2024-02-29T00:00:00Z", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC).Unix(), true},
		{"epoch", "1970-01-01T00:00:00+00:00", 0, true},
		{"before epoch", "1969-12-31T23:59:59Z", -1, true},
		{"far future", "2099-02-03T09:50:21+00:00", time.Date(2099, 2, 3, 9, 50, 21, 0, time.UTC).Unix(), true},
		{"no zone", "2023-05-24T07:04:17", 0, false},
		{"spreadsheet re-save", "5/24/2023 7:04", 0, false},
		{"spreadsheet ISO-ish", "2023-05-24 07:04", 0, false},
		{"date only", "2023-05-24", 0, false},
		{"not a leap year", "2023-02-29T00:00:00Z", 0, false},
		{"month 13", "2023-13-01T00:00:00Z", 0, false},
		{"hour 24", "2023-05-24T24:00:00Z", 0, false},
		{"sentinel", "N/A", 0, false},
		{"empty", "", 0, false},
		{"empty fraction", "2023-05-24T07:04:17.Z", 0, false},
		{"bad offset", "2023-05-24T07:04:17+0000", 0, false},
		{"farthest east offset", "2023-05-24T21:04:17+14:00", want, true},
		{"farthest west offset", "2023-05-23T19:04:17-12:00", want, true},
		{"offset beyond +14:00", "2023-05-24T21:05:17+14:01", 0, false},
		{"offset of 23 hours", "2023-05-25T06:04:17+23:00", 0, false},
		{"offset beyond -14:00", "2023-05-23T17:04:17-14:30", 0, false},
		{"trailing junk", "2023-05-24T07:04:17Zx", 0, false},
		{"sign in year", "+023-05-24T07:04:17Z", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseStamp(tt.in)
			if (err == nil) != tt.ok {
				t.Fatalf("parseStamp(%q) error = %v, want ok = %v", tt.in, err, tt.ok)
			}
			if tt.ok && got != tt.want {
				t.Errorf("parseStamp(%q) = %v, want %v", tt.in, unix(got), unix(tt.want))
			}
			if tt.ok {
				// The hand-written parser must agree with the standard library.
				ref, err := time.Parse(time.RFC3339, tt.in)
				if err == nil && ref.Unix() != got {
					t.Errorf("parseStamp(%q) = %d, time.Parse says %d", tt.in, got, ref.Unix())
				}
			}
		})
	}
}

func FuzzParseStamp(f *testing.F) {
	for _, s := range []string{"2023-05-24T07:04:17+00:00", "2023-05-24T07:04:17Z", "2024-02-29T23:59:59-11:30", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59+14:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseStamp(s)
		ref, rerr := time.Parse(time.RFC3339, s)
		if err == nil && rerr == nil && got != ref.Unix() {
			t.Errorf("parseStamp(%q) = %d, time.Parse = %d", s, got, ref.Unix())
		}
		if err == nil && rerr != nil {
			// Accepted forms that RFC 3339 parsing rejects: a lower-case z or
			// a space for the T. Anything else is a bug.
			if len(s) > 10 && s[10] == ' ' || s[len(s)-1] == 'z' || s[10] == 't' {
				return
			}
			t.Errorf("parseStamp(%q) accepted what time.Parse rejects: %v", s, rerr)
		}
	})
}

func TestParseBool(t *testing.T) {
	for in, want := range map[string]bool{"true": true, "TRUE": true, "True": true, "false": false, "FALSE": false} {
		got, err := parseBool(in)
		if err != nil || got != want {
			t.Errorf("parseBool(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "yes", "1", "N/A", "not_supported", " true"} {
		if _, err := parseBool(in); err == nil {
			t.Errorf("parseBool(%q) succeeded, want an error", in)
		}
	}
}

func TestValidUserName(t *testing.T) {
	legal := []string{"a", "alice", "-x", "--help", "=1+2", "+ops", "@team", "a,b", "a.b_c-d", "Z", "0", "=", ",", "-",
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+=", // 64
	}
	for _, n := range legal {
		if !ValidUserName(n) {
			t.Errorf("ValidUserName(%q) = false, want true", n)
		}
	}
	illegal := []string{"", "a b", "a/b", "a:b", "a'b", `a"b`, "a$b", "a;b", "a`b", "a\nb", "ä", "<root_account>", "*",
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+=,", // 65
	}
	for _, n := range illegal {
		if ValidUserName(n) {
			t.Errorf("ValidUserName(%q) = true, want false", n)
		}
	}
}

func TestParseARN(t *testing.T) {
	tests := []struct {
		in        string
		ok        bool
		partition string
		account   string
		resource  string
	}{
		{"arn:aws:iam::123456789012:user/alice", true, "aws", "123456789012", "user/alice"},
		{"arn:aws-cn:iam::123456789012:user/a/b/c", true, "aws-cn", "123456789012", "user/a/b/c"},
		{"arn:aws-us-gov:iam::123456789012:root", true, "aws-us-gov", "123456789012", "root"},
		{"arn:aws:iam::0123456789:user/IAM-user", true, "aws", "0123456789", "user/IAM-user"},
		{"arn:aws:iam::123456789012:user/a,b", true, "aws", "123456789012", "user/a,b"},
		{"arn:aws:s3:::bucket", false, "", "", ""},
		{"arn:gcp:iam::123456789012:user/a", false, "", "", ""},
		{"arn:aws:iam::12345678901x:user/a", false, "", "", ""},
		{"arn:aws:iam:::user/a", false, "", "", ""},
		{"arn:aws:iam::123456789012:", false, "", "", ""},
		{"user/alice", false, "", "", ""},
		{"", false, "", "", ""},
	}
	for _, tt := range tests {
		got, ok := parseARN(tt.in)
		if ok != tt.ok || got.partition != tt.partition || got.account != tt.account || got.resource != tt.resource {
			t.Errorf("parseARN(%q) = %+v, %v; want {%s %s %s}, %v", tt.in, got, ok, tt.partition, tt.account, tt.resource, tt.ok)
		}
	}
}

func TestHumanSeconds(t *testing.T) {
	for in, want := range map[int64]string{0: "0 s", 4: "4 s", 59: "59 s", 60: "1 min", 61: "1 min 1 s", 2280: "38 min", 3599: "59 min 59 s",
		3600: "1 h", 3660: "1 h 1 min", 86399: "23 h 59 min", 86400: "1 d", 90000: "1 d 1 h"} {
		if got := HumanSeconds(in); got != want {
			t.Errorf("HumanSeconds(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestDaysFromCivil(t *testing.T) {
	for y := 1900; y <= 2300; y++ {
		for m := 1; m <= 12; m++ {
			for _, d := range []int{1, 15, daysIn(m, y)} {
				want := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC).Unix() / 86400
				if got := daysFromCivil(y, m, d); got != want {
					t.Fatalf("daysFromCivil(%d, %d, %d) = %d, want %d", y, m, d, got, want)
				}
			}
		}
	}
}

func TestAppendStamp(t *testing.T) {
	for _, tt := range []time.Time{time.Unix(0, 0), time.Date(2025, 1, 9, 11, 20, 9, 0, time.UTC), time.Date(2099, 12, 31, 23, 59, 59, 0, time.FixedZone("x", 3600)), time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(12345, 1, 1, 0, 0, 0, 0, time.UTC)} {
		if got, want := string(AppendStamp(nil, tt)), tt.UTC().Format("2006-01-02T15:04:05Z"); got != want {
			t.Errorf("AppendStamp(%v) = %s, want %s", tt, got, want)
		}
	}
}

func TestValidRegionAndService(t *testing.T) {
	for _, r := range []string{"N/A", "us-east-1", "cn-north-1", "us-gov-west-1", "eu-central-2", "ap-southeast-2", "us-isob-east-1", "eusc-de-east-1", "il-central-1", "ap-southeast-10"} {
		if !validRegion(r) {
			t.Errorf("validRegion(%q) = false, want true", r)
		}
	}
	for _, r := range []string{"", "n/a", "not_supported", "us-east", "us-east-", "US-EAST-1", "us-east-1a", "us east 1", "us-east-123", "useast-1-x", "u-east-1", "abcde-east-1",
		"us--east-1", "-us-east-1", "us-east-1\x1b[2J", "us-east-1\n", strings.Repeat("a", 40) + "-b-1"} {
		if validRegion(r) {
			t.Errorf("validRegion(%q) = true, want false", r)
		}
	}
	for _, s := range []string{"N/A", "s3", "ec2", "execute-api", "sts", "cloudwatch", "s3-object-lambda", "a.b", "0x"} {
		if !validService(s) {
			t.Errorf("validService(%q) = false, want true", s)
		}
	}
	for _, s := range []string{"", "n/a", "not_supported", "S3", "s3 ", "-s3", ".s3", "s3/x", "s3\x1b]8;;http://x\x07", "=cmd|' /C calc'!A0", strings.Repeat("a", 65)} {
		if validService(s) {
			t.Errorf("validService(%q) = true, want false", s)
		}
	}
}
