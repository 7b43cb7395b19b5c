package ocsfcheck

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Schema is a compiled set of OCSF definitions: every event class and object with its
// inherited, profile-annotated and dictionary-merged attributes. It is read-only after Load
// and safe for concurrent use.
type Schema struct {
	// Version is the OCSF version that metadata.version of a valid event should carry.
	// Load sets it from version.json. The 1.5.0 tag of ocsf-schema already says
	// "1.6.0-dev" there, so callers that validate against those definitions set it to
	// "1.5.0" themselves. A different metadata.version is a warning, not an error, as in
	// the OCSF server's validator.
	Version string

	dir        string
	types      map[string]*dataType
	classes    map[int]*entity    // by class_uid; only concrete classes (those with a uid)
	classNames map[string]*entity // by name, concrete classes only
	objects    map[string]*entity // by name, including the hidden "_entity" kind
	profiles   map[string]bool
}

// dataType is one entry of dictionary.json's "types".
type dataType struct {
	name   string
	base   string // the primitive it refines: string_t, integer_t, long_t, float_t, boolean_t or json_t
	regex  *regexp.Regexp
	maxLen int
	rng    *[2]float64
	values []any
}

// entity is a compiled class or object.
type entity struct {
	name        string
	caption     string
	isClass     bool
	uid         int // class_uid for classes
	categoryUID int
	category    string // category caption
	attrs       map[string]*Attr
	constraints map[string][]string
	profiles    []string
	deprecated  string
}

// Attr describes one attribute of a compiled class or object, after "extends",
// "$include" of profiles and the dictionary have been applied.
type Attr struct {
	Name        string
	Type        string // a dictionary type (string_t, timestamp_t, …) or an object name
	Object      bool   // Type names an object
	IsArray     bool
	Requirement string // "required", "recommended" or "optional"
	// Profile names the profile that adds the attribute; "" if the class or object
	// always has it. Such an attribute is only defined when metadata.profiles lists it.
	Profile string
	Sibling string // the caption attribute of an enum, e.g. "severity" for severity_id
	// Enum maps each allowed value (as written in the definitions: "1", "99", "GET")
	// to its caption. Nil when the attribute is not an enum.
	Enum       map[string]string
	Deprecated string // non-empty: why and since when the attribute is deprecated

	enumDeprecated map[string]string
	derived        bool // class_uid, category_uid, type_uid: values checked by rules, not the enum
}

// Load reads and compiles the OCSF definitions in dir: a checkout (or copy) of the
// ocsf-schema repository holding dictionary.json, categories.json, version.json, events/,
// objects/ and profiles/. Extensions are not supported.
func Load(dir string) (*Schema, error) {
	l := &loader{dir: dir, files: map[string]map[string]any{}}
	s, err := l.load()
	if err != nil {
		return nil, fmt.Errorf("ocsf definitions %s: %w", dir, err)
	}
	return s, nil
}

type loader struct {
	dir   string
	files map[string]map[string]any // parsed JSON by path relative to dir
	dict  map[string]map[string]any // dictionary attributes
}

func (l *loader) read(rel string) (map[string]any, error) {
	rel = filepath.ToSlash(filepath.Clean(rel))
	if m, ok := l.files[rel]; ok {
		return m, nil
	}
	b, err := os.ReadFile(filepath.Join(l.dir, filepath.FromSlash(rel)))
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("%s: %w", rel, err)
	}
	l.files[rel] = m
	return m, nil
}

// readDir reads every .json file below sub, resolving "$include" directives.
func (l *loader) readDir(sub string) (map[string]map[string]any, error) {
	out := map[string]map[string]any{}
	root := filepath.Join(l.dir, sub)
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".json") {
			return nil
		}
		rel, err := filepath.Rel(l.dir, path)
		if err != nil {
			return err
		}
		m, err := l.read(rel)
		if err != nil {
			return err
		}
		m, err = l.resolveIncludes(m)
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		name, _ := m["name"].(string)
		if name == "" {
			return fmt.Errorf("%s: no name", rel)
		}
		if _, dup := out[name]; dup {
			return fmt.Errorf("%s: %s defined twice", rel, name)
		}
		out[name] = m
		return nil
	})
	return out, err
}

