// Package batch generates a deterministic batch of credential reports for
// measuring credreview at scale, with the generator's own answer to check
// the findings against. Accounts are realistic: people with console
// passwords and keys, service users with keys only, setup-time keys used and
// unused, inactive keys, paths, and names with every legal punctuation
// character, commas included (written unquoted, as AWS writes them).
//
// It is internal because only the benchmarks and tests use it.
package batch

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Header is the 22 columns AWS writes.
const Header = "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active," +
	"access_key_1_active,access_key_1_last_rotated,access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service," +
	"access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,access_key_2_last_used_region,access_key_2_last_used_service," +
	"cert_1_active,cert_1_last_rotated,cert_2_active,cert_2_last_rotated"

// Finding is one setup-time key the generator made: what credreview must
// report.
type Finding struct {
	Account  string
	User     string
	Slot     int
	Severity string // high, medium or low
}

func (f Finding) String() string {
	return fmt.Sprintf("%s %s %d %s", f.Account, f.User, f.Slot, f.Severity)
}

// Batch describes what Generate wrote.
type Batch struct {
	Files    []string
	Bytes    int64
	Rows     int
	Findings []Finding // sorted by String
}

// Generated is when every report of the batch was generated.
var Generated = time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)

// Window is the setup window the answer assumes.
const Window = time.Hour

// Generate writes accounts reports of users users each into dir, as
// NNN-ACCOUNT.csv, the same bytes for the same arguments. One key in 20 was
// made during its user's setup: 2.5 % of users hold a setup-time key.
func Generate(dir string, accounts, users int) (*Batch, error) {
	return GenerateHeavy(dir, accounts, users, 5)
}

// GenerateHeavy is Generate with setupPercent of the keys made during their
// user's setup, as in accounts set up with the old console wizard: at 28,
// 14 % of users hold a setup-time key. The other choices are the same as
// Generate's, so at 5 it writes the same bytes.
func GenerateHeavy(dir string, accounts, users, setupPercent int) (*Batch, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	b := &Batch{}
	for a := range accounts {
		account := fmt.Sprintf("%012d", 100000000000+uint64(a)*7919)
		path := filepath.Join(dir, fmt.Sprintf("%03d-%s.csv", a, account))
		n, err := writeAccount(path, account, users, uint64(a), setupPercent, b)
		if err != nil {
			return nil, err
		}
		b.Files = append(b.Files, path)
		b.Bytes += n
		b.Rows += users + 1
	}
	sort.Slice(b.Findings, func(i, j int) bool { return b.Findings[i].String() < b.Findings[j].String() })
	return b, nil
}

var (
	first    = []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "xena", "yusuf", "zoe"}
	last     = []string{"smith", "jones", "taylor", "brown", "williams", "wilson", "johnson", "davies", "patel", "wright", "nguyen", "garcia", "kowalski", "okafor", "tanaka"}
	services = []string{"s3", "ec2", "sts", "iam", "lambda", "dynamodb", "sqs", "cloudformation", "ecr", "logs"}
	regions  = []string{"us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"}
	odd      = []string{"+ops", "=1+2", "-x", "@team", "smith,john", "a,b,c", "--help", "o.brien_", "x@y.z"}
)

