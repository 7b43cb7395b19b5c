package analyze

import "sort"

// Split is the result of each account alone (sharing r's findings), in the order of the accounts'
// ids: its reports, superseded reports, inventories, findings and the
// problems of those inputs, as if the account's inputs had been analysed by
// themselves, for a package per account.
//
// Two kinds of input belong to no one account, and go to every account's
// result: a key inventory whose name holds no account id (it may name the
// keys of any account), and the problems of an input no account's report
// or inventory is (a file that could not be read as a report at all may have
// been any account's, so no account's package may look clean without it;
// so do those of an inventory named for an account no report covers).
// Exceptions files apply to all, and the evidence checks are every
// package's.
func (r *Result) Split() []*Result {
	byAccount := map[string]*Result{}
	var order []string
	get := func(account string) *Result {
		if a, ok := byAccount[account]; ok {
			return a
		}
		a := &Result{Options: r.Options, ExceptionFiles: r.ExceptionFiles, Evidence: r.Evidence}
		byAccount[account] = a
		order = append(order, account)
		return a
	}
	owner := map[string]string{} // input source → account
	for _, rep := range r.Reports {
		a := get(rep.AccountID)
		a.Reports = append(a.Reports, rep)
		owner[rep.Source] = rep.AccountID
	}
	for _, rep := range r.Superseded {
		a := get(rep.AccountID)
		a.Superseded = append(a.Superseded, rep)
		owner[rep.Source] = rep.AccountID
	}
	// Findings are sorted by account: each account's are one run of them.
	for i := 0; i < len(r.Findings); {
		j := i + 1
		for j < len(r.Findings) && r.Findings[j].AccountID == r.Findings[i].AccountID {
			j++
		}
		a := get(r.Findings[i].AccountID)
		if a.Findings == nil {
			a.Findings = r.Findings[i:j:j] // shared, not copied: a batch's findings are many
		} else {
			a.Findings = append(a.Findings, r.Findings[i:j]...)
		}
		i = j
	}
	sort.Strings(order)
	var unbound []Inventory
	for _, inv := range r.Inventories {
		if inv.AccountID == "" {
			unbound = append(unbound, inv)
			continue
		}
		if a, ok := byAccount[inv.AccountID]; ok {
			a.Inventories = append(a.Inventories, inv)
			owner[inv.Source] = inv.AccountID
		} // else an inventory of no account here: its problems go to every account
	}
	for _, account := range order {
		a := byAccount[account]
		a.Inventories = append(a.Inventories, unbound...)
		if len(unbound) > 0 {
			a.Inventories = inputOrder(r.Inventories, a.Inventories)
		}
	}
	for _, lists := range []struct {
		from []Problem
		to   func(*Result) *[]Problem
	}{{r.Warnings, func(a *Result) *[]Problem { return &a.Warnings }}, {r.Errors, func(a *Result) *[]Problem { return &a.Errors }}} {
		for _, p := range lists.from {
			if account, ok := owner[p.Source]; ok {
				if a, ok := byAccount[account]; ok {
					*lists.to(a) = append(*lists.to(a), p)
				}
				continue
			}
			for _, account := range order {
				*lists.to(byAccount[account]) = append(*lists.to(byAccount[account]), p)
			}
		}
	}
	out := make([]*Result, len(order))
	for i, account := range order {
		out[i] = byAccount[account]
	}
	return out
}

// inputOrder puts some of all's inventories back in all's order.
func inputOrder(all, some []Inventory) []Inventory {
	in := map[string]bool{}
	for _, inv := range some {
		in[inv.Source] = true
	}
	var out []Inventory
	for _, inv := range all {
		if in[inv.Source] {
			out = append(out, inv)
		}
	}
	return out
}

// Account is the account a result of Split is of.
func (r *Result) Account() string {
	switch {
	case len(r.Reports) > 0:
		return r.Reports[0].AccountID
	case len(r.Superseded) > 0:
		return r.Superseded[0].AccountID
	case len(r.Findings) > 0:
		return r.Findings[0].AccountID
	}
	return ""
}
