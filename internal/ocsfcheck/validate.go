package ocsfcheck

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Error is one problem with an event. Path names the attribute in the event the way
// OCSF tools write it ("finding_info.uid", "resources[0].uid"); it is empty for a problem
// with the event as a whole.
type Error struct {
	Path string
	Msg  string
}

func (e *Error) Error() string {
	if e.Path == "" {
		return e.Msg
	}
	return e.Path + ": " + e.Msg
}

// Result holds what Check found. Errors make an event invalid; Warnings are advice:
// recommended attributes left out, deprecated attributes or values used, a
// metadata.version other than Schema.Version, a timestamp that looks like seconds.
type Result struct {
	Errors   []error
	Warnings []error
}

// Validate checks event, a decoded OCSF event (encoding/json's map[string]any, with or
// without UseNumber), against the class its class_uid names and returns the errors
// found, nil for a valid event. It is Check(event).Errors.
func (s *Schema) Validate(event map[string]any) []error {
	return s.Check(event).Errors
}

// Check validates event like Validate and also returns the warnings.
//
// It checks that every attribute is defined for its class or object (counting those
// inherited through "extends" and those added by the profiles metadata.profiles lists),
// that required attributes are present, that values have their dictionary type (the
// primitive under it, and the type's regex, max_len, range and values), that enum
// values are listed and their caption siblings match, that objects meet their
// at_least_one and just_one constraints, and that category_uid and type_uid agree with
// class_uid and activity_id.
func (s *Schema) Check(event map[string]any) Result {
	v := &validator{s: s}
	v.event(event)
	return Result{Errors: v.errs, Warnings: v.warns}
}

// Attributes returns the attributes an event of class classUID may carry when its
// metadata.profiles lists profiles, sorted by name. The Attr values are shared: do not
// modify them.
func (s *Schema) Attributes(classUID int, profiles []string) ([]*Attr, error) {
	c, ok := s.classes[classUID]
	if !ok {
		return nil, fmt.Errorf("no class with class_uid %d", classUID)
	}
	return sortedAttrs(c.attrs, profileSet(profiles)), nil
}

// ObjectAttributes returns the attributes of the named object (e.g. "finding_info")
// when metadata.profiles lists profiles, sorted by name. The Attr values are shared.
func (s *Schema) ObjectAttributes(object string, profiles []string) ([]*Attr, error) {
	o, ok := s.objects[object]
	if !ok {
		return nil, fmt.Errorf("no object named %q", object)
	}
	return sortedAttrs(o.attrs, profileSet(profiles)), nil
}

func profileSet(profiles []string) map[string]bool {
	set := map[string]bool{}
	for _, p := range profiles {
		set[p] = true
	}
	return set
}

