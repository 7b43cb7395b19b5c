package analyze

// checker runs the checks the options name over the rows of one report, as
// the parser hands them out: those that measure ages once the report's
// as-of time is known, on the rows kept for them (cloned), the others at
// once.
type checker struct {
	checks   []*Check
	env      CheckEnv
	rep      *Report
	defers   bool  // some check measures ages: rows wait for the as-of time
	deferred []Row // those rows, kept until then
	repeat   bool  // a user's row repeated: findings may repeat too
	findings []Finding
}

// newChecker readies the checks opts names (the default check if none).
func newChecker(rep *Report, opts *Options) *checker {
	c := &checker{rep: rep, env: CheckEnv{Opts: opts, Source: rep.Source}}
	ids := opts.Checks
	if len(ids) == 0 {
		ids = []string{DefaultCheck().ID}
	}
	for _, id := range ids {
		if ch := CheckByID(id); ch != nil {
			c.checks = append(c.checks, ch)
			c.defers = c.defers || ch.NeedsAsOf
		}
	}
	return c
}

// add checks a row: now, or, for a check that measures ages, once the
// report's as-of time is known (see finish).
func (c *checker) add(r *Row) {
	if c.env.AccountID == "" {
		// Known by the first row handed out: the parser sets it first.
		c.env.AccountID, c.env.Partition = c.rep.AccountID, c.rep.Partition
	}
	c.repeat = c.repeat || r.Repeat
	for _, ch := range c.checks {
		if !ch.NeedsAsOf {
			c.findings = ch.Run(r, &c.env, c.findings)
		}
	}
	if c.defers {
		c.deferred = append(c.deferred, r.clone())
	}
}

// finish runs the checks that measure ages, with the report's as-of time,
// and gives the findings: a key that a user's repeated rows both have is
// reported once, at the higher severity.
func (c *checker) finish() []Finding {
	env := c.env
	env.AsOf = c.rep.AsOf.Unix()
	for i := range c.deferred {
		for _, ch := range c.checks {
			if ch.NeedsAsOf {
				c.findings = ch.Run(&c.deferred[i], &env, c.findings)
			}
		}
	}
	c.deferred = nil
	if c.repeat {
		c.findings = dedupe(c.findings)
	}
	return c.findings
}
