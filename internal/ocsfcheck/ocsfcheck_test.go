package ocsfcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// defsDir is /work/shared/ocsf-1.5.0 seen from this package: the OCSF 1.5.0 definitions
// kept beside the repository, not in it.
const defsDir = "../../../shared/ocsf-1.5.0"

var (
	loadOnce   sync.Once
	loaded     *Schema
	loadErr    error
	defsAbsent bool
)

// schema loads the definitions once. Without them the test is skipped, unless
// CREDREVIEW_REQUIRE_TOOLS is set (as in CI), where a missing dependency must fail.
func schema(t *testing.T) *Schema {
	t.Helper()
	loadOnce.Do(func() {
		if _, err := os.Stat(filepath.Join(defsDir, "dictionary.json")); err != nil {
			defsAbsent = true
			loadErr = err
			return
		}
		loaded, loadErr = Load(defsDir)
		if loadErr == nil {
			// The 1.5.0 tag's version.json already reads 1.6.0-dev (see the README there).
			loaded.Version = "1.5.0"
		}
	})
	if defsAbsent {
		if os.Getenv("CREDREVIEW_REQUIRE_TOOLS") != "" {
			t.Fatalf("OCSF definitions missing and CREDREVIEW_REQUIRE_TOOLS is set: %v", loadErr)
		}
		t.Skipf("OCSF definitions not found: %v", loadErr)
	}
	if loadErr != nil {
		t.Fatal(loadErr)
	}
	return loaded
}

// readEvent decodes a testdata file afresh, so each test may modify its copy.
func readEvent(t *testing.T, name string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return m
}

func texts(errs []error) []string {
	out := make([]string, len(errs))
	for i, e := range errs {
		out[i] = e.Error()
	}
	return out
}

func TestValidExamples(t *testing.T) {
	s := schema(t)
	for _, tc := range []struct {
		file string
		// recommended attributes the example leaves out on purpose
		wantWarnings []string
	}{
		{
			file: "detection_finding_prowler_shape.json",
			wantWarnings: []string{
				"cloud.account.name: recommended attribute missing",
				"device: recommended attribute missing",
				"evidences: recommended attribute missing",
				"metadata.log_name: recommended attribute missing",
				"metadata.log_provider: recommended attribute missing",
				"metadata.original_time: recommended attribute missing",
				"observables: recommended attribute missing",
				"resources[0].group.uid: recommended attribute missing",
				"resources[0].hostname: recommended attribute missing",
				"resources[0].ip: recommended attribute missing",
				"resources[0].owner: recommended attribute missing",
			},
		},
		{file: "detection_finding_minimal.json"},
	} {
		t.Run(tc.file, func(t *testing.T) {
			res := s.Check(readEvent(t, tc.file))
			if len(res.Errors) != 0 {
				t.Errorf("errors for a valid event:\n%s", strings.Join(texts(res.Errors), "\n"))
			}
			if tc.wantWarnings == nil {
				return
			}
			got := strings.Join(texts(res.Warnings), "\n")
			if want := strings.Join(tc.wantWarnings, "\n"); got != want {
				t.Errorf("warnings:\n%s\nwant:\n%s", got, want)
			}
		})
	}
}

// TestValidWithUseNumber: events decoded with UseNumber carry json.Number, not float64.
func TestValidWithUseNumber(t *testing.T) {
	s := schema(t)
	b, err := os.ReadFile(filepath.Join("testdata", "detection_finding_prowler_shape.json"))
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	if errs := s.Validate(m); len(errs) != 0 {
		t.Errorf("errors:\n%s", strings.Join(texts(errs), "\n"))
	}
}

// at walks dotted path p ("finding_info.uid", "resources.0.uid") to the map holding
// its last element and returns that map and the last key.
func at(t *testing.T, m map[string]any, p string) (map[string]any, string) {
	t.Helper()
	parts := strings.Split(p, ".")
	var cur any = m
	for _, k := range parts[:len(parts)-1] {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[k]
		case []any:
			i := 0
			for _, r := range k {
				i = i*10 + int(r-'0')
			}
			cur = c[i]
		}
	}
	parent, ok := cur.(map[string]any)
	if !ok {
		t.Fatalf("%s: parent is %T", p, cur)
	}
	return parent, parts[len(parts)-1]
}