// resolveIncludes applies the "$include" directives of a definition the way the OCSF
// compiler does: the included file's attributes are the base, the definition's own
// attributes are deep-merged over them, and the attributes a profile brings are marked
// with that profile's name (so "profile": null in the including file unmarks them).
func (l *loader) resolveIncludes(def map[string]any) (map[string]any, error) {
	attrs, _ := def["attributes"].(map[string]any)
	if attrs == nil {
		return def, nil
	}
	out := cloneMap(def)
	own := cloneMap(attrs)
	var includes []string
	switch inc := own["$include"].(type) {
	case nil:
	case string:
		includes = []string{inc}
	case []any:
		for _, v := range inc {
			s, ok := v.(string)
			if !ok {
				return nil, fmt.Errorf("$include: %v is not a path", v)
			}
			includes = append(includes, s)
		}
	default:
		return nil, fmt.Errorf("$include: unexpected %T", inc)
	}
	delete(own, "$include")
	merged := map[string]any{}
	for _, path := range includes {
		inc, err := l.read(path)
		if err != nil {
			return nil, err
		}
		incAttrs, _ := inc["attributes"].(map[string]any)
		incAttrs = cloneMap(incAttrs)
		if inc["meta"] == "profile" {
			name, _ := inc["name"].(string)
			annotations, _ := inc["annotations"].(map[string]any)
			for k, v := range incAttrs {
				a, _ := v.(map[string]any)
				a = cloneMap(a)
				for ak, av := range annotations {
					if _, set := a[ak]; !set {
						a[ak] = av
					}
				}
				a["profile"] = name
				incAttrs[k] = a
			}
		}
		merged = deepMerge(merged, incAttrs).(map[string]any)
	}
	// Attribute-level includes (shared enum files).
	for k, v := range own {
		a, ok := v.(map[string]any)
		if !ok {
			continue
		}
		if path, ok := a["$include"].(string); ok {
			inc, err := l.read(path)
			if err != nil {
				return nil, err
			}
			a = cloneMap(a)
			delete(a, "$include")
			own[k] = deepMerge(cloneMap(inc), a)
		}
	}
	out["attributes"] = deepMerge(merged, own)
	return out, nil
}