func sortedAttrs(attrs map[string]*Attr, profiles map[string]bool) []*Attr {
	out := make([]*Attr, 0, len(attrs))
	for _, a := range attrs {
		if a.Profile == "" || profiles[a.Profile] {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

type validator struct {
	s        *Schema
	profiles map[string]bool
	errs     []error
	warns    []error
}

func (v *validator) errorf(path, format string, args ...any) {
	v.errs = append(v.errs, &Error{Path: path, Msg: fmt.Sprintf(format, args...)})
}

func (v *validator) warnf(path, format string, args ...any) {
	v.warns = append(v.warns, &Error{Path: path, Msg: fmt.Sprintf(format, args...)})
}

var versionFormat = regexp.MustCompile(`^\d+\.\d+\.\d+(?:-dev|-rc\.\d+)?$`)

func (v *validator) event(event map[string]any) {
	raw, present := event["class_uid"]
	if !present || raw == nil {
		v.errorf("class_uid", "required attribute missing; cannot tell the event's class")
		return
	}
	uid, ok := integer(raw)
	if !ok {
		v.errorf("class_uid", "wrong type: want integer_t, got %s", typeOf(raw))
		return
	}
	class, ok := v.s.classes[int(uid)]
	if !ok {
		v.errorf("class_uid", "no class has class_uid %d", uid)
		return
	}
	if class.deprecated != "" {
		v.warnf("class_uid", "class %s is %s", class.name, class.deprecated)
	}

	// The profiles decide which attributes exist, so read them before anything else.
	v.profiles = map[string]bool{}
	if md, ok := event["metadata"].(map[string]any); ok {
		if list, ok := md["profiles"].([]any); ok {
			for i, p := range list {
				name, ok := p.(string)
				if !ok {
					continue // reported as a wrong type by the walk
				}
				if !v.s.profiles[name] {
					v.errorf(fmt.Sprintf("metadata.profiles[%d]", i), "unknown profile %q", name)
					continue
				}
				v.profiles[name] = true
			}
		}
		if ver, ok := md["version"].(string); ok {
			switch {
			case !versionFormat.MatchString(ver):
				v.errorf("metadata.version", "%q is not an OCSF version (x.y.z, x.y.z-dev, x.y.z-rc.n)", ver)
			case v.s.Version != "" && ver != v.s.Version:
				v.warnf("metadata.version", "%q differs from the schema's version %q", ver, v.s.Version)
			}
		}
	}

	v.object("", event, class)

	// category_uid and type_uid follow from class_uid and activity_id:
	// class_uid = category_uid*1000 + class index, type_uid = class_uid*100 + activity_id.
	if cat, ok := integer(event["category_uid"]); ok && int(cat) != class.categoryUID {
		v.errorf("category_uid", "got %d, want %d: class_uid %d is %s in category %d (%s); class_uid = category_uid*1000 + %d",
			cat, class.categoryUID, class.uid, class.caption, class.categoryUID, class.category, class.uid-class.categoryUID*1000)
	}
	act, actOK := integer(event["activity_id"])
	if tu, ok := integer(event["type_uid"]); ok && actOK {
		if want := uid*100 + act; tu != want {
			v.errorf("type_uid", "got %d, want %d (class_uid %d * 100 + activity_id %d)", tu, want, uid, act)
		}
	}
}

// object checks m against e: known attributes, required ones, each value, enums, and the
// constraints. path is m's own path ("" for the event).
func (v *validator) object(path string, m map[string]any, e *entity) {
	if e.deprecated != "" && path != "" {
		v.warnf(path, "object %s is %s", e.name, e.deprecated)
	}
	names := make([]string, 0, len(e.attrs))
	for name, a := range e.attrs {
		if a.Profile == "" || v.profiles[a.Profile] {
			names = append(names, name)
		}
	}
	sort.Strings(names)
	for _, name := range names {
		a := e.attrs[name]
		p := join(path, name)
		val, present := m[name]
		if !present || val == nil {
			switch a.Requirement {
			case "required":
				if present {
					v.errorf(p, "required attribute missing (null)")
				} else {
					v.errorf(p, "required attribute missing")
				}
			case "recommended":
				v.warnf(p, "recommended attribute missing")
			}
			continue
		}
		if a.Deprecated != "" {
			v.warnf(p, "%s", a.Deprecated)
		}
		if a.IsArray {
			list, ok := val.([]any)
			if !ok {
				v.errorf(p, "wrong type: want array of %s, got %s", a.Type, typeOf(val))
				continue
			}
			for i, el := range list {
				v.value(fmt.Sprintf("%s[%d]", p, i), el, a)
			}
		} else {
			v.value(p, val, a)
		}
		if a.Enum != nil {
			v.enum(path, p, m, val, a, e)
		}
	}

	// Unknown attributes. An object with no attributes at all ("object", the type of
	// unmapped) is open: anything goes.
	if len(e.attrs) > 0 {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			a, defined := e.attrs[k]
			switch {
			case !defined:
				v.errorf(join(path, k), "unknown attribute: not defined in %s", e.describe())
			case a.Profile != "" && !v.profiles[a.Profile]:
				v.errorf(join(path, k), "attribute of profile %q, which metadata.profiles does not list", a.Profile)
			}
		}
	}

	v.constraints(path, m, e)
}

func (e *entity) describe() string {
	if e.isClass {
		return fmt.Sprintf("class %s (class_uid %d)", e.name, e.uid)
	}
	return "object " + e.name
}

func (v *validator) constraints(path string, m map[string]any, e *entity) {
	kinds := make([]string, 0, len(e.constraints))
	for k := range e.constraints {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	for _, kind := range kinds {
		keys := e.constraints[kind]
		var present []string
		for _, k := range keys {
			if m[k] != nil {
				present = append(present, k)
			}
		}
		where := e.describe()
		switch kind {
		case "at_least_one":
			if len(present) == 0 {
				v.errorf(path, "constraint at_least_one of %s failed: none of %s is present", where, strings.Join(keys, ", "))
			}
		case "just_one":
			if len(present) != 1 {
				v.errorf(path, "constraint just_one of %s failed: want exactly one of %s, got %d (%s)",
					where, strings.Join(keys, ", "), len(present), strings.Join(present, ", "))
			}
		default:
			v.errorf(path, "constraint %s of %s is not known to this validator", kind, where)
		}
	}
}

// value checks one value (or one element of an array) against attribute a.
func (v *validator) value(path string, val any, a *Attr) {
	if a.Object {
		m, ok := val.(map[string]any)
		if !ok {
			v.errorf(path, "wrong type: want object %s, got %s", a.Type, typeOf(val))
			return
		}
		v.object(path, m, v.s.objects[a.Type])
		return
	}
	v.primitive(path, val, a.Type)
}

func (v *validator) primitive(path string, val any, typeName string) {
	t := v.s.types[typeName]
	if t == nil {
		v.errorf(path, "schema has no type %s", typeName)
		return
	}
	want := typeName
	if t.base != typeName {
		want = typeName + " (" + t.base + ")"
	}
	wrong := func() { v.errorf(path, "wrong type: want %s, got %s", want, typeOf(val)) }
	switch t.base {
	case "json_t":
		return
	case "boolean_t":
		if _, ok := val.(bool); !ok {
			wrong()
			return
		}
	case "string_t":
		str, ok := val.(string)
		if !ok {
			wrong()
			return
		}
		for _, tt := range v.chain(t) {
			if tt.maxLen > 0 && len([]rune(str)) > tt.maxLen {
				v.errorf(path, "%d characters, more than %s allows (%d)", len([]rune(str)), tt.name, tt.maxLen)
			}
			if tt.regex != nil && !tt.regex.MatchString(str) {
				v.errorf(path, "%q does not match the %s pattern", str, tt.name)
			}
		}
	case "integer_t", "long_t":
		n, ok := integer(val)
		if !ok {
			wrong()
			return
		}
		if typeName == "timestamp_t" && n > 0 && n < 100_000_000_000 {
			// 1e11 ms is March 1973: a smaller positive value is almost surely seconds.
			v.warnf(path, "%d looks like seconds; timestamp_t is milliseconds since the epoch", n)
		}
	case "float_t":
		if _, ok := number(val); !ok {
			wrong()
			return
		}
	default:
		v.errorf(path, "schema type %s has unknown primitive %s", typeName, t.base)
		return
	}
	for _, tt := range v.chain(t) {
		if tt.rng != nil {
			if f, ok := number(val); ok && (f < tt.rng[0] || f > tt.rng[1]) {
				v.errorf(path, "%v is outside the %s range %v..%v", val, tt.name, tt.rng[0], tt.rng[1])
			}
		}
		if tt.values != nil {
			found := false
			for _, allowed := range tt.values {
				if allowed == val {
					found = true
				}
			}
			if !found {
				v.errorf(path, "%v is not one of the %s values %v", val, tt.name, tt.values)
			}
		}
	}
}

// chain returns t and the types it refines, most specific first.
func (v *validator) chain(t *dataType) []*dataType {
	out := []*dataType{t}
	if t.base != t.name {
		if b := v.s.types[t.base]; b != nil {
			out = append(out, b)
		}
	}
	return out
}

// enum checks an enum attribute's value(s) and its caption sibling. parent is the path of
// the object holding both.
func (v *validator) enum(parent, path string, m map[string]any, val any, a *Attr, e *entity) {
	siblingVal, hasSibling := m[a.Sibling]
	if a.Sibling == "" || siblingVal == nil {
		hasSibling = false
	}
	sp := join(parent, a.Sibling)
	if a.IsArray {
		list, _ := val.([]any)
		sibs, _ := siblingVal.([]any)
		for i, el := range list {
			ep := fmt.Sprintf("%s[%d]", path, i)
			key, ok := v.enumValue(ep, el, a)
			if !ok || key == "99" || !hasSibling {
				continue
			}
			esp := fmt.Sprintf("%s[%d]", sp, i)
			if i >= len(sibs) {
				v.errorf(esp, "missing: %s has %s", ep, quoteEnum(key, a.Enum[key]))
			} else if sibs[i] != a.Enum[key] {
				v.errorf(esp, "%s does not match %s %s: want %q", jsonText(sibs[i]), ep, key, a.Enum[key])
			}
		}
		return
	}
	key, ok := v.enumValue(path, val, a)
	if !ok {
		return
	}
	switch {
	case key == "99" && !hasSibling:
		if _, defined := e.attrs[a.Sibling]; defined {
			v.warnf(sp, "%s is 99 (Other): set %s to the source's own value", a.Name, a.Sibling)
		}
	case key == "99":
		// Other: the sibling carries the source's own wording; anything goes.
	case hasSibling && siblingVal != a.Enum[key]:
		v.errorf(sp, "%s does not match %s %s: want %q", jsonText(siblingVal), a.Name, key, a.Enum[key])
	}
}

// enumValue checks that val is one of a's enum values and returns its key.
func (v *validator) enumValue(path string, val any, a *Attr) (string, bool) {
	var key string
	switch x := val.(type) {
	case string:
		key = x
	default:
		n, ok := integer(val)
		if !ok {
			return "", false // a wrong type, reported already
		}
		key = strconv.FormatInt(n, 10)
	}
	caption, ok := a.Enum[key]
	if !ok {
		if a.derived {
			return "", false // class_uid, category_uid, type_uid: the rules in event() explain
		}
		v.errorf(path, "%s is not a defined value (%s)", jsonText(val), listEnum(a.Enum))
		return "", false
	}
	if d := a.enumDeprecated[key]; d != "" {
		v.warnf(path, "value %s (%s) is %s", key, caption, d)
	}
	return key, true
}

func listEnum(enum map[string]string) string {
	keys := make([]string, 0, len(enum))
	for k := range enum {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		a, errA := strconv.Atoi(keys[i])
		b, errB := strconv.Atoi(keys[j])
		if errA == nil && errB == nil {
			return a < b
		}
		return keys[i] < keys[j]
	})
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = quoteEnum(k, enum[k])
	}
	return strings.Join(parts, ", ")
}

func quoteEnum(k, caption string) string { return k + " " + caption }

func join(parent, name string) string {
	if parent == "" {
		return name
	}
	return parent + "." + name
}

// integer reports v as an int64 when it is a whole JSON number.
func integer(v any) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		if i, err := n.Int64(); err == nil {
			return i, true
		}
		return 0, false
	case int:
		return int64(n), true
	case int8:
		return int64(n), true
	case int16:
		return int64(n), true
	case int32:
		return int64(n), true
	case int64:
		return n, true
	case uint8:
		return int64(n), true
	case uint16:
		return int64(n), true
	case uint32:
		return int64(n), true
	case uint:
		if uint64(n) <= math.MaxInt64 {
			return int64(n), true
		}
	case uint64:
		if n <= math.MaxInt64 {
			return int64(n), true
		}
	case float64:
		if n == math.Trunc(n) && math.Abs(n) < 1<<63 {
			return int64(n), true
		}
	case float32:
		if f := float64(n); f == math.Trunc(f) && math.Abs(f) < 1<<63 {
			return int64(f), true
		}
	}
	return 0, false
}

// typeOf names the JSON type of v for messages.
func typeOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	if _, ok := integer(v); ok {
		return "integer"
	}
	if _, ok := number(v); ok {
		return "number"
	}
	return fmt.Sprintf("%T", v)
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