func writeAccount(path, account string, users int, seed uint64, setupPercent int, b *Batch) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	gen := Generated.Unix()
	stamp := func(t int64) string { return time.Unix(t, 0).UTC().Format("2006-01-02T15:04:05+00:00") }
	minute := func(t int64) int64 { return t - t%60 } // last use is recorded to the minute

	fmt.Fprintf(w, "%s\n<root_account>,arn:aws:iam::%s:root,2015-03-01T10:00:00+00:00,not_supported,%s,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A",
		Header, account, stamp(gen-86400*3))
	seen := map[string]bool{}
	type line struct{ name, text string }
	var lines []line
	for i := range users {
		var name string
		switch {
		case i%500 == 7: // an odd but legal name now and then
			name = odd[(i/500)%len(odd)] + fmt.Sprint(i)
		case r.IntN(5) == 0:
			name = fmt.Sprintf("svc-%s-%d", services[r.IntN(len(services))], i)
		default:
			name = fmt.Sprintf("%s.%s%d", first[r.IntN(len(first))], last[r.IntN(len(last))], i)
		}
		if seen[strings.ToLower(name)] {
			name += "x"
		}
		seen[strings.ToLower(name)] = true
		path := "/"
		if r.IntN(20) == 0 {
			path = "/division/team/"
		}
		created := gen - 86400*int64(30+r.IntN(3000)) - int64(r.IntN(86400))
		service := strings.HasPrefix(name, "svc-")
		console := !service && r.IntN(10) < 8
		pwUsed, pwChanged, mfa := "N/A", "N/A", "false"
		if console {
			pwChanged = stamp(created + int64(r.IntN(600)))
			switch r.IntN(10) {
			case 0:
				pwUsed = "no_information"
			case 1:
			default:
				pwUsed = stamp(gen - int64(r.IntN(86400*60)))
			}
			if r.IntN(3) > 0 {
				mfa = "true"
			}
		}
		var cols [2][5]string
		for slot := range 2 {
			cols[slot] = [5]string{"false", "N/A", "N/A", "N/A", "N/A"}
			p := 6 // out of 10: key 1 exists
			if slot == 1 {
				p = 2
			}
			if service {
				p = 9 - slot*5
			}
			if r.IntN(10) >= p {
				continue
			}
			var keyCreated int64
			setup := r.IntN(100) < setupPercent // created during setup
			if setup {
				keyCreated = created + int64(r.IntN(int(Window.Seconds())+1))
			} else {
				keyCreated = created + Window.Milliseconds()/1000 + 1 + int64(r.IntN(86400*400))
				if keyCreated > gen {
					keyCreated = gen - 3600
				}
			}
			active := r.IntN(10) < 8
			used := r.IntN(10) < 6
			cols[slot][0] = fmt.Sprint(active)
			cols[slot][1] = stamp(keyCreated)
			if used {
				usedAt := minute(keyCreated + int64(r.IntN(int(gen-keyCreated)+1)))
				if usedAt < keyCreated {
					usedAt += 60
				}
				cols[slot][2] = stamp(usedAt)
				cols[slot][3] = regions[r.IntN(len(regions))]
				cols[slot][4] = services[r.IntN(len(services))]
			}
			if console && keyCreated-created >= 0 && keyCreated-created <= int64(Window.Seconds()) {
				sev := "high"
				switch {
				case !active:
					sev = "low"
				case used:
					sev = "medium"
				}
				b.Findings = append(b.Findings, Finding{account, name, slot + 1, sev})
			}
		}
		lines = append(lines, line{name, fmt.Sprintf("\n%s,arn:aws:iam::%s:user%s%s,%s,%t,%s,%s,N/A,%s,%s,%s,false,N/A,false,N/A",
			name, account, path, name, stamp(created), console, pwUsed, pwChanged, mfa,
			strings.Join(cols[0][:], ","), strings.Join(cols[1][:], ","))})
	}
	// AWS sorts the users' rows ignoring case.
	sort.Slice(lines, func(i, j int) bool { return strings.ToLower(lines[i].name) < strings.ToLower(lines[j].name) })
	for _, l := range lines {
		w.WriteString(l.text)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return 0, err
	}
	return fi.Size(), f.Close()
}

// GenerateAccounts writes accounts reports of one console user each, whose
// one key was made during setup: a batch of many accounts and one finding
// each, as an organisation's export is, to measure that the outputs grow
// linearly with accounts. Files are NNNNNN-ACCOUNT.csv.
func GenerateAccounts(dir string, accounts int) (*Batch, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	b := &Batch{}
	for a := range accounts {
		account := fmt.Sprintf("%012d", 200000000000+uint64(a)*7919)
		user := fmt.Sprintf("user%d", a)
		text := fmt.Sprintf("%s\n<root_account>,arn:aws:iam::%s:root,2015-03-01T10:00:00+00:00,not_supported,2026-11-10T10:00:00+00:00,not_supported,not_supported,true,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n"+
			"%s,arn:aws:iam::%s:user/%s,2025-01-01T00:00:00+00:00,true,2026-11-19T00:00:00+00:00,2025-01-01T00:00:00+00:00,N/A,false,true,2025-01-01T00:00:05+00:00,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A\n",
			Header, account, user, account, user)
		path := filepath.Join(dir, fmt.Sprintf("%06d-%s.csv", a, account))
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			return nil, err
		}
		b.Files = append(b.Files, path)
		b.Bytes += int64(len(text))
		b.Rows += 2
		b.Findings = append(b.Findings, Finding{account, user, 1, "high"})
	}
	sort.Slice(b.Findings, func(i, j int) bool { return b.Findings[i].String() < b.Findings[j].String() })
	return b, nil
}