func set(p string, v any) func(*testing.T, map[string]any) {
	return func(t *testing.T, m map[string]any) {
		parent, k := at(t, m, p)
		parent[k] = v
	}
}

func del(p string) func(*testing.T, map[string]any) {
	return func(t *testing.T, m map[string]any) {
		parent, k := at(t, m, p)
		delete(parent, k)
	}
}

func TestBrokenVariants(t *testing.T) {
	s := schema(t)
	for _, tc := range []struct {
		name   string
		change func(*testing.T, map[string]any)
		want   string // the complete text of one of the errors
	}{
		// required attributes, at each level
		{"no finding_info", del("finding_info"), "finding_info: required attribute missing"},
		{"no finding_info.uid", del("finding_info.uid"), "finding_info.uid: required attribute missing"},
		{"null finding_info.uid", set("finding_info.uid", nil), "finding_info.uid: required attribute missing (null)"},
		{"no time", del("time"), "time: required attribute missing"},
		{"no severity_id", del("severity_id"), "severity_id: required attribute missing"},
		{"no metadata.version", del("metadata.version"), "metadata.version: required attribute missing"},
		{"no metadata.product", del("metadata.product"), "metadata.product: required attribute missing"},
		{"no cloud with the cloud profile", del("cloud"), "cloud: required attribute missing"},
		{"no cloud.provider", del("cloud.provider"), "cloud.provider: required attribute missing"},
		{"no remediation.desc", del("remediation.desc"), "remediation.desc: required attribute missing"},
		{"no class_uid", del("class_uid"), "class_uid: required attribute missing; cannot tell the event's class"},

		// unknown attributes
		{"unknown top-level", set("foo", "bar"), "foo: unknown attribute: not defined in class detection_finding (class_uid 2004)"},
		{"unknown in finding_info", set("finding_info.severity", "High"), "finding_info.severity: unknown attribute: not defined in object finding_info"},
		{"unknown in a resource", set("resources.0.arn", "x"), "resources[0].arn: unknown attribute: not defined in object resource_details"},
		{"compliance is not a detection_finding attribute", set("compliance", map[string]any{"standards": []any{"CIS"}}),
			"compliance: unknown attribute: not defined in class detection_finding (class_uid 2004)"},
		{"cloud without the cloud profile", set("metadata.profiles", []any{"datetime"}),
			`cloud: attribute of profile "cloud", which metadata.profiles does not list`},
		{"resources[].region without the cloud profile", set("metadata.profiles", []any{"datetime"}),
			`resources[0].region: attribute of profile "cloud", which metadata.profiles does not list`},
		{"time_dt without the datetime profile", set("metadata.profiles", []any{"cloud"}),
			`time_dt: attribute of profile "datetime", which metadata.profiles does not list`},
		{"unknown profile", set("metadata.profiles", []any{"cloud", "datetime", "aws"}), `metadata.profiles[2]: unknown profile "aws"`},

		// types
		{"time as a string", set("time", "2025-12-02T10:40:00Z"), "time: wrong type: want timestamp_t (long_t), got string"},
		{"time as a fraction", set("time", 1764672000000.5), "time: wrong type: want timestamp_t (long_t), got number"},
		{"severity_id as a string", set("severity_id", "3"), "severity_id: wrong type: want integer_t, got string"},
		{"finding_info as a string", set("finding_info", "x"), "finding_info: wrong type: want object finding_info, got string"},
		{"resources not an array", set("resources", map[string]any{"uid": "x"}), "resources: wrong type: want array of resource_details, got object"},
		{"types not an array", set("finding_info.types", "CIS"), "finding_info.types: wrong type: want array of string_t, got string"},
		{"types element", set("finding_info.types", []any{"CIS", 1.0}), "finding_info.types[1]: wrong type: want string_t, got integer"},
		{"is_alert as a string", set("is_alert", "true"), "is_alert: wrong type: want boolean_t, got string"},
		{"bad time_dt", set("time_dt", "02/12/2025 10:40"), `time_dt: "02/12/2025 10:40" does not match the datetime_t pattern`},
		{"resource ip not an address", set("resources.0.ip", "999.1.1.1"), `resources[0].ip: "999.1.1.1" does not match the ip_t pattern`},
		{"resource uid a number", set("resources.0.uid", 12.0), "resources[0].uid: wrong type: want resource_uid_t (string_t), got integer"},

		// enums and their captions
		{"bad severity_id", set("severity_id", 7.0), "severity_id: 7 is not a defined value (0 Unknown, 1 Informational, 2 Low, 3 Medium, 4 High, 5 Critical, 6 Fatal, 99 Other)"},
		{"bad status_id", set("status_id", 6.0), "status_id: 6 is not a defined value (0 Unknown, 1 New, 2 In Progress, 3 Suppressed, 4 Resolved, 5 Archived, 99 Other)"},
		{"bad activity_id", set("activity_id", 4.0), "activity_id: 4 is not a defined value (0 Unknown, 1 Create, 2 Update, 3 Close, 99 Other)"},
		{"severity caption", set("severity", "HIGH"), `severity: "HIGH" does not match severity_id 3: want "Medium"`},
		{"status caption", set("status", "FAIL"), `status: "FAIL" does not match status_id 1: want "New"`},
		{"account type caption", set("cloud.account.type", "AWS"), `cloud.account.type: "AWS" does not match type_id 10: want "AWS Account"`},
		{"class_name caption", set("class_name", "Detection"), `class_name: "Detection" does not match class_uid 2004: want "Detection Finding"`},
		{"type_name caption", set("type_name", "Detection Finding: Update"), `type_name: "Detection Finding: Update" does not match type_uid 200401: want "Detection Finding: Create"`},

		// class_uid, category_uid, type_uid
		{"wrong type_uid", set("type_uid", 200402.0), "type_uid: got 200402, want 200401 (class_uid 2004 * 100 + activity_id 1)"},
		{"type_uid of another class", set("type_uid", 200301.0), "type_uid: got 200301, want 200401 (class_uid 2004 * 100 + activity_id 1)"},
		{"wrong category_uid", set("category_uid", 3.0), "category_uid: got 3, want 2: class_uid 2004 is Detection Finding in category 2 (Findings); class_uid = category_uid*1000 + 4"},
		{"unknown class_uid", set("class_uid", 2099.0), "class_uid: no class has class_uid 2099"},

		// constraints
		{"resource with neither name nor uid", func(t *testing.T, m map[string]any) {
			del("resources.0.uid")(t, m)
			del("resources.0.name")(t, m)
		}, "resources[0]: constraint at_least_one of object resource_details failed: none of name, uid is present"},
		{"vulnerability with both cve and cwe", set("vulnerabilities", []any{map[string]any{
			"title": "x",
			"cve":   map[string]any{"uid": "CVE-2024-0001"},
			"cwe":   map[string]any{"uid": "CWE-798"},
		}}), "vulnerabilities[0]: constraint just_one of object vulnerability failed: want exactly one of advisory, cve, cwe, got 2 (cve, cwe)"},
		{"product with neither name nor uid", set("metadata.product", map[string]any{"vendor_name": "credreview"}),
			"metadata.product: constraint at_least_one of object product failed: none of name, uid is present"},

		// metadata.version
		{"version not semver", set("metadata.version", "1.5"), `metadata.version: "1.5" is not an OCSF version (x.y.z, x.y.z-dev, x.y.z-rc.n)`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := readEvent(t, "detection_finding_prowler_shape.json")
			tc.change(t, m)
			errs := s.Validate(m)
			for _, e := range errs {
				if e.Error() == tc.want {
					return
				}
			}
			t.Errorf("no error %q; got:\n%s", tc.want, strings.Join(texts(errs), "\n"))
		})
	}
}

