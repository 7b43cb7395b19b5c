package analyze

import (
	"bytes"
	"strings"
)

// KeyHolders reads a credential report as IAM returned it and names its
// account and partition, and the users that have at least one access key:
// those whose keys an inventory must list. It reads rows as Analyze does,
// unquoted commas in names included; rows it cannot read are returned as
// problems, and the rest still count.
func KeyHolders(name string, report []byte) (account, partition string, users []string, rowProblems []Problem, err error) {
	rep := &Report{Source: name}
	pr := &problems{source: name}
	p := newReportParser(rep, &Options{}, pr)
	for r := range p.rows(bytes.NewReader(bytes.TrimPrefix(report, []byte("\uFEFF")))) {
		if !r.Root && !r.Repeat && (r.Keys[0].Exists() || r.Keys[1].Exists()) {
			users = append(users, strings.Clone(r.User))
		}
	}
	if p.err != nil {
		return "", "", nil, nil, p.err
	}
	pr.finish()
	if rep.AccountID == "" {
		return "", "", nil, pr.errors, &Problem{Source: name, Message: "the report names no account: it has no rows"}
	}
	return rep.AccountID, rep.Partition, users, pr.errors, nil
}