// resolveExtends flattens the "extends" chain of each definition: the parent's attributes
// are the base for the child's (deep merge, child wins, a null attribute removes it),
// the profile lists are joined, and other top-level keys (category, constraints, …) are
// inherited unless the child sets them.
func resolveExtends(defs map[string]map[string]any) (map[string]map[string]any, error) {
	out := map[string]map[string]any{}
	var resolve func(name string, seen []string) (map[string]any, error)
	resolve = func(name string, seen []string) (map[string]any, error) {
		if r, ok := out[name]; ok {
			return r, nil
		}
		for _, s := range seen {
			if s == name {
				return nil, fmt.Errorf("extends cycle: %s", strings.Join(append(seen, name), " -> "))
			}
		}
		def, ok := defs[name]
		if !ok {
			return nil, fmt.Errorf("%s is not defined", name)
		}
		parentName, _ := def["extends"].(string)
		if parentName == "" {
			out[name] = def
			return def, nil
		}
		parent, err := resolve(parentName, append(seen, name))
		if err != nil {
			return nil, fmt.Errorf("%s extends %s: %w", name, parentName, err)
		}
		r := cloneMap(parent)
		for k, v := range def {
			switch k {
			case "attributes":
				pa, _ := parent["attributes"].(map[string]any)
				merged := deepMerge(cloneMap(pa), v).(map[string]any)
				for ak, av := range merged {
					if av == nil {
						delete(merged, ak)
					}
				}
				r[k] = merged
			case "profiles":
				r[k] = unionStrings(parent[k], v)
			default:
				if v != nil {
					r[k] = v
				}
			}
		}
		out[name] = r
		return r, nil
	}
	names := make([]string, 0, len(defs))
	for n := range defs {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if _, err := resolve(n, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (l *loader) load() (*Schema, error) {
	s := &Schema{
		dir:        l.dir,
		types:      map[string]*dataType{},
		classes:    map[int]*entity{},
		classNames: map[string]*entity{},
		objects:    map[string]*entity{},
		profiles:   map[string]bool{},
	}
	if v, err := l.read("version.json"); err == nil {
		s.Version, _ = v["version"].(string)
	} else if !os.IsNotExist(err) {
		return nil, err
	}

	dict, err := l.read("dictionary.json")
	if err != nil {
		return nil, err
	}
	if err := s.loadTypes(dict); err != nil {
		return nil, err
	}
	dictAttrs, _ := dict["attributes"].(map[string]any)
	l.dict = map[string]map[string]any{}
	for k, v := range dictAttrs {
		if m, ok := v.(map[string]any); ok {
			l.dict[k] = m
		}
	}

	cats, err := l.read("categories.json")
	if err != nil {
		return nil, err
	}
	catAttrs, _ := cats["attributes"].(map[string]any)

	profiles, err := l.readDir("profiles")
	if err != nil {
		return nil, err
	}
	for name := range profiles {
		s.profiles[name] = true
	}

	objDefs, err := l.readDir("objects")
	if err != nil {
		return nil, err
	}
	objDefs, err = resolveExtends(objDefs)
	if err != nil {
		return nil, fmt.Errorf("objects: %w", err)
	}
	for name, def := range objDefs {
		e := &entity{name: name}
		if err := l.compile(e, def); err != nil {
			return nil, fmt.Errorf("object %s: %w", name, err)
		}
		s.objects[name] = e
	}

	classDefs, err := l.readDir("events")
	if err != nil {
		return nil, err
	}
	classDefs, err = resolveExtends(classDefs)
	if err != nil {
		return nil, fmt.Errorf("events: %w", err)
	}
	for name, def := range classDefs {
		idx, hasUID := number(def["uid"])
		if !hasUID && name != "base_event" {
			continue // an abstract class such as "finding": only a parent of others
		}
		e := &entity{name: name, isClass: true}
		if err := l.compile(e, def); err != nil {
			return nil, fmt.Errorf("class %s: %w", name, err)
		}
		catName, _ := def["category"].(string)
		if cat, ok := catAttrs[catName].(map[string]any); ok {
			uid, _ := number(cat["uid"])
			e.categoryUID = int(uid)
			e.category, _ = cat["caption"].(string)
		} else {
			e.category = "Uncategorized"
		}
		e.uid = e.categoryUID*1000 + int(idx)
		if err := addClassEnums(e); err != nil {
			return nil, fmt.Errorf("class %s: %w", name, err)
		}
		if other, dup := s.classes[e.uid]; dup {
			return nil, fmt.Errorf("class_uid %d used by %s and %s", e.uid, other.name, name)
		}
		s.classes[e.uid] = e
		s.classNames[name] = e
	}

	// Every object type an attribute names must exist.
	check := func(e *entity) error {
		for _, a := range e.attrs {
			if a.Object {
				if _, ok := s.objects[a.Type]; !ok {
					return fmt.Errorf("%s.%s: type %s is neither a dictionary type nor an object", e.name, a.Name, a.Type)
				}
			} else if _, ok := s.types[a.Type]; !ok {
				return fmt.Errorf("%s.%s: unknown type %s", e.name, a.Name, a.Type)
			}
		}
		return nil
	}
	for _, e := range s.objects {
		if err := check(e); err != nil {
			return nil, err
		}
	}
	for _, e := range s.classes {
		if err := check(e); err != nil {
			return nil, err
		}
	}
	if len(s.classes) == 0 {
		return nil, fmt.Errorf("no event classes under events/")
	}
	return s, nil
}

func (s *Schema) loadTypes(dict map[string]any) error {
	types, _ := dict["types"].(map[string]any)
	tattrs, _ := types["attributes"].(map[string]any)
	if len(tattrs) == 0 {
		return fmt.Errorf("dictionary.json: no types")
	}
	for name, v := range tattrs {
		m, _ := v.(map[string]any)
		t := &dataType{name: name, base: name}
		if b, ok := m["type"].(string); ok && b != "" {
			t.base = b
		}
		if re, ok := m["regex"].(string); ok && re != "" {
			c, err := regexp.Compile(re)
			if err != nil {
				return fmt.Errorf("dictionary.json: type %s: regex: %w", name, err)
			}
			t.regex = c
		}
		if n, ok := number(m["max_len"]); ok {
			t.maxLen = int(n)
		}
		if r, ok := m["range"].([]any); ok && len(r) == 2 {
			lo, ok1 := number(r[0])
			hi, ok2 := number(r[1])
			if ok1 && ok2 {
				t.rng = &[2]float64{lo, hi}
			}
		}
		if vals, ok := m["values"].([]any); ok {
			t.values = vals
		}
		s.types[name] = t
	}
	for name, t := range s.types {
		switch t.base {
		case "string_t", "integer_t", "long_t", "float_t", "boolean_t", "json_t":
		default:
			b, ok := s.types[t.base]
			if !ok {
				return fmt.Errorf("dictionary.json: type %s refines unknown type %s", name, t.base)
			}
			// timestamp_t refines long_t; keep the primitive at the bottom of the chain.
			t.base = b.base
		}
	}
	return nil
}

// compile turns a resolved definition into an entity, merging each attribute over its
// dictionary entry and adding the datetime profile's "<name>_dt" twins of timestamps.
func (l *loader) compile(e *entity, def map[string]any) error {
	e.caption, _ = def["caption"].(string)
	e.attrs = map[string]*Attr{}
	e.constraints = map[string][]string{}
	if c, ok := def["constraints"].(map[string]any); ok {
		for k, v := range c {
			list, _ := v.([]any)
			for _, x := range list {
				if s, ok := x.(string); ok {
					e.constraints[k] = append(e.constraints[k], s)
				}
			}
		}
	}
	if p, ok := def["profiles"].([]any); ok {
		for _, x := range p {
			if s, ok := x.(string); ok {
				e.profiles = append(e.profiles, s)
			}
		}
	}
	e.deprecated = deprecation(def["@deprecated"])
	attrs, _ := def["attributes"].(map[string]any)
	for name, v := range attrs {
		own, ok := v.(map[string]any)
		if !ok {
			continue
		}
		base, ok := l.dict[name]
		if !ok {
			return fmt.Errorf("attribute %s is not in dictionary.json", name)
		}
		merged := deepMerge(cloneMap(base), own).(map[string]any)
		a, err := makeAttr(name, merged)
		if err != nil {
			return err
		}
		e.attrs[name] = a
	}
	// The datetime profile: every attribute whose dictionary type is timestamp_t gets an
	// optional datetime_t twin named <name>_dt (as the OCSF compiler does).
	for name := range attrs {
		if l.dict[name]["type"] != "timestamp_t" {
			continue
		}
		dt := name + "_dt"
		if _, exists := e.attrs[dt]; exists {
			continue
		}
		e.attrs[dt] = &Attr{
			Name:        dt,
			Type:        "datetime_t",
			IsArray:     e.attrs[name].IsArray,
			Requirement: "optional",
			Profile:     "datetime",
		}
	}
	return nil
}

func makeAttr(name string, m map[string]any) (*Attr, error) {
	a := &Attr{Name: name, Requirement: "optional"}
	a.Type, _ = m["type"].(string)
	if a.Type == "" {
		return nil, fmt.Errorf("attribute %s has no type", name)
	}
	a.Object = !strings.HasSuffix(a.Type, "_t")
	a.IsArray, _ = m["is_array"].(bool)
	if r, ok := m["requirement"].(string); ok && r != "" {
		a.Requirement = r
	}
	a.Profile, _ = m["profile"].(string)
	a.Sibling, _ = m["sibling"].(string)
	a.Deprecated = deprecation(m["@deprecated"])
	if en, ok := m["enum"].(map[string]any); ok && len(en) > 0 {
		a.Enum = map[string]string{}
		for k, v := range en {
			vm, _ := v.(map[string]any)
			caption, _ := vm["caption"].(string)
			a.Enum[k] = caption
			if d := deprecation(vm["@deprecated"]); d != "" {
				if a.enumDeprecated == nil {
					a.enumDeprecated = map[string]string{}
				}
				a.enumDeprecated[k] = d
			}
		}
	}
	return a, nil
}

// addClassEnums gives class_uid, category_uid and type_uid the single-class enums the
// OCSF compiler generates, so that class_name, category_name and type_name are checked
// against their captions like any enum sibling.
func addClassEnums(e *entity) error {
	act := e.attrs["activity_id"]
	if act == nil || act.Enum == nil {
		return fmt.Errorf("no activity_id enum")
	}
	set := func(name string, enum map[string]string) error {
		a := e.attrs[name]
		if a == nil {
			return fmt.Errorf("no %s attribute", name)
		}
		cp := *a
		cp.Enum = enum
		cp.derived = true
		e.attrs[name] = &cp
		return nil
	}
	if err := set("class_uid", map[string]string{strconv.Itoa(e.uid): e.caption}); err != nil {
		return err
	}
	if err := set("category_uid", map[string]string{strconv.Itoa(e.categoryUID): e.category}); err != nil {
		return err
	}
	types := map[string]string{strconv.Itoa(e.uid * 100): e.caption + ": Unknown"}
	for k, caption := range act.Enum {
		n, err := strconv.Atoi(k)
		if err != nil {
			return fmt.Errorf("activity_id enum key %q", k)
		}
		types[strconv.Itoa(e.uid*100+n)] = e.caption + ": " + caption
	}
	return set("type_uid", types)
}

var htmlTag = regexp.MustCompile(`<[^>]*>`)

func deprecation(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	msg, _ := m["message"].(string)
	msg = strings.TrimSpace(htmlTag.ReplaceAllString(msg, ""))
	if since, ok := m["since"].(string); ok && since != "" {
		return "deprecated since " + since + ": " + msg
	}
	return "deprecated: " + msg
}

// deepMerge merges right over left: maps merge key by key, anything else in right
// replaces left (a JSON null included). It may modify left.
func deepMerge(left, right any) any {
	lm, lok := left.(map[string]any)
	rm, rok := right.(map[string]any)
	if !lok || !rok {
		return right
	}
	if lm == nil {
		lm = map[string]any{}
	}
	for k, rv := range rm {
		if lv, ok := lm[k]; ok {
			if lvm, ok := lv.(map[string]any); ok {
				lm[k] = deepMerge(cloneMap(lvm), rv)
				continue
			}
		}
		lm[k] = rv
	}
	return lm
}

func cloneMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func unionStrings(a, b any) any {
	var out []any
	seen := map[any]bool{}
	for _, list := range []any{a, b} {
		l, _ := list.([]any)
		for _, x := range l {
			if !seen[x] {
				seen[x] = true
				out = append(out, x)
			}
		}
	}
	return out
}

// number reports v as a float64 when it is a JSON number (or a Go number).
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case float64:
		return n, true
	case float32:
		return float64(n), true
	case int:
		return float64(n), true
	case int8:
		return float64(n), true
	case int16:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint:
		return float64(n), true
	case uint8:
		return float64(n), true
	case uint16:
		return float64(n), true
	case uint32:
		return float64(n), true
	case uint64:
		return float64(n), true
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	}
	return 0, false
}