func TestErrorPath(t *testing.T) {
	s := schema(t)
	m := readEvent(t, "detection_finding_prowler_shape.json")
	delete(m["finding_info"].(map[string]any), "uid")
	errs := s.Validate(m)
	if len(errs) != 1 {
		t.Fatalf("got %d errors, want 1: %q", len(errs), texts(errs))
	}
	var e *Error
	if !errors.As(errs[0], &e) {
		t.Fatalf("error is %T, want *Error", errs[0])
	}
	if e.Path != "finding_info.uid" {
		t.Errorf("Path = %q, want %q", e.Path, "finding_info.uid")
	}
}

func TestWarnings(t *testing.T) {
	s := schema(t)
	for _, tc := range []struct {
		name   string
		change func(*testing.T, map[string]any)
		want   string
	}{
		{"time in seconds", set("time", 1764672000.0), "time: 1764672000 looks like seconds; timestamp_t is milliseconds since the epoch"},
		{"other version", set("metadata.version", "1.4.0"), `metadata.version: "1.4.0" differs from the schema's version "1.5.0"`},
		{"deprecated attribute", set("finding_info.product_uid", "credreview"),
			"finding_info.product_uid: deprecated since 1.4.0: Use the uid attribute in the product object instead. See specific usage."},
		{"Other without caption", func(t *testing.T, m map[string]any) {
			set("status_id", 99.0)(t, m)
			del("status")(t, m)
		}, "status: status_id is 99 (Other): set status to the source's own value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := readEvent(t, "detection_finding_prowler_shape.json")
			tc.change(t, m)
			res := s.Check(m)
			if len(res.Errors) != 0 {
				t.Errorf("errors: %q", texts(res.Errors))
			}
			for _, w := range res.Warnings {
				if w.Error() == tc.want {
					return
				}
			}
			t.Errorf("no warning %q; got:\n%s", tc.want, strings.Join(texts(res.Warnings), "\n"))
		})
	}
}

