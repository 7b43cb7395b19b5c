package analyze

import (
	"reflect"
	"testing"
	"time"
)

// TestReviewIDCoversEveryOption pins that every field of Options either
// changes the review id when it changes, or is named in identityIgnores
// with its reason: a new option cannot be left out of the id unnoticed.
func TestReviewIDCoversEveryOption(t *testing.T) {
	base := func() *Result {
		return &Result{
			Options: Options{SetupWindow: time.Hour},
			Reports: []Report{{Source: "a.csv", SHA256: "aa"}},
		}
	}
	change := map[string]func(o *Options){
		"SetupWindow":  func(o *Options) { o.SetupWindow = 10 * time.Second },
		"AsOf":         func(o *Options) { o.AsOf = time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC) },
		"Checks":       func(o *Options) { o.Checks = []string{CheckSetupKey, "key-rotation"} },
		"RootUseDays":  func(o *Options) { o.RootUseDays = 30 },
		"UnusedDays":   func(o *Options) { o.UnusedDays = 90 },
		"RotationDays": func(o *Options) { o.RotationDays = 30 },
	}
	want := ReviewID("credreview test", base())
	typ := reflect.TypeFor[Options]()
	for i := range typ.NumField() {
		name := typ.Field(i).Name
		if why, ok := identityIgnores[name]; ok {
			if why == "" {
				t.Errorf("Options.%s is ignored without a reason", name)
			}
			continue
		}
		f, ok := change[name]
		if !ok {
			t.Errorf("Options.%s is neither in the review id (Options.identity and this test) nor in identityIgnores", name)
			continue
		}
		r := base()
		f(&r.Options)
		if got := ReviewID("credreview test", r); got == want {
			t.Errorf("changing Options.%s left the review id %s", name, got)
		}
	}
	// An option given as its default is the review left without it.
	r := base()
	r.Options.Checks = []string{CheckSetupKey}
	r.Options.RootUseDays, r.Options.UnusedDays, r.Options.RotationDays = DefaultRootUseDays, DefaultUnusedDays, DefaultRotationDays
	if got := ReviewID("credreview test", r); got != want {
		t.Errorf("the defaults given: %s, left out: %s", got, want)
	}
}

// TestReviewIDCoversTheInputs pins that the id changes with an input's
// content, an exceptions file's content, an input error and the tool, and
// not with an exceptions file's path.
func TestReviewIDCoversTheInputs(t *testing.T) {
	base := func() *Result {
		return &Result{
			Options:        Options{SetupWindow: time.Hour},
			Reports:        []Report{{Source: "a.csv", SHA256: "aa"}},
			Inventories:    []Inventory{{Source: "k.json", SHA256: "kk"}},
			ExceptionFiles: []ExceptionFile{{Source: "x.yaml", SHA256: "xx"}},
		}
	}
	want := ReviewID("credreview 1", base())
	for name, f := range map[string]func(r *Result){
		"report content":     func(r *Result) { r.Reports[0].SHA256 = "ab" },
		"superseded report":  func(r *Result) { r.Superseded = []Report{{Source: "b.csv", SHA256: "bb"}} },
		"inventory content":  func(r *Result) { r.Inventories[0].SHA256 = "kl" },
		"exceptions content": func(r *Result) { r.ExceptionFiles[0].SHA256 = "xy" },
		"an input error":     func(r *Result) { r.Errors = []Problem{{Source: "c.csv", Message: "broken"}} },
	} {
		r := base()
		f(r)
		if got := ReviewID("credreview 1", r); got == want {
			t.Errorf("%s: the id stayed %s", name, got)
		}
	}
	if got := ReviewID("credreview 2", base()); got == want {
		t.Errorf("another version: the id stayed %s", got)
	}
	r := base()
	r.ExceptionFiles[0].Source = "elsewhere/x.yaml"
	if got := ReviewID("credreview 1", r); got != want {
		t.Errorf("an exceptions file moved: id %s, want %s", got, want)
	}
}