// TestOtherAllowsAnyCaption: for 99 (Other) the caption sibling holds the source's own
// word, so it need not match.
func TestOtherAllowsAnyCaption(t *testing.T) {
	s := schema(t)
	m := readEvent(t, "detection_finding_prowler_shape.json")
	m["status_id"] = 99.0
	m["status"] = "Muted"
	if errs := s.Validate(m); len(errs) != 0 {
		t.Errorf("errors: %q", texts(errs))
	}
}

func TestEveryClassCompiles(t *testing.T) {
	s := schema(t)
	for _, uid := range []int{0, 2001, 2002, 2003, 2004, 2005, 2006, 2007} {
		attrs, err := s.Attributes(uid, nil)
		if err != nil {
			t.Errorf("class %d: %v", uid, err)
			continue
		}
		names := map[string]bool{}
		for _, a := range attrs {
			names[a.Name] = true
		}
		for _, want := range []string{"class_uid", "category_uid", "type_uid", "activity_id", "time", "metadata", "severity_id"} {
			if !names[want] {
				t.Errorf("class %d has no %s", uid, want)
			}
		}
	}
	// Compliance Finding is where a top-level compliance object belongs.
	attrs, _ := s.Attributes(2003, nil)
	found := false
	for _, a := range attrs {
		if a.Name == "compliance" && a.Requirement == "required" {
			found = true
		}
	}
	if !found {
		t.Error("compliance_finding (2003) has no required compliance attribute")
	}
}

func TestLoadMissingDir(t *testing.T) {
	if _, err := Load(filepath.Join(t.TempDir(), "nope")); err == nil {
		t.Error("Load of a missing directory succeeded")
	}
}

// TestValidValues: values of the pattern-checked types that must pass.
func TestValidValues(t *testing.T) {
	s := schema(t)
	for _, tc := range []struct {
		path string
		v    any
	}{
		{"resources.0.ip", "192.0.2.10"},
		{"resources.0.ip", "2001:db8::1"},
		{"time_dt", "2025-12-02T10:40:00.123+00:00"},
		{"time_dt", "2025-12-02T10:40:00Z"},
		{"finding_info.created_time_dt", "2025-12-02t10:40:00"},
		{"time", 1764672000000.0},
		{"timezone_offset", -300.0},
	} {
		m := readEvent(t, "detection_finding_prowler_shape.json")
		set(tc.path, tc.v)(t, m)
		if errs := s.Validate(m); len(errs) != 0 {
			t.Errorf("%s = %v: %q", tc.path, tc.v, texts(errs))
		}
	}
}
